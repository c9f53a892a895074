//! The OpenAPI 3.1 document: generated from the handlers' annotations, then completed here with
//! the security scheme and the problem+json error responses every operation can give.

use crate::problem::{FieldProblem, Problem};
use crm_app::codes::Code;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
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
        (name = "membership", description = "Membership (会员): enrollment applications and their review, members, \
cards and card numbers, member levels"),
        (name = "loyalty", description = "Loyalty (积分): points plans, members' points and ledgers, purchases and \
payments from the sales system, manual and activity points, carry-over and its reversal, rewards, the ledger check"),
        (name = "integration", description = "The outbox of domain events; their payloads (`MemberEnrolledV1`, ...) \
are a versioned public contract, delivered to webhook subscribers as `data` beside `type` and `version`"),
    ),
    modifiers(&Security, &EventSchemas)
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

/// The payload schemas of the domain events (a public contract; the outbox's `payload` is one of them).
struct EventSchemas;

impl Modify for EventSchemas {
    fn modify(&self, api: &mut Doc) {
        let components = api.components.get_or_insert_with(Default::default);
        components.schemas.extend(crm_domain::integration::events::payload_schemas());
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
/// requirement); 404 with a path parameter; 412 where it declares `If-Match`; 405 where a path
/// parameter can spell a sibling's literal segment (`/enrollment-applications/{id}` given
/// `bulk-reject` is that route, which has other methods). Each carries an example with a code the
/// operation answers (see `add_errors`).
pub fn complete(mut api: Doc) -> Doc {
    api.openapi = utoipa::openapi::OpenApiVersion::Version31;
    let paths: Vec<String> = api.paths.paths.keys().cloned().collect();
    let schemas = api.components.as_ref().and_then(|c| serde_json::to_value(&c.schemas).ok()).unwrap_or_default();
    for (path, item) in api.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        let shadowed = has_id && paths.iter().any(|other| shadows(other, path));
        for (op, kind) in [
            (&mut item.get, Kind::Read),
            (&mut item.put, Kind::Write),
            (&mut item.post, Kind::Write),
            (&mut item.delete, Kind::Write),
            (&mut item.patch, Kind::Write),
        ] {
            if let Some(op) = op {
                add_errors(op, path, kind, shadowed, &schemas);
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
}

/// The error statuses an operation can answer, each with an example whose code that operation
/// really returns (one the handler's description names for that status, else the code every such
/// operation answers with). Statuses the handler documents itself are left as they are.
fn add_errors(op: &mut Operation, path: &str, kind: Kind, shadowed: bool, schemas: &serde_json::Value) {
    let mut statuses: Vec<u16> = vec![400, 429, 500];
    if op.request_body.is_some() {
        statuses.extend([413, 415, 422]);
    }
    let scopes = required_scopes(op);
    if let Some(scopes) = &scopes {
        statuses.push(401);
        if kind == Kind::Write {
            // A change can meet a rule of the current state (a taken name, a unit with children).
            statuses.push(409);
        }
        if !scopes.is_empty() {
            statuses.push(403);
        }
    }
    if path.contains('{') {
        statuses.push(404);
    }
    if declares_header(op, "If-Match") {
        statuses.push(412);
    }
    if shadowed {
        statuses.push(405);
    }
    let text =
        format!("{} {}", op.summary.as_deref().unwrap_or_default(), op.description.as_deref().unwrap_or_default());
    let named = named_codes(&text);
    let permission = scopes.and_then(|s| s.into_iter().next()).unwrap_or_default();
    let field = first_body_field(op, schemas);
    for status in statuses {
        let code = named.iter().copied().find(|c| c.status() == status).unwrap_or_else(|| usual_code(status, op, path));
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem_response(code, path, &permission, field.as_ref())));
    }
}

/// The permissions the operation's `security` requirement names (`None`: no token needed).
fn required_scopes(op: &Operation) -> Option<Vec<String>> {
    let reqs = op.security.as_ref().filter(|s| !s.is_empty())?;
    let names = serde_json::to_value(reqs).unwrap_or_default();
    let scopes = names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_object())
        .flat_map(|r| r.values())
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Some(scopes)
}

fn declares_header(op: &Operation, name: &str) -> bool {
    parameters(op).any(|p| p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case(name))
}

/// The operation's parameters written out in it (not references).
fn parameters(op: &Operation) -> impl Iterator<Item = &utoipa::openapi::path::Parameter> {
    op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p),
        RefOr::Ref(_) => None,
    })
}

