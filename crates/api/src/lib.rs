//! crm-api: the HTTP layer. actix-web handlers, extractors, middleware, problem+json errors and
//! the OpenAPI document. Only this crate knows HTTP; handlers call one `crm-app` use case each.

pub mod extract;
pub mod i18n;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod state;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, Error, web};
use routes::{auth, fallback, health, users};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

pub use state::{ApiSettings, ApiState};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

fn register<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
{
    app.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            scope::scope("/api/v1")
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(users::me)
                .service(users::list_users)
                .service(users::get_user)
                // Served beside the API; `.route` keeps it out of the document it serves.
                .route("/openapi.json", web::get().to(openapi::serve)),
        )
}

/// The OpenAPI document, exactly as served at [`OPENAPI_PATH`] and printed by `crm openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = register(
        App::new()
            .into_utoipa_app()
            .openapi(openapi::ApiDoc::openapi()),
    )
    .split_for_parts();
    openapi::complete(api)
}

/// The whole HTTP application: routes, docs, fallback, middleware.
pub fn app(
    state: web::Data<ApiState>,
    settings: ApiSettings,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, api) = register(
        App::new()
            .into_utoipa_app()
            .openapi(openapi::ApiDoc::openapi()),
    )
    .split_for_parts();
    let api = openapi::complete(api);
    let table = fallback::RouteTable::from_openapi(
        &api,
        &[
            (OPENAPI_PATH, "GET"),
            ("/docs", "GET"),
            ("/docs/{file}", "GET"),
        ],
    );
    let ui = SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from(OPENAPI_PATH));
    app.app_data(state)
        .app_data(web::Data::new(settings))
        .app_data(web::Data::new(table))
        .app_data(web::Data::new(openapi::Served(api)))
        .service(web::redirect("/docs", "/docs/"))
        .service(ui)
        .default_service(web::to(fallback::not_routed))
        .wrap(from_fn(middleware::problem::render))
        .wrap(from_fn(middleware::metrics::record))
        .wrap(from_fn(middleware::request_context::request_context))
}
