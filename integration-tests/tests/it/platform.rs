//! Start-up: migrations from empty, the bootstrap tenant and admin, restarts, readiness.

use crate::helpers::{ADMIN_PASSWORD, Db, TestApp, test_config};
use crate::on_both_dbs;
use crm_domain::identity::UserStatus;
use crm_domain::ids::TenantId;
use crm_domain::platform::TenantCode;
use crm_store::identity::users;
use crm_store::platform::tenants;
use sea_orm::ConnectionTrait;
use serde_json::json;

on_both_dbs!(
    fresh_database_is_migrated_and_bootstrapped,
    restart_keeps_data_and_bootstraps_nothing,
    generated_admin_password_is_reported_and_works,
    readyz_is_503_while_a_migration_is_pending,
    users_of_another_tenant_are_not_found,
);

async fn fresh_database_is_migrated_and_bootstrapped(db: Db) {
    let app = TestApp::spawn(db).await;
    let store = app.store().await;
    assert_eq!(store.pending_migrations().await.unwrap(), 0);

    let tenant = tenants::find_by_code(store.conn(), "default").await.unwrap().expect("tenant default");
    let admin = users::find_by_username(store.conn(), tenant.id, "admin").await.unwrap().expect("admin");
    assert!(admin.is_platform_admin);
    assert_eq!(admin.status, UserStatus::Active);
    assert!(admin.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "argon2id at OWASP parameters");
    assert!(app.bootstrap_password.is_none(), "configured password is not echoed");

    let token = app.admin_token().await;
    let me: serde_json::Value = app.get_auth("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["username"], "admin");
    assert_eq!(me["tenant_id"], tenant.id.to_string());
    assert_eq!(me["id"], admin.id.to_string());
    assert!(me.get("password_hash").is_none());
}

async fn restart_keeps_data_and_bootstraps_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let first_token = app.admin_token().await;
    let db = app.stop().await;

    let mut config = test_config(&db);
    config.admin_password = Some("another-password-9".into());
    let app = TestApp::start(db, config).await;
    // The admin keeps the first password: bootstrap only acts on an empty database.
    let res =
        app.post_json("/api/v1/auth/login", &json!({"username": "admin", "password": "another-password-9"})).await;
    assert_eq!(res.status(), 401);
    app.admin_token().await;
    // The JWT key was kept in the database, so tokens survive a restart.
    assert_eq!(app.get_auth("/api/v1/me", &first_token).await.status(), 200);
    let store = app.store().await;
    let tenant = tenants::find_by_code(store.conn(), "default").await.unwrap().unwrap();
    assert_eq!(users::count(store.conn(), tenant.id).await.unwrap(), 1);
}

async fn generated_admin_password_is_reported_and_works(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.admin_password = None).await;
    let pw = app.bootstrap_password.clone().expect("a generated password is reported once");
    assert!(pw.len() >= 16);
    assert_ne!(pw, ADMIN_PASSWORD);
    app.login("admin", &pw).await;
}

async fn readyz_is_503_while_a_migration_is_pending(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ready");

    let store = app.store().await;
    // Forget the newest migration, as if a newer binary's migration had not run yet.
    store
        .conn()
        .execute_unprepared("DELETE FROM seaql_migrations WHERE version = (SELECT MAX(version) FROM seaql_migrations)")
        .await
        .unwrap();
    let body = crate::helpers::problem(app.get("/readyz").await, 503, "service.unavailable").await;
    assert!(body["detail"].as_str().unwrap().contains("1 migrations pending"), "{body}");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn users_of_another_tenant_are_not_found(db: Db) {
    let app = TestApp::spawn(db).await;
    let store = app.store().await;
    let code = TenantCode::parse("/code", "other").unwrap();
    let other = tenants::insert(store.conn(), tenants::NewTenant { id: TenantId::new(), code: &code, name: "Other" })
        .await
        .unwrap();
    let stranger = users::insert(
        store.conn(),
        users::NewUser {
            tenant_id: other.id,
            id: crm_domain::ids::UserId::new(),
            username: "stranger",
            password_hash: "x",
            display_name: "Stranger",
            status: UserStatus::Active,
            is_platform_admin: false,
            org_unit_id: None,
        },
    )
    .await
    .unwrap();
    let token = app.admin_token().await;

    let missing = app.get_auth(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()), &token).await;
    let missing = crate::helpers::problem(missing, 404, "user.not_found").await;
    let foreign = app.get_auth(&format!("/api/v1/users/{}", stranger.id), &token).await;
    let foreign = crate::helpers::problem(foreign, 404, "user.not_found").await;
    assert_eq!(missing["title"], foreign["title"]);
    assert_eq!(missing["detail"], foreign["detail"]);

    let list: serde_json::Value = app.get_auth("/api/v1/users", &token).await.json().await.unwrap();
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["admin"]);
    assert_eq!(list["next_cursor"], serde_json::Value::Null);
}
