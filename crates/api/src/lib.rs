//! crm-api: the HTTP layer. actix-web handlers, extractors, middleware, problem+json errors and
//! the OpenAPI document. Only this crate knows HTTP; handlers call one `crm-app` use case each.

pub mod extract;
pub mod i18n;
pub mod middleware;
pub mod openapi;
pub mod perm;
pub mod problem;
pub mod routes;
pub mod state;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, Error, web};
use routes::customers::{
    activity as customer_activity, batch as customer_batch, duplicates as customer_duplicates, list as customer_list,
    pool as customer_pool, records as customers, segments, tags,
};
use routes::identity::{api_clients, auth, org_units, positions, users};
use routes::loyalty::{carry_over, plans as points_plans, points, purchases};
use routes::membership::{card_numbers, enrollment, level_changes, member_levels, members};
use routes::platform::{audit, custom_fields, health, settings, tenants};
use routes::{fallback, integration};
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
    app.service(health::healthz).service(health::readyz).service(health::metrics).service(
        scope::scope("/api/v1")
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::token)
            .service(tenants::create_tenant)
            .service(tenants::list_tenants)
            .service(org_units::create_org_unit)
            .service(org_units::list_org_units)
            .service(org_units::get_org_unit)
            .service(org_units::update_org_unit)
            .service(org_units::delete_org_unit)
            .service(positions::list_permissions)
            .service(positions::create_position)
            .service(positions::list_positions)
            .service(positions::get_position)
            .service(positions::update_position)
            .service(positions::delete_position)
            .service(users::me)
            .service(users::create_user)
            .service(users::list_users)
            .service(users::get_user)
            .service(users::update_user)
            .service(users::disable_user)
            .service(users::enable_user)
            .service(users::reset_password)
            .service(api_clients::create_api_client)
            .service(api_clients::list_api_clients)
            .service(api_clients::get_api_client)
            .service(api_clients::rotate_api_client_secret)
            .service(api_clients::revoke_api_client)
            .service(audit::audit_log)
            .service(customers::create_customer)
            .service(customer_list::list_customers)
            // Fixed paths before `/customers/{id}`, which would otherwise take them.
            .service(customers::customer_changes)
            .service(customer_batch::batch_upsert)
            .service(customer_pool::list_pool)
            .service(customer_duplicates::list_duplicates)
            .service(customers::get_customer)
            .service(customers::update_customer)
            .service(customers::delete_customer)
            .service(customers::restore_customer)
            .service(customers::grade_history)
            .service(customer_pool::claim_customer)
            .service(customer_pool::release_customer)
            .service(customer_duplicates::merge_customers)
            .service(customer_activity::add_contact)
            .service(customer_activity::list_contacts)
            .service(customer_activity::update_contact)
            .service(customer_activity::delete_contact)
            .service(customer_activity::add_interaction)
            .service(customer_activity::timeline)
            .service(tags::create_tag)
            .service(tags::list_tags)
            .service(tags::delete_tag)
            .service(segments::create_segment)
            .service(segments::list_segments)
            // Fixed paths before `/segments/{id}`.
            .service(segments::preview_segment)
            .service(segments::get_segment)
            .service(segments::update_segment)
            .service(segments::delete_segment)
            .service(segments::count_segment)
            .service(segments::segment_members)
            .service(segments::add_segment_members)
            .service(segments::remove_segment_members)
            .service(segments::explain_segment)
            .service(custom_fields::create_custom_field)
            .service(custom_fields::list_custom_fields)
            .service(custom_fields::update_custom_field)
            .service(custom_fields::delete_custom_field)
            .service(settings::get_settings)
            .service(settings::update_settings)
            .service(member_levels::create_level)
            .service(member_levels::list_levels)
            .service(member_levels::get_level)
            .service(member_levels::update_level)
            .service(member_levels::delete_level)
            .service(card_numbers::create_batch)
            .service(card_numbers::add_card_number)
            .service(card_numbers::list_card_numbers)
            .service(card_numbers::delete_card_number)
            .service(enrollment::submit_application)
            .service(enrollment::list_applications)
            .service(enrollment::import_applications)
            .service(enrollment::bulk_approve)
            .service(enrollment::bulk_reject)
            .service(enrollment::get_application)
            .service(enrollment::update_application)
            .service(enrollment::approve_application)
            .service(enrollment::reject_application)
            .service(members::list_members)
            .service(members::lookup_member)
            .service(level_changes::bulk_level)
            .service(members::get_member)
            .service(members::update_member)
            .service(members::report_lost)
            .service(members::unreport_lost)
            .service(members::replace_card)
            .service(members::cancel_member)
            .service(level_changes::change_level)
            .service(level_changes::level_history)
            .service(members::link_identity)
            .service(members::unlink_identity)
            .service(points::member_points)
            .service(points::member_entries)
            .service(points::add_entries)
            .service(points::add_entry)
            .service(points::check_ledger)
            .service(points_plans::create_plan)
            .service(points_plans::list_plans)
            .service(points_plans::get_plan)
            .service(points_plans::update_plan)
            .service(carry_over::carry_over)
            .service(carry_over::list_runs)
            .service(carry_over::get_run)
            .service(carry_over::reverse_run)
            .service(carry_over::redeem_rewards)
            .service(carry_over::list_rewards)
            .service(carry_over::get_reward)
            .service(carry_over::update_reward)
            .service(purchases::record_purchase)
            .service(purchases::list_purchases)
            .service(purchases::get_purchase)
            .service(purchases::record_payment)
            .service(purchases::record_refund)
            .service(purchases::cancel_purchase)
            .service(integration::outbox::list_outbox_events)
            // Served beside the API; `.route` keeps it out of the document it serves.
            .route("/openapi.json", web::get().to(openapi::serve)),
    )
}

/// The OpenAPI document, exactly as served at [`OPENAPI_PATH`] and printed by `crm openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = register(App::new().into_utoipa_app().openapi(openapi::ApiDoc::openapi())).split_for_parts();
    openapi::complete(api)
}

/// The whole HTTP application: routes, docs, fallback, middleware.
pub fn app(
    state: web::Data<ApiState>,
    settings: ApiSettings,
    limits: web::Data<middleware::rate_limit::RateLimiters>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, api) = register(App::new().into_utoipa_app().openapi(openapi::ApiDoc::openapi())).split_for_parts();
    let api = openapi::complete(api);
    let table =
        fallback::RouteTable::from_openapi(&api, &[(OPENAPI_PATH, "GET"), ("/docs", "GET"), ("/docs/{file}", "GET")]);
    let ui = SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from(OPENAPI_PATH));
    app.app_data(state)
        .app_data(web::Data::new(settings))
        .app_data(web::Data::new(table))
        .app_data(limits)
        .app_data(web::Data::new(openapi::Served(api)))
        .service(web::redirect("/docs", "/docs/"))
        .service(ui)
        .default_service(web::to(fallback::not_routed))
        .wrap(from_fn(middleware::rate_limit::by_address))
        .wrap(from_fn(middleware::problem::render))
        .wrap(from_fn(middleware::metrics::record))
        .wrap(from_fn(middleware::request_context::request_context))
}
