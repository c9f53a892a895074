//! Permissions and tenant isolation on every endpoint, driven by the OpenAPI document so a new
//! endpoint is covered the day it is registered.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(
    every_permissioned_operation_enforces_exactly_its_declared_permission,
    ids_of_another_tenant_answer_404_everywhere,
    only_platform_admins_create_tenants,
    mass_assignment_fields_are_refused_and_nothing_is_applied,
);

/// `(method, path, permission)` for every operation whose `security` names a permission.
fn permissioned_operations() -> Vec<(String, String, String)> {
    let spec = serde_json::to_value(crm_api::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let perms: Vec<String> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["bearer"].as_array())
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            if let [perm] = perms.as_slice() {
                out.push((method.to_uppercase(), path.clone(), perm.clone()));
            }
        }
    }
    out
}

async fn every_permissioned_operation_enforces_exactly_its_declared_permission(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let (_, nobody) = app.user_with(&admin, "nobody", None, &[]).await;
    let ops = permissioned_operations();
    assert!(ops.len() >= 20, "the document declares permissions: {ops:?}");
    let fake = uuid::Uuid::now_v7().to_string();
    for (method, path, perm) in &ops {
        // Every path parameter (`{id}`, `{customer_id}`, ...) gets the same unknown id.
        let url = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { fake.as_str() } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = (m != reqwest::Method::GET && m != reqwest::Method::DELETE).then(|| json!({}));
        let res = app.send(m.clone(), &url, &nobody, body.as_ref()).await;
        let p = problem(res, 403, "permission.denied").await;
        assert!(p["detail"].as_str().unwrap().contains(perm.as_str()), "{method} {path}: {p}");

        // Holding exactly that permission gets past the check (platform-only ones are the
        // platform admin's, which the 403 above already proves are enforced).
        if perm.starts_with("tenants:") {
            continue;
        }
        let name = format!("only-{}", perm.replace(':', "-"));
        let holder = app.create(
            "/api/v1/users",
            &admin,
            json!({"username": format!("{name}-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]), "password": "user-pass-1234", "display_name": name, "grants": [perm]}),
        ).await;
        let token = app.login(holder["username"].as_str().unwrap(), "user-pass-1234").await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app.send(m, &url, &token, body.as_ref()).await;
        assert_ne!(res.status(), 403, "{method} {path} with {perm}");
    }
}

async fn ids_of_another_tenant_answer_404_everywhere(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    app.create(
        "/api/v1/tenants",
        &admin,
        json!({"code": "beta", "name": "Beta", "admin_username": "boss", "admin_password": "beta-pass-1234"}),
    )
    .await;
    let beta = app.login_in("beta", "boss", "beta-pass-1234").await;
    let unit = app.unit(&beta, "Beta team", "team", None).await;
    let position = app.position(&beta, "Beta sales", "self", &["users:read"]).await;
    let (user, _) = app.user_in("beta", &beta, "beta.user", Some(&unit), &[&position]).await;
    let client = app.create("/api/v1/api-clients", &beta, json!({"name": "beta sync", "scopes": ["users:read"]})).await;
    let client = client["id"].as_str().unwrap().to_owned();
    let customer = app.create("/api/v1/customers", &beta, json!({"name": "Beta org", "kind": "organization"})).await;
    let customer = customer["id"].as_str().unwrap().to_owned();
    let contact =
        app.create(&format!("/api/v1/customers/{customer}/contacts"), &beta, json!({"name": "Beta contact"})).await;
    let contact = contact["id"].as_str().unwrap().to_owned();

    let cases: Vec<(reqwest::Method, &str, &str, Option<Value>, &str)> = vec![
        (reqwest::Method::GET, "/api/v1/org-units/{}", &unit, None, "org_unit.not_found"),
        (reqwest::Method::PATCH, "/api/v1/org-units/{}", &unit, Some(json!({"name": "x"})), "org_unit.not_found"),
        (reqwest::Method::DELETE, "/api/v1/org-units/{}", &unit, None, "org_unit.not_found"),
        (reqwest::Method::GET, "/api/v1/positions/{}", &position, None, "position.not_found"),
        (reqwest::Method::PATCH, "/api/v1/positions/{}", &position, Some(json!({"name": "x"})), "position.not_found"),
        (reqwest::Method::DELETE, "/api/v1/positions/{}", &position, None, "position.not_found"),
        (reqwest::Method::GET, "/api/v1/users/{}", &user, None, "user.not_found"),
        (reqwest::Method::PATCH, "/api/v1/users/{}", &user, Some(json!({"display_name": "x"})), "user.not_found"),
        (reqwest::Method::POST, "/api/v1/users/{}/disable", &user, Some(json!({})), "user.not_found"),
        (reqwest::Method::POST, "/api/v1/users/{}/enable", &user, Some(json!({})), "user.not_found"),
        (
            reqwest::Method::POST,
            "/api/v1/users/{}/reset-password",
            &user,
            Some(json!({"password": "hijack-pass-1"})),
            "user.not_found",
        ),
        (reqwest::Method::GET, "/api/v1/api-clients/{}", &client, None, "api_client.not_found"),
        (
            reqwest::Method::POST,
            "/api/v1/api-clients/{}/rotate-secret",
            &client,
            Some(json!({})),
            "api_client.not_found",
        ),
        (reqwest::Method::POST, "/api/v1/api-clients/{}/revoke", &client, Some(json!({})), "api_client.not_found"),
        (reqwest::Method::GET, "/api/v1/customers/{}", &customer, None, "customer.not_found"),
        (reqwest::Method::PATCH, "/api/v1/customers/{}", &customer, Some(json!({"name": "x"})), "customer.not_found"),
        (reqwest::Method::DELETE, "/api/v1/customers/{}", &customer, None, "customer.not_found"),
        (reqwest::Method::POST, "/api/v1/customers/{}/restore", &customer, Some(json!({})), "customer.not_found"),
        (reqwest::Method::GET, "/api/v1/customers/{}/grade-history", &customer, None, "customer.not_found"),
        (reqwest::Method::GET, "/api/v1/customers/{}/contacts", &customer, None, "customer.not_found"),
        (
            reqwest::Method::POST,
            "/api/v1/customers/{}/contacts",
            &customer,
            Some(json!({"name": "x"})),
            "customer.not_found",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/customers/{}/interactions",
            &customer,
            Some(json!({"kind": "note", "summary": "x"})),
            "customer.not_found",
        ),
        (reqwest::Method::GET, "/api/v1/customers/{}/timeline", &customer, None, "customer.not_found"),
        (reqwest::Method::PATCH, "/api/v1/contacts/{}", &contact, Some(json!({"name": "x"})), "contact.not_found"),
        (reqwest::Method::DELETE, "/api/v1/contacts/{}", &contact, None, "contact.not_found"),
    ];
    for (m, template, id, body, code) in cases {
        let path = template.replace("{}", id);
        let foreign = problem(app.send(m.clone(), &path, &admin, body.as_ref()).await, 404, code).await;
        // Indistinguishable from an id that exists nowhere.
        let missing_path = template.replace("{}", &uuid::Uuid::now_v7().to_string());
        let missing = problem(app.send(m, &missing_path, &admin, body.as_ref()).await, 404, code).await;
        assert_eq!(
            (foreign["title"].clone(), foreign["detail"].clone()),
            (missing["title"].clone(), missing["detail"].clone()),
            "{path}"
        );
    }
    // Nothing of beta's changed, and beta's lists never show default's data.
    let u: Value = app.get_auth(&format!("/api/v1/users/{user}"), &beta).await.json().await.unwrap();
    assert_eq!((u["display_name"].as_str(), u["status"].as_str()), (Some("beta.user"), Some("active")));
    let c: Value = app.get_auth(&format!("/api/v1/api-clients/{client}"), &beta).await.json().await.unwrap();
    assert_eq!(c["status"], "active");
    app.login_in("beta", "beta.user", "user-pass-1234").await;
    let users: Value = app.get_auth("/api/v1/users", &beta).await.json().await.unwrap();
    let names: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["boss", "beta.user"]);
    let audit: Value = app.get_auth("/api/v1/audit-log?limit=500", &beta).await.json().await.unwrap();
    assert!(
        audit["items"].as_array().unwrap().iter().all(|e| e["entity_type"] != "tenant"),
        "default's entries stay in default"
    );
}

async fn only_platform_admins_create_tenants(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let body = json!({"code": "store-sh-01", "name": "上海一店", "admin_username": "manager", "admin_password": "store-pass-123"});
    let t = app.create("/api/v1/tenants", &admin, body.clone()).await;
    assert_eq!(t["code"], "store-sh-01");
    problem(app.post_auth("/api/v1/tenants", &admin, &body).await, 409, "tenant.code_taken").await;
    let list: Value = app.get_auth("/api/v1/tenants", &admin).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // The new tenant's admin runs their own tenant but not the platform.
    let store_admin = app.login_in("store-sh-01", "manager", "store-pass-123").await;
    let res = app
        .post_auth(
            "/api/v1/tenants",
            &store_admin,
            &json!({"code": "evil", "name": "x", "admin_username": "x", "admin_password": "xxxxxxxxxx"}),
        )
        .await;
    problem(res, 403, "permission.denied").await;
    problem(app.get_auth("/api/v1/tenants", &store_admin).await, 403, "permission.denied").await;
    app.unit(&store_admin, "门店", "company", None).await;
    let me: Value = app.get_auth("/api/v1/me", &store_admin).await.json().await.unwrap();
    assert_eq!((me["is_platform_admin"].as_bool(), me["tenant_id"].clone()), (Some(false), t["id"].clone()));
    let res = app
        .post_auth(
            "/api/v1/tenants",
            &admin,
            &json!({"code": "Bad Code", "name": "", "admin_username": "a", "admin_password": "x"}),
        )
        .await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 4);
}

async fn mass_assignment_fields_are_refused_and_nothing_is_applied(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let before: Value = app.get_auth("/api/v1/users", &admin).await.json().await.unwrap();
    for (field, value) in [
        ("tenant_id", json!(uuid::Uuid::now_v7())),
        ("id", json!(uuid::Uuid::now_v7())),
        ("created_by", json!("x")),
        ("is_platform_admin", json!(true)),
    ] {
        let mut body = json!({"username": "sneaky", "password": "user-pass-1234", "display_name": "S"});
        body[field] = value;
        let p = problem(app.post_auth("/api/v1/users", &admin, &body).await, 422, "validation.failed").await;
        assert_eq!(p["errors"][0]["field"], format!("/{field}"));
        assert_eq!(p["errors"][0]["code"], "unknown_field");
    }
    let res = app
        .post_auth(
            "/api/v1/org-units",
            &admin,
            &json!({"name": "x", "kind": "team", "tenant_id": uuid::Uuid::now_v7()}),
        )
        .await;
    problem(res, 422, "validation.failed").await;
    let after: Value = app.get_auth("/api/v1/users", &admin).await.json().await.unwrap();
    assert_eq!(before["items"].as_array().unwrap().len(), after["items"].as_array().unwrap().len());
    let units: Value = app.get_auth("/api/v1/org-units", &admin).await.json().await.unwrap();
    assert!(units["items"].as_array().unwrap().is_empty());
}
