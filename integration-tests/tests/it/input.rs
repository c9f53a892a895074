//! Input hardening: a body is exactly one JSON value with unique keys, structs are objects,
//! NUL characters and over-long strings are refused naming the field, the same on both databases.

use crate::helpers::{Db, TestApp, problem};
use crate::membership_enrollment::{expect, items};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(
    an_array_is_not_a_settings_change,
    an_array_is_not_a_batch_item,
    trailing_data_is_400_and_creates_nothing,
    duplicate_keys_are_422_at_any_depth,
    nul_characters_are_refused_naming_the_parameter,
    over_long_strings_are_too_long_on_both_databases,
);

/// Sends `body` as it is (not re-serialized), with a JSON content type.
async fn raw(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: &str) -> reqwest::Response {
    let req = app.http.request(method, app.url(path)).bearer_auth(token).header("content-type", "application/json");
    req.body(body.to_owned()).send().await.unwrap()
}

/// The `(field, code)` pairs of a problem; every one names a field.
fn fields(problem: &Value) -> Vec<(String, String)> {
    let errs: Vec<(String, String)> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (e["field"].as_str().unwrap_or_default().to_owned(), e["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert!(errs.iter().all(|(f, _)| !f.is_empty()), "every error names its field: {problem}");
    errs
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

async fn customer_names(app: &TestApp, t: &str) -> Vec<String> {
    let list = items(app, t, "/api/v1/customers?limit=200").await;
    list.iter().map(|c| c["name"].as_str().unwrap_or_default().to_owned()).collect()
}

async fn an_array_is_not_a_settings_change(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    expect(app.patch_auth("/api/v1/settings", &t, &json!({"duplicate_policy": "refuse"})).await, 200, "set").await;
    let before = expect(app.get_auth("/api/v1/settings", &t).await, 200, "settings").await;
    for body in ["[null,null,null]", "[]", "[\"ignore\"]"] {
        let res = raw(&app, reqwest::Method::PATCH, "/api/v1/settings", &t, body).await;
        let p = problem(res, 422, "validation.failed").await;
        assert_eq!(fields(&p), vec![pair("/", "invalid_type")], "{body}");
    }
    let after = expect(app.get_auth("/api/v1/settings", &t).await, 200, "settings").await;
    assert_eq!(after, before, "settings unchanged");
    assert_eq!(after["duplicate_policy"], "refuse");
    // A top-level value of another type names the body too.
    let p =
        problem(raw(&app, reqwest::Method::POST, "/api/v1/customers", &t, "5").await, 422, "validation.failed").await;
    assert_eq!(fields(&p), vec![pair("/", "invalid_type")]);
}

async fn an_array_is_not_a_batch_item(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    // An application read from an array of its fields would be an empty application.
    let res = app.post_auth("/api/v1/enrollment-applications/batch", &t, &json!({"items": [[null, null]]})).await;
    let body = expect(res, 200, "import").await;
    assert_eq!(body["items"][0]["status"], "failed", "{body}");
    assert_eq!(fields(&body["items"][0]["error"]), vec![pair("/items/0", "invalid_type")]);
    assert!(items(&app, &t, "/api/v1/enrollment-applications?limit=500").await.is_empty(), "nothing imported");

    // A customer item: the array is named, and a wrong type inside an object names its field.
    let batch =
        json!({"source": "crm-x", "items": [["C-1", "张伟"], {"external_id": "C-2", "name": 5}, {"name": "李四"}]});
    let body = expect(app.post_auth("/api/v1/customers/batch-upsert", &t, &batch).await, 200, "upsert").await;
    let results = body["items"].as_array().unwrap();
    assert!(results.iter().all(|r| r["status"] == "failed"), "{body}");
    assert_eq!(
        fields(&results[0]["error"]),
        vec![pair("/items/0/external_id", "required"), pair("/items/0", "invalid_type")]
    );
    assert_eq!(fields(&results[1]["error"]), vec![pair("/items/1/name", "invalid_type")]);
    assert_eq!(fields(&results[2]["error"]), vec![pair("/items/2/external_id", "required")]);
    assert!(customer_names(&app, &t).await.is_empty(), "nothing created");
}

async fn trailing_data_is_400_and_creates_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    for body in [r#"{"name":"x"}{"name":"y"}"#, r#"{"name":"x"} 1"#, r#"{"name":"x"}]"#] {
        let res = raw(&app, reqwest::Method::POST, "/api/v1/customers", &t, body).await;
        problem(res, 400, "request.malformed_json").await;
    }
    assert!(customer_names(&app, &t).await.is_empty(), "nothing created");
    // Whitespace after the value is not data.
    let res = raw(&app, reqwest::Method::POST, "/api/v1/customers", &t, "{\"name\":\"x\"}\r\n ").await;
    expect(res, 201, "create").await;
    assert_eq!(customer_names(&app, &t).await, vec!["x".to_owned()]);
}

async fn duplicate_keys_are_422_at_any_depth(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let post = |body: &'static str, path: &'static str| {
        let app = &app;
        let t = &t;
        async move { raw(app, reqwest::Method::POST, path, t, body).await }
    };
    let cases = [
        ("/api/v1/customers", r#"{"name":"x","name":"y"}"#, "/name"),
        ("/api/v1/customers", r#"{"name":"x","custom_fields":{"k":1,"k":2}}"#, "/custom_fields/k"),
        ("/api/v1/customers", r#"{"name":"x","custom_fields":{"a/b~c":1,"a/b~c":2}}"#, "/custom_fields/a~1b~0c"),
        (
            "/api/v1/customers/batch-upsert",
            r#"{"source":"s","items":[{"external_id":"1","name":"x"},{"external_id":"2","name":"x","name":"y"}]}"#,
            "/items/1/name",
        ),
        (
            "/api/v1/enrollment-applications/batch",
            r#"{"items":[{"name":"x","phone":"1","phone":"2"}]}"#,
            "/items/0/phone",
        ),
    ];
    for (path, body, field) in cases {
        let p = problem(post(body, path).await, 422, "validation.failed").await;
        assert_eq!(fields(&p), vec![pair(field, "duplicate_key")], "{body}");
    }
    assert!(customer_names(&app, &t).await.is_empty(), "nothing created");
    assert!(items(&app, &t, "/api/v1/enrollment-applications?limit=500").await.is_empty(), "nothing imported");
}

async fn nul_characters_are_refused_naming_the_parameter(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    // In a body string and a body key.
    let res = app.post_auth("/api/v1/customers", &t, &json!({"name": "a\u{0}b"})).await;
    assert_eq!(fields(&problem(res, 422, "validation.failed").await), vec![pair("/name", "nul_character")]);
    let res = app.post_auth("/api/v1/customers", &t, &json!({"name": "a", "custom_fields": {"k\u{0}": 1}})).await;
    assert_eq!(
        fields(&problem(res, 422, "validation.failed").await),
        vec![pair("/custom_fields/k\u{0}", "nul_character")]
    );
    let res = app.post_auth("/api/v1/member-levels", &t, &json!({"name": "\u{0}", "level_value": 1})).await;
    assert_eq!(fields(&problem(res, 422, "validation.failed").await), vec![pair("/name", "nul_character")]);
    assert!(customer_names(&app, &t).await.is_empty(), "nothing created");

    // In query parameters, free text and cursors alike.
    for (path, field) in [
        ("/api/v1/customers?q=%00", "/q"),
        ("/api/v1/customers?q=ab%00cd", "/q"),
        ("/api/v1/customers?cursor=%00", "/cursor"),
        ("/api/v1/members?q=%00", "/q"),
        ("/api/v1/enrollment-applications?q=a%00", "/q"),
        ("/api/v1/customers/changes?since=%00", "/since"),
        ("/api/v1/card-numbers?cursor=A%00", "/cursor"),
    ] {
        let p = problem(app.get_auth(path, &t).await, 400, "request.invalid_query").await;
        assert_eq!(fields(&p), vec![pair(field, "nul_character")], "{path}");
    }
    // A cursor that decodes to a NUL character is not one this API issued.
    let nul_json = "%5B%22phone%22%2C%5B%22%5Cu0000%22%5D%5D"; // ["phone",["\u0000"]]
    for path in ["/api/v1/card-numbers?cursor=AA".to_owned(), format!("/api/v1/customers/duplicates?cursor={nul_json}")]
    {
        let p = problem(app.get_auth(&path, &t).await, 400, "request.invalid_query").await;
        assert_eq!(fields(&p), vec![pair("/cursor", "cursor_invalid")], "{path}");
    }

    // In path parameters.
    let p = problem(app.get_auth("/api/v1/customers/%00", &t).await, 400, "request.invalid_path").await;
    assert_eq!(fields(&p), vec![pair("/id", "nul_character")]);
    let p = problem(app.delete_auth("/api/v1/card-numbers/A%00", &t).await, 400, "request.invalid_path").await;
    assert_eq!(fields(&p), vec![pair("/card_no", "nul_character")]);
}

async fn over_long_strings_are_too_long_on_both_databases(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let too_long = |p: &Value, field: &str, max: u64| {
        assert_eq!(fields(p), vec![pair(field, "too_long")], "{p}");
        let message = p["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&max.to_string()), "the message names the limit: {message}");
    };
    // Lengths are characters, as PostgreSQL counts varchar(n), not bytes.
    let res = app.post_auth("/api/v1/member-levels", &t, &json!({"name": "金".repeat(150), "level_value": 1})).await;
    too_long(&problem(res, 422, "validation.failed").await, "/name", 100);
    let res = app.post_auth("/api/v1/member-levels", &t, &json!({"name": "金".repeat(101), "level_value": 1})).await;
    too_long(&problem(res, 422, "validation.failed").await, "/name", 100);
    let levels = items(&app, &t, "/api/v1/member-levels").await;
    assert!(levels.is_empty(), "no level stored: {levels:?}");
    let level = app.create("/api/v1/member-levels", &t, json!({"name": "金".repeat(100), "level_value": 1})).await;
    assert_eq!(level["name"].as_str().map(|n| n.chars().count()), Some(100));
    let res = app
        .patch_auth(
            &format!("/api/v1/member-levels/{}", level["id"].as_str().unwrap()),
            &t,
            &json!({"name": "x".repeat(101)}),
        )
        .await;
    too_long(&problem(res, 422, "validation.failed").await, "/name", 100);

    let res = app.post_auth("/api/v1/customers", &t, &json!({"name": "张".repeat(201)})).await;
    too_long(&problem(res, 422, "validation.failed").await, "/name", 200);
    let res = app.post_auth("/api/v1/customers", &t, &json!({"name": "x", "city": "市".repeat(65)})).await;
    too_long(&problem(res, 422, "validation.failed").await, "/city", 64);
    let res = app
        .post_auth(
            "/api/v1/customers/batch-upsert",
            &t,
            &json!({"source": "s", "items": [{"external_id": "e".repeat(129), "name": "x"}]}),
        )
        .await;
    let body = expect(res, 200, "upsert").await;
    too_long(&body["items"][0]["error"], "/items/0/external_id", 128);
    assert!(customer_names(&app, &t).await.is_empty(), "nothing stored");
    // The longest name fits, and so do its search keys (200 characters of six-letter pinyin).
    let c = app.create("/api/v1/customers", &t, json!({"name": "庄".repeat(200)})).await;
    assert_eq!(c["name"].as_str().map(|n| n.chars().count()), Some(200));
    let found = items(&app, &t, "/api/v1/customers?q=zhuangzhuang").await;
    assert_eq!(found.len(), 1, "found by pinyin");

    // An application's id number column is shorter than a customer's.
    let res = app
        .post_auth(
            "/api/v1/enrollment-applications",
            &t,
            &json!({"channel": "online", "name": "王芳", "phone": "13812345678", "id_number": "A".repeat(40)}),
        )
        .await;
    too_long(&problem(res, 422, "validation.failed").await, "/id_number", 32);
}
