//! Cached rights: each node keeps a caller's resolved rights beside the tenant's authorization
//! generation, so an authenticated request costs one statement while nothing changed, and every
//! change of a position, grant, org unit or user applies at the next request on every node.

use crate::helpers::{Db, TestApp, problem, test_config};
use crate::on_both_dbs;
use crm_server::Application;
use serde_json::{Value, json};

on_both_dbs!(a_change_on_one_node_applies_at_the_next_request_on_another, an_unchanged_caller_costs_one_statement,);

/// Another node of the same deployment: its own application, pool and cache on the same
/// database (tokens verify on both: the signing key is kept in the database).
struct Node {
    base: String,
    http: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl Node {
    async fn start(app: &TestApp) -> Node {
        let built = Application::build(test_config(&app.db)).await.expect("second node builds");
        let base = format!("http://127.0.0.1:{}", built.port());
        let handle = built.handle();
        tokio::spawn(built.run_until_stopped());
        Node { base, http: reqwest::Client::new(), handle }
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("request")
    }
}

async fn json_of(res: reqwest::Response) -> Value {
    json_of_status(res, 200).await
}

async fn json_of_status(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    res.json().await.unwrap()
}

/// The ids of the customers the caller sees.
async fn visible(node: &Node, token: &str) -> Vec<String> {
    let v = json_of(node.get("/api/v1/customers?limit=100", token).await).await;
    v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

async fn a_change_on_one_node_applies_at_the_next_request_on_another(db: Db) {
    let app = TestApp::spawn(db).await;
    let b = Node::start(&app).await;
    let admin = app.admin_token().await;
    let d1 = app.unit(&admin, "一部", "department", None).await;
    let d2 = app.unit(&admin, "二部", "department", None).await;
    let t1 = app.unit(&admin, "一组", "team", Some(&d1)).await;
    let sales = app.position(&admin, "销售", "department", &["customers:read", "customers:write"]).await;
    let (bob, token) = app.user_with(&admin, "bob", Some(&t1), &[&sales]).await;
    let mine =
        app.create("/api/v1/customers", &token, json!({"name": "鲍的客户"})).await["id"].as_str().unwrap().to_owned();
    // Warm node B's cache for bob.
    assert_eq!(visible(&b, &token).await, std::slice::from_ref(&mine));
    problem(b.get("/api/v1/users", &token).await, 403, "permission.denied").await;

    // A position loses a permission, and gets it back.
    let res = app
        .patch_auth(&format!("/api/v1/positions/{sales}"), &admin, &json!({"permissions": ["customers:write"]}))
        .await;
    assert_eq!(res.status(), 200);
    problem(b.get("/api/v1/customers", &token).await, 403, "permission.denied").await;
    let res = app
        .patch_auth(
            &format!("/api/v1/positions/{sales}"),
            &admin,
            &json!({"permissions": ["customers:read", "customers:write"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(visible(&b, &token).await, std::slice::from_ref(&mine));

    // A direct grant.
    let res = app.patch_auth(&format!("/api/v1/users/{bob}"), &admin, &json!({"grants": ["users:read"]})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(b.get("/api/v1/users", &token).await.status(), 200);

    // bob's team moves to the other department: his department scope is that subtree now, and
    // still covers his own customer (a cached scope would name the team's old path).
    let res = app.patch_auth(&format!("/api/v1/org-units/{t1}"), &admin, &json!({"parent_id": d2})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(visible(&b, &token).await, std::slice::from_ref(&mine));
    // ...and bob himself moves out of the tree: his own customers only, still his one.
    let res = app.patch_auth(&format!("/api/v1/users/{bob}"), &admin, &json!({"org_unit_id": null})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(visible(&b, &token).await, [mine]);

    // The profile `GET /me` shows comes from the same cache.
    let res = app.patch_auth(&format!("/api/v1/users/{bob}"), &admin, &json!({"display_name": "鲍勃"})).await;
    assert_eq!(res.status(), 200);
    let me = json_of(b.get("/api/v1/me", &token).await).await;
    assert_eq!((me["display_name"].as_str(), me["grants"].clone()), (Some("鲍勃"), json!(["users:read"])));
    assert_eq!(me["org_unit_id"], Value::Null);

    // The tenant's settings and levels are cached with the rights: a change on A applies on B.
    let admin_b =
        |path: &str, body: Value| b.http.post(format!("{}{path}", b.base)).bearer_auth(&admin).json(&body).send();
    let res = admin_b("/api/v1/customers", json!({"name": "甲", "phone": "13911112222"})).await.unwrap();
    assert_eq!(res.status(), 201);
    let res = app.patch_auth("/api/v1/settings", &admin, &json!({"duplicate_policy": "refuse"})).await;
    assert_eq!(res.status(), 200);
    let res = admin_b("/api/v1/customers", json!({"name": "乙", "phone": "13911112222"})).await.unwrap();
    problem(res, 409, "customer.duplicate").await;
    let level = app
        .create("/api/v1/member-levels", &admin, json!({"name": "银卡", "level_value": 1, "upgrade_points": 0}))
        .await;
    let res =
        admin_b("/api/v1/enrollment-applications", json!({"channel": "onsite", "name": "丙", "phone": "13933334444"}))
            .await
            .unwrap();
    let application = json_of_status(res, 201).await;
    let url = format!("/api/v1/enrollment-applications/{}/approve", application["id"].as_str().unwrap());
    let approved = json_of(admin_b(&url, json!({})).await.unwrap()).await;
    let member =
        json_of(b.get(&format!("/api/v1/members/{}", approved["member_id"].as_str().unwrap()), &admin).await).await;
    assert_eq!(member["level"]["id"], level["id"], "the new entry level, created on A, is used on B");

    // Disabling.
    assert_eq!(app.post_auth(&format!("/api/v1/users/{bob}/disable"), &admin, &json!({})).await.status(), 200);
    problem(b.get("/api/v1/me", &token).await, 401, "auth.user_disabled").await;
    b.handle.stop(true).await;
}

async fn an_unchanged_caller_costs_one_statement(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let store = app.app.store();
    let cost = |path: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let before = store.statements();
            assert_eq!(app.get_auth(path, &admin).await.status(), 200, "{path}");
            store.statements() - before
        }
    };
    let first = cost("/api/v1/me").await;
    assert!(first > 1, "the first request resolves the rights: {first} statements");
    assert_eq!(cost("/api/v1/me").await, 1, "the generation read only");
    assert_eq!(cost("/api/v1/member-levels").await, 2, "the generation read and the list");
    // Any identity change moves the generation: the next request resolves again, once.
    app.unit(&admin, "新部门", "department", None).await;
    assert!(cost("/api/v1/me").await > 1);
    assert_eq!(cost("/api/v1/me").await, 1);
}
