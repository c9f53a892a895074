//! The audit log: actor, request id, time, entity and changed fields, secrets redacted.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(changes_are_audited_with_actor_request_and_fields);

async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app.get_auth(&format!("/api/v1/audit-log?{query}"), token).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

async fn changes_are_audited_with_actor_request_and_fields(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let me: Value = app.get_auth("/api/v1/me", &admin).await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap();

    let res = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("x-request-id", "audit-req-1")
        .json(&json!({"username": "chen", "password": "chen-pass-1234", "display_name": "陈"}))
        .send()
        .await
        .unwrap();
    let user: Value = res.json().await.unwrap();
    let uid = user["id"].as_str().unwrap();
    app.patch_auth(&format!("/api/v1/users/{uid}"), &admin, &json!({"display_name": "陈先生"})).await;
    app.post_auth(&format!("/api/v1/users/{uid}/reset-password"), &admin, &json!({"password": "chen-new-pass-5"}))
        .await;
    app.post_auth(&format!("/api/v1/users/{uid}/disable"), &admin, &json!({})).await;

    let log = entries(&app, &admin, &format!("entity_type=user&entity_id={uid}")).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["disable", "reset_password", "update", "create"], "newest first");
    let create = &log[3];
    assert_eq!((create["actor_type"].as_str(), create["actor_id"].as_str()), (Some("user"), Some(admin_id)));
    assert_eq!(create["request_id"], "audit-req-1");
    assert_eq!(create["changes"]["username"], "chen");
    assert!(chrono::DateTime::parse_from_rfc3339(create["occurred_at"].as_str().unwrap()).is_ok());
    assert_eq!(log[2]["changes"], json!({"display_name": {"from": "陈", "to": "陈先生"}}));
    assert_eq!(log[1]["changes"], json!({"password": "***"}));
    assert_eq!(log[0]["changes"], json!({"status": {"from": "active", "to": "disabled"}}));
    let all = serde_json::to_string(&entries(&app, &admin, "limit=500").await).unwrap();
    assert!(
        !all.contains("chen-pass-1234") && !all.contains("chen-new-pass-5") && !all.contains("$argon2"),
        "no secrets"
    );

    // Changes made by an integration client name the client.
    let c = app.create("/api/v1/api-clients", &admin, json!({"name": "HR sync", "scopes": ["org_units:write"]})).await;
    let t: Value = app
        .post_json("/api/v1/auth/token", &json!({"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"]}))
        .await
        .json()
        .await
        .unwrap();
    let unit = app.unit(t["access_token"].as_str().unwrap(), "Synced", "team", None).await;
    let log = entries(&app, &admin, &format!("entity_id={unit}")).await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0]["actor_type"].as_str(), log[0]["actor_id"].clone()), (Some("api_client"), c["id"].clone()));
    let secret_log = entries(&app, &admin, &format!("entity_id={}", c["id"].as_str().unwrap())).await;
    assert_eq!(secret_log[0]["changes"]["secret"], "***");

    // Filters: by actor, by time; paging.
    let by_client = entries(&app, &admin, &format!("actor_id={}", c["id"].as_str().unwrap())).await;
    assert_eq!(by_client.len(), 1);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let q = format!("from={}", future.replace('+', "%2B"));
    assert!(entries(&app, &admin, &q).await.is_empty());
    let page: Value = app.get_auth("/api/v1/audit-log?limit=2", &admin).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next_cursor"].as_str().unwrap();
    let page2: Value =
        app.get_auth(&format!("/api/v1/audit-log?limit=2&cursor={next}"), &admin).await.json().await.unwrap();
    assert_ne!(page["items"][0]["id"], page2["items"][0]["id"]);

    // Reading the log is itself a permission.
    let (_, plain) = app.user_with(&admin, "plain", None, &[]).await;
    problem(app.get_auth("/api/v1/audit-log", &plain).await, 403, "permission.denied").await;
}
