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
        (name = "users", description = "Staff users"),
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
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        let problem = ResponseBuilder::new()
            .description("Problem details (RFC 9457)")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        components
            .responses
            .insert("Problem".to_owned(), RefOr::T(problem));
    }
}

/// The finished document, shared with the handler that serves it.
pub struct Served(pub Doc);

/// `GET /api/v1/openapi.json`.
pub async fn serve(doc: actix_web::web::Data<Served>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(&doc.0)
}

/// Adds the error responses an operation can give, unless it documents them itself:
/// 400 and 500 always; 413, 415 and 422 with a body; 401 when it needs a token.
pub fn complete(mut api: Doc) -> Doc {
    api.openapi = utoipa::openapi::OpenApiVersion::Version31;
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            add_errors(op);
        }
    }
    api
}

fn add_errors(op: &mut Operation) {
    let mut codes = vec!["400", "500"];
    if op.request_body.is_some() {
        codes.extend(["413", "415", "422"]);
    }
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        codes.push("401");
    }
    for code in codes {
        op.responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Problem")));
    }
}
