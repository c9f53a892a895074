//! Request ids, health and Prometheus metrics.

use crate::helpers::{Db, TestApp};
use crate::on_both_dbs;

on_both_dbs!(request_ids_are_echoed_or_generated, metrics_count_requests_by_route_and_status);

async fn request_ids_are_echoed_or_generated(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.http.get(app.url("/healthz")).header("x-request-id", "sales-office-42").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "sales-office-42");

    let res = app.get("/healthz").await;
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");

    // An unusable id (too long or odd characters) is replaced, not echoed.
    let res = app.http.get(app.url("/healthz")).header("x-request-id", "a".repeat(300)).send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"].len(), 300);
    let res = app.http.get(app.url("/nope")).header("x-request-id", "bad id<>").send().await.unwrap();
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(rid, "bad id<>");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], rid);
}

async fn metrics_count_requests_by_route_and_status(db: Db) {
    let app = TestApp::spawn(db).await;
    let token = app.admin_token().await;
    let id = uuid::Uuid::now_v7();
    for _ in 0..3 {
        assert_eq!(app.get_auth(&format!("/api/v1/users/{id}"), &token).await.status(), 404);
    }
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    // The recorder is process-wide, so other tests add to the same counters: check presence.
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(r#"route="/api/v1/users/{id}""#)
                && l.contains(r#"status="404""#)
                && l.contains(r#"method="GET""#)
        })
        .unwrap_or_else(|| panic!("no counter for GET /api/v1/users/{{id}} 404 in\n{text}"));
    let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3.0, "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket{"), "latency histogram");
    assert!(text.contains("db_pool_connections{"), "pool gauge");
    assert!(text.contains("db_pool_max_connections{"), "pool max gauge");
    // Unknown paths share one label instead of creating a series per path.
    app.get("/random/path/123").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(!text.contains("/random/path/123"));
    assert!(text.contains(r#"route="unmatched""#));
}