/// Codes the description names in backticks (`409 \`customer.duplicate\``).
fn named_codes(description: &str) -> Vec<Code> {
    description.split('`').skip(1).step_by(2).filter_map(Code::parse).collect()
}

/// The code every operation of this shape answers with for `status`.
fn usual_code(status: u16, op: &Operation, path: &str) -> Code {
    match status {
        400 if parameters(op).any(|p| p.parameter_in == ParameterIn::Query) => Code::RequestInvalidQuery,
        400 if path.contains('{') => Code::RequestInvalidPath,
        400 if op.request_body.is_some() => Code::RequestMalformedJson,
        400 => Code::RequestBadRequest,
        401 => Code::AuthMissingToken,
        403 => Code::PermissionDenied,
        404 => not_found_code(path),
        405 => Code::MethodNotAllowed,
        409 => Code::ResourceContention,
        412 => Code::ResourcePreconditionFailed,
        413 => Code::RequestBodyTooLarge,
        415 => Code::RequestUnsupportedMediaType,
        422 => Code::ValidationFailed,
        429 => Code::RateLimited,
        _ => Code::InternalError,
    }
}

/// `<entity>.not_found` for the collection the path's first parameter belongs to.
fn not_found_code(path: &str) -> Code {
    let segments: Vec<&str> = path.split('/').collect();
    let collection =
        segments.iter().position(|s| s.starts_with('{')).and_then(|i| i.checked_sub(1)).map(|i| segments[i]);
    let entity = match collection.unwrap_or_default() {
        "enrollment-applications" => "enrollment".to_owned(),
        "identities" => "member_identity".to_owned(),
        c => c.strip_suffix('s').unwrap_or(c).replace('-', "_"),
    };
    Code::parse(&format!("{entity}.not_found")).unwrap_or(Code::ResourceNotFound)
}

/// The first required property of the operation's JSON request body, as the field of a 422
/// example (`required`); else its first property (`invalid_type`).
fn first_body_field(op: &Operation, schemas: &serde_json::Value) -> Option<(String, bool)> {
    let body = serde_json::to_value(op.request_body.as_ref()?).ok()?;
    let mut schema = body.pointer("/content/application~1json/schema")?.clone();
    if let Some(name) = schema.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.rsplit('/').next()) {
        schema = schemas.get(name)?.clone();
    }
    let required = schema.get("required").and_then(|r| r.as_array()).and_then(|r| r.first()).and_then(|f| f.as_str());
    let first = schema.get("properties").and_then(|p| p.as_object()).and_then(|p| p.keys().next().map(String::as_str));
    required.map(|f| (format!("/{f}"), true)).or(first.map(|f| (format!("/{f}"), false)))
}

/// A problem response with one example of `code`.
fn problem_response(
    code: Code,
    path: &str,
    permission: &str,
    body_field: Option<&(String, bool)>,
) -> utoipa::openapi::Response {
    let (title, detail) = code.english();
    let args = [
        ("count", "1"),
        ("permission", permission),
        ("path", path),
        ("method", "PUT"),
        ("allow", "GET"),
        ("limit", "1048576"),
        ("retry_after", "1"),
        ("reason", "expected value at line 1 column 1"),
        ("entity", "resource"),
    ];
    let mut detail = detail.to_owned();
    for (k, v) in args {
        detail = detail.replace(&format!("{{{k}}}"), v);
    }
    let mut example = serde_json::json!({
        "type": format!("urn:crm:problem:{code}"), "title": title, "status": code.status(), "detail": detail,
        "code": code.as_str(), "instance": path, "request_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c",
    });
    let field = match code {
        Code::ValidationFailed => Some(("/", "invalid_type", "has the wrong type")),
        Code::RequestInvalidQuery => Some(("/unknown", "unknown_field", "is not a known field")),
        Code::RequestInvalidPath => Some(("/id", "invalid_value", "has a value that is not allowed")),
        _ => None,
    };
    if let Some((f, c, m)) = field {
        let (f, c, m) = match body_field {
            Some((b, true)) if code == Code::ValidationFailed => (b.as_str(), "required", "is required"),
            Some((b, false)) if code == Code::ValidationFailed => (b.as_str(), "invalid_type", "has the wrong type"),
            _ => (f, c, m),
        };
        example["errors"] = serde_json::json!([{"field": f, "code": c, "message": m}]);
    }
    ResponseBuilder::new()
        .description(title)
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).example(Some(example)).build(),
        )
        .build()
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
