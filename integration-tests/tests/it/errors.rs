//! Every failure is problem+json with the right status and a stable code, in English or Chinese.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::json;

on_both_dbs!(
    unknown_route_is_404,
    wrong_method_is_405_with_allow,
    malformed_json_is_400,
    wrong_content_type_is_415,
    body_over_the_limit_is_413,
    schema_violations_are_422_with_field_paths,
    invalid_path_and_query_parameters_are_400,
    missing_or_bad_token_is_401,
    messages_follow_accept_language,
);

async fn unknown_route_is_404(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = problem(app.get("/api/v1/no-such-thing").await, 404, "route.not_found").await;
    assert_eq!(body["instance"], "/api/v1/no-such-thing");
    assert!(body["detail"].as_str().unwrap().contains("/api/v1/no-such-thing"));
}

async fn wrong_method_is_405_with_allow(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.http.delete(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    problem(res, 405, "method.not_allowed").await;
    let res = app.http.post(app.url("/api/v1/users/0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET, PATCH");
    problem(res, 405, "method.not_allowed").await;
    // A fixed route that also fits a `{id}` route: the fixed route's methods decide.
    let token = app.admin_token().await;
    for method in [reqwest::Method::PATCH, reqwest::Method::OPTIONS, reqwest::Method::PUT] {
        let res =
            app.http.request(method, app.url("/api/v1/customers/changes")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.headers()["allow"], "GET");
        problem(res, 405, "method.not_allowed").await;
    }
}

async fn malformed_json_is_400(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"username": "admin", "password": "#)
        .send()
        .await
        .unwrap();
    let body = problem(res, 400, "request.malformed_json").await;
    assert!(body["detail"].as_str().unwrap().contains("line 1"), "{body}");
}

async fn wrong_content_type_is_415(db: Db) {
    let app = TestApp::spawn(db).await;
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut req = app.http.post(app.url("/api/v1/auth/login")).body(r#"{"username":"a","password":"b"}"#);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        problem(req.send().await.unwrap(), 415, "request.unsupported_media_type").await;
    }
    // A +json media type is JSON.
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"username":"admin","password":"wrong-password"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn body_over_the_limit_is_413(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.body_limit = 1024).await;
    let big = "x".repeat(2000);
    let body = problem(
        app.post_json("/api/v1/auth/login", &json!({"username": "admin", "password": big})).await,
        413,
        "request.body_too_large",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("1024"), "{body}");
    // Without a Content-Length (chunked), the limit still holds.
    let chunk = format!("{{\"username\":\"{}\"}}", "y".repeat(1500));
    let raw = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    let answer = raw_http(&app, &raw).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("request.body_too_large"), "{answer}");
    // Under the limit is fine.
    let ok = app
        .post_json("/api/v1/auth/login", &json!({"username": "admin", "password": crate::helpers::ADMIN_PASSWORD}))
        .await;
    assert_eq!(ok.status(), 200);
}

/// Sends a raw HTTP/1.1 request and returns the whole answer as text.
async fn raw_http(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

async fn schema_violations_are_422_with_field_paths(db: Db) {
    let app = TestApp::spawn(db).await;
    let cases = [
        (json!({"username": "admin"}), "/password", "required"),
        (json!({"username": 42, "password": "x"}), "/username", "invalid_type"),
        (json!({"username": "admin", "password": "x", "tenant_id": "t"}), "/tenant_id", "unknown_field"),
        (json!({"username": "", "password": "x"}), "/username", "length"),
        (json!({"tenant": "Bad Code", "username": "admin", "password": "x"}), "/tenant", "tenant_code_format"),
    ];
    for (input, field, code) in cases {
        let body = problem(app.post_json("/api/v1/auth/login", &input).await, 422, "validation.failed").await;
        let errors = body["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["field"] == field
                && e["code"] == code
                && e["message"].as_str().is_some_and(|m| !m.is_empty())),
            "{input} -> {body}"
        );
    }
    // A JSON array instead of an object is well-formed JSON of the wrong shape.
    problem(app.post_json("/api/v1/auth/login", &json!([1, 2])).await, 422, "validation.failed").await;
}

async fn invalid_path_and_query_parameters_are_400(db: Db) {
    let app = TestApp::spawn(db).await;
    let token = app.admin_token().await;
    let body = problem(app.get_auth("/api/v1/users/not-a-uuid", &token).await, 400, "request.invalid_path").await;
    assert_eq!(body["errors"][0]["field"], "/id");
    for q in ["limit=abc", "limit=-1", "limit=0", "limit=501", "cursor=%%%"] {
        let body =
            problem(app.get_auth(&format!("/api/v1/users?{q}"), &token).await, 400, "request.invalid_query").await;
        let field = body["errors"][0]["field"].as_str().unwrap();
        assert!(field == "/limit" || field == "/cursor", "{q} -> {body}");
    }
    let ok = app.get_auth("/api/v1/users?limit=500", &token).await;
    assert_eq!(ok.status(), 200);
}

async fn missing_or_bad_token_is_401(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/api/v1/me").await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    problem(res, 401, "auth.missing_token").await;
    problem(app.get_auth("/api/v1/me", "not.a.jwt").await, 401, "auth.invalid_token").await;
    let res = app.http.get(app.url("/api/v1/me")).header("authorization", "Basic YWRtaW46eA==").send().await.unwrap();
    problem(res, 401, "auth.missing_token").await;
}

async fn messages_follow_accept_language(db: Db) {
    let app = TestApp::spawn(db).await;
    let zh =
        app.http.get(app.url("/nowhere")).header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5").send().await.unwrap();
    let zh = problem(zh, 404, "route.not_found").await;
    assert_eq!(zh["title"], "未找到");
    let en = problem(app.get("/nowhere").await, 404, "route.not_found").await;
    assert_eq!(en["title"], "Not found");

    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("accept-language", "zh")
        .json(&json!({"username": "admin"}))
        .send()
        .await
        .unwrap();
    let body = problem(res, 422, "validation.failed").await;
    assert_eq!(body["title"], "校验失败");
    assert_eq!(body["errors"][0]["message"], "必填");
    assert_eq!(body["errors"][0]["code"], "required");
}
