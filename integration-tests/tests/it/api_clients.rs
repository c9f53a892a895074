//! Integration clients: secrets shown once, scoped tokens, rotation and revocation.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(client_credentials_give_a_token_limited_to_the_scopes, rotation_and_revocation_take_effect_at_once);

async fn token(app: &TestApp, client_id: &str, secret: &str, scope: Option<&str>) -> reqwest::Response {
    let mut body = json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret});
    if let Some(s) = scope {
        body["scope"] = json!(s);
    }
    app.post_json("/api/v1/auth/token", &body).await
}

async fn client_credentials_give_a_token_limited_to_the_scopes(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let c = app
        .create(
            "/api/v1/api-clients",
            &admin,
            json!({"name": "Sales office", "scopes": ["users:read", "org_units:read"]}),
        )
        .await;
    let (id, client_id, secret) =
        (c["id"].as_str().unwrap(), c["client_id"].as_str().unwrap(), c["client_secret"].as_str().unwrap());
    assert!(client_id.starts_with("cli_"));
    assert!(secret.len() >= 40);
    // The secret is shown once: never in reads.
    let read: Value = app.get_auth(&format!("/api/v1/api-clients/{id}"), &admin).await.json().await.unwrap();
    assert!(read.get("client_secret").is_none());
    assert!(!read.to_string().contains(secret));
    assert_eq!(read["scopes"], json!(["org_units:read", "users:read"]));

    let res = token(&app, client_id, secret, None).await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!((t["token_type"].as_str(), t["scope"].as_str()), (Some("Bearer"), Some("org_units:read users:read")));
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/v1/users", at).await.status(), 200);
    assert_eq!(app.get_auth("/api/v1/org-units", at).await.status(), 200);
    let res = app.post_auth("/api/v1/users", at, &json!({"username": "x", "password": "y", "display_name": "z"})).await;
    problem(res, 403, "permission.denied").await;
    problem(app.get_auth("/api/v1/me", at).await, 403, "auth.user_required").await;

    // A narrower token on request; a scope the client lacks is refused.
    let narrow: Value = token(&app, client_id, secret, Some("users:read")).await.json().await.unwrap();
    let nt = narrow["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/v1/users", nt).await.status(), 200);
    problem(app.get_auth("/api/v1/org-units", nt).await, 403, "permission.denied").await;
    let p = problem(token(&app, client_id, secret, Some("users:write")).await, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["code"], "scope_not_granted");

    problem(token(&app, client_id, "wrong-secret", None).await, 401, "auth.invalid_client").await;
    problem(token(&app, "cli_nobody", secret, None).await, 401, "auth.invalid_client").await;
    let res = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"grant_type": "password", "client_id": client_id, "client_secret": secret}),
        )
        .await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["field"], "/grant_type");

    let res = app.post_auth("/api/v1/api-clients", &admin, &json!({"name": "x", "scopes": []})).await;
    problem(res, 422, "validation.failed").await;
    let res = app.post_auth("/api/v1/api-clients", &admin, &json!({"name": "x", "scopes": ["tenants:write"]})).await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["code"], "permission_platform_only");
    let list: Value = app.get_auth("/api/v1/api-clients", &admin).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn rotation_and_revocation_take_effect_at_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let c = app.create("/api/v1/api-clients", &admin, json!({"name": "Website", "scopes": ["users:read"]})).await;
    let (id, client_id, old) =
        (c["id"].as_str().unwrap(), c["client_id"].as_str().unwrap(), c["client_secret"].as_str().unwrap());
    let before: Value = token(&app, client_id, old, None).await.json().await.unwrap();

    let res = app.post_auth(&format!("/api/v1/api-clients/{id}/rotate-secret"), &admin, &json!({})).await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new, old);
    problem(token(&app, client_id, old, None).await, 401, "auth.invalid_client").await;
    let t: Value = token(&app, client_id, new, None).await.json().await.unwrap();
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/v1/users", at).await.status(), 200);

    let res = app.post_auth(&format!("/api/v1/api-clients/{id}/revoke"), &admin, &json!({})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "revoked");
    // Tokens already issued stop working on the next request.
    problem(app.get_auth("/api/v1/users", at).await, 401, "auth.client_revoked").await;
    problem(app.get_auth("/api/v1/users", before["access_token"].as_str().unwrap()).await, 401, "auth.client_revoked")
        .await;
    problem(token(&app, client_id, new, None).await, 401, "auth.invalid_client").await;
    let res = app.post_auth(&format!("/api/v1/api-clients/{id}/rotate-secret"), &admin, &json!({})).await;
    problem(res, 409, "api_client.revoked").await;
}
