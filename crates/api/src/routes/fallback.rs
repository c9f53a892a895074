//! Requests no route took: 405 with `Allow` when the path exists under another method, else 404.

use crate::problem::ApiError;
use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, web};
use crm_app::codes::Code;
use utoipa::openapi::OpenApi;

/// Path templates and their methods, from the OpenAPI document (so it cannot drift from the routes).
#[derive(Debug, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(api: &OpenApi, extra: &[(&str, &str)]) -> Self {
        let mut t = Vec::new();
        for (path, item) in &api.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ]
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(m, _)| m.to_owned())
            .collect();
            t.push((segments(path), methods));
        }
        for (path, method) in extra {
            t.push((segments(path), vec![(*method).to_owned()]));
        }
        Self(t)
    }

    /// The methods allowed on `path`, or `None` when no route has that shape. A fixed route
    /// (`/customers/changes`) wins over a template that also fits (`/customers/{id}`).
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        if let Some(mut m) = self.literal_allowed(path) {
            m.sort();
            m.dedup();
            return Some(m);
        }
        let segs = segments(path);
        let mut allowed: Vec<String> = Vec::new();
        let mut found = false;
        for (tpl, methods) in &self.0 {
            let matches = tpl.len() == segs.len()
                && tpl.iter().zip(&segs).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s);
            if matches {
                found = true;
                allowed.extend(methods.iter().cloned());
            }
        }
        allowed.sort();
        allowed.dedup();
        found.then_some(allowed)
    }
}

impl RouteTable {
    /// The methods of a fixed route (no `{param}`) at exactly `path`; `None` when there is none.
    pub fn literal_allowed(&self, path: &str) -> Option<Vec<String>> {
        let segs = segments(path);
        let methods: Vec<String> =
            self.0.iter().filter(|(tpl, _)| tpl == &segs).flat_map(|(_, m)| m.iter().cloned()).collect();
        (!methods.is_empty()).then_some(methods)
    }
}

/// 405 with `Allow` when `path` is a fixed route and `method` is not one of its methods.
pub fn method_not_allowed(table: &RouteTable, path: &str, method: &str) -> Option<ApiError> {
    let mut methods = table.literal_allowed(path)?;
    if methods.iter().any(|m| m == method) {
        return None;
    }
    methods.sort();
    methods.dedup();
    let allow = methods.join(", ");
    Some(ApiError::new(Code::MethodNotAllowed).arg("method", method).arg("allow", &allow).header(ALLOW, allow))
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/').split('/').map(str::to_owned).collect()
}

/// The default service.
pub async fn not_routed(req: HttpRequest, table: web::Data<RouteTable>) -> Result<&'static str, ApiError> {
    match table.allowed(req.path()) {
        Some(methods) if !methods.iter().any(|m| m == req.method().as_str()) => {
            let allow = methods.join(", ");
            Err(ApiError::new(Code::MethodNotAllowed)
                .arg("method", req.method())
                .arg("allow", &allow)
                .header(ALLOW, allow))
        }
        _ => Err(ApiError::new(Code::RouteNotFound).arg("path", req.path())),
    }
}
