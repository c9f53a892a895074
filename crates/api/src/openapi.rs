//! The OpenAPI 3.1 document: generated from the handlers' annotations, then completed here with
//! the security scheme and the problem+json error responses every operation can give.

use crate::problem::{FieldProblem, Problem};
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Doc, Ref, RefOr, ResponseBuilder};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CRM and member-loyalty API",
        description = "Customers, sales, service, marketing, membership and loyalty for SMEs and member clubs. \
Errors are application/problem+json (RFC 9457) with a stable `code`; send `Accept-Language: zh` for Chinese messages.",
        license(name = "Apache-2.0"),
    ),
    components(schemas(Problem, FieldProblem)),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "auth", description = "Sign-in sessions and tokens"),
        (name = "tenants", description = "Tenants (platform administrators)"),
        (name = "org-units", description = "The org tree"),
        (name = "positions", description = "Positions (roles), permissions and data scopes"),
        (name = "users", description = "Staff users"),
        (name = "api-clients", description = "Integration clients (client credentials)"),
        (name = "audit", description = "The audit log"),
        (name = "customers", description = "Customers: records, search, batch upsert, change feed"),
        (name = "segments", description = "Customer segments: static lists and rule-based segments, count, members, why"),
        (name = "custom-fields", description = "Custom field definitions per object type"),
        (name = "settings", description = "The tenant's settings"),
    ),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut Doc) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        let problem = ResponseBuilder::new()
            .description("Problem details (RFC 9457)")
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build();
        components.responses.insert("Problem".to_owned(), RefOr::T(problem));
    }
}

/// The finished document, shared with the handler that serves it.
pub struct Served(pub Doc);

/// `GET /api/v1/openapi.json`.
pub async fn serve(doc: actix_web::web::Data<Served>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(&doc.0)
}

/// Adds the error responses an operation can give, unless it documents them itself:
/// 400, 429 and 500 always; 413, 415 and 422 with a body; 401 when it needs a token (and 409 when
/// such an operation changes something), 403 when it needs a permission (named in its `security`
/// requirement); 404 with an `{id}`; 412 for `PATCH`/`DELETE` (`If-Match`); 405 where a path
/// parameter can spell a sibling's literal segment (`/enrollment-applications/{id}` given
/// `bulk-reject` is that route, which has other methods).
pub fn complete(mut api: Doc) -> Doc {
    api.openapi = utoipa::openapi::OpenApiVersion::Version31;
    let paths: Vec<String> = api.paths.paths.keys().cloned().collect();
    for (path, item) in api.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        let shadowed = has_id && paths.iter().any(|other| shadows(other, path));
        for (op, kind) in [
            (&mut item.get, Kind::Read),
            (&mut item.put, Kind::Write),
            (&mut item.post, Kind::Write),
            (&mut item.delete, Kind::ConditionalWrite),
            (&mut item.patch, Kind::ConditionalWrite),
        ] {
            if let Some(op) = op {
                add_errors(op, has_id, kind);
                if shadowed {
                    op.responses
                        .responses
                        .entry("405".to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Problem")));
                }
            }
        }
    }
    api
}

/// Whether the literal path `other` is one that the template `path` also matches, so a request
/// for `path` with that value is routed to `other` (and answers 405 for a method `other` lacks).
fn shadows(other: &str, path: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (other.split('/').collect(), path.split('/').collect());
    other != path
        && a.len() == b.len()
        && a.iter().zip(&b).any(|(x, y)| y.starts_with('{') && !x.starts_with('{'))
        && a.iter().zip(&b).all(|(x, y)| x == y || y.starts_with('{'))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
    /// `PATCH`/`DELETE`: honours `If-Match`.
    ConditionalWrite,
}

fn add_errors(op: &mut Operation, has_id: bool, kind: Kind) {
    let mut codes = vec!["400", "429", "500"];
    if op.request_body.is_some() {
        codes.extend(["413", "415", "422"]);
    }
    if let Some(reqs) = op.security.as_ref().filter(|s| !s.is_empty()) {
        codes.push("401");
        if kind != Kind::Read {
            // A change can meet a rule of the current state (a taken name, a unit with children).
            codes.push("409");
        }
        let names = serde_json::to_value(reqs).unwrap_or_default();
        let needs_permission = names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_object())
            .any(|r| r.values().any(|scopes| scopes.as_array().is_some_and(|a| !a.is_empty())));
        if needs_permission {
            codes.push("403");
        }
    }
    if has_id {
        codes.push("404");
    }
    if kind == Kind::ConditionalWrite {
        codes.push("412");
    }
    for code in codes {
        op.responses.responses.entry(code.to_owned()).or_insert_with(|| RefOr::Ref(Ref::from_response_name("Problem")));
    }
}

#[cfg(test)]
mod tests {
    use super::shadows;

    #[test]
    fn a_literal_sibling_shadows_a_template() {
        let t = "/api/v1/enrollment-applications/{id}";
        assert!(shadows("/api/v1/enrollment-applications/bulk-reject", t));
        assert!(!shadows(t, t));
        assert!(!shadows("/api/v1/enrollment-applications", t));
        assert!(!shadows("/api/v1/members/bulk-reject", t));
        assert!(!shadows("/api/v1/enrollment-applications/{other}", t));
    }
}
