//! The OpenAPI document: served, complete, and identical to the committed `api-spec/openapi.json`.

use crate::helpers::{Db, TestApp};
use crate::on_both_dbs;
use serde_json::Value;

on_both_dbs!(served_document_is_the_generated_one, docs_ui_is_served);

fn committed_spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api-spec/openapi.json");
    let text = std::fs::read_to_string(path).expect("api-spec/openapi.json exists");
    serde_json::from_str(&text).expect("committed spec is JSON")
}

fn generated_spec() -> Value {
    serde_json::to_value(crm_api::openapi()).unwrap()
}

#[test]
fn committed_spec_matches_the_code() {
    assert!(
        committed_spec() == generated_spec(),
        "api-spec/openapi.json is stale: run `cargo run -p crm-server -- openapi -o api-spec/openapi.json` and commit it"
    );
}

#[test]
fn every_operation_is_registered_and_documents_its_errors() {
    let spec = generated_spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{id}", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from the spec");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for code in ["400", "500"] {
                assert!(responses.contains_key(code), "{method} {path} lacks {code}");
            }
            if op.get("requestBody").is_some() {
                for code in ["413", "415", "422"] {
                    assert!(responses.contains_key(code), "{method} {path} lacks {code}");
                }
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
        }
    }
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

async fn served_document_is_the_generated_one(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let served: Value = res.json().await.unwrap();
    assert_eq!(served, generated_spec());
}

async fn docs_ui_is_served(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200, "redirect followed to /docs/");
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "Swagger UI page");
    let init = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(init.contains("/api/v1/openapi.json"), "UI points at our document: {init}");
}
