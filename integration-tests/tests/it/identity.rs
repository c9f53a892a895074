//! The org tree, positions, users, and data scopes on a seeded tree.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    org_tree_builds_moves_and_deletes_leaves_only,
    positions_validate_permissions_and_names,
    users_are_created_changed_disabled_and_reset,
    each_data_scope_sees_exactly_its_part_of_the_tree,
    stale_if_match_is_412,
    list_queries_refuse_unknown_parameters_and_values,
);

async fn org_tree_builds_moves_and_deletes_leaves_only(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let group = app.unit(&t, "集团", "group", None).await;
    let region = app.unit(&t, "华东区", "region", Some(&group)).await;
    let dept_a = app.unit(&t, "销售部", "department", Some(&region)).await;
    let dept_b = app.unit(&t, "客服部", "department", Some(&region)).await;
    let team = app.unit(&t, "一组", "team", Some(&dept_a)).await;

    let res = app.get_auth(&format!("/api/v1/org-units/{team}"), &t).await;
    assert!(res.headers().get("etag").is_some());
    let u: Value = res.json().await.unwrap();
    assert_eq!(u["path"], json!([group, region, dept_a, team]));
    assert_eq!(u["kind"], "team");

    // Rename and move in one change: the team goes under the other department.
    let res = app
        .patch_auth(&format!("/api/v1/org-units/{team}"), &t, &json!({"name": "服务一组", "parent_id": dept_b}))
        .await;
    assert_eq!(res.status(), 200);
    let u: Value = res.json().await.unwrap();
    assert_eq!(u["name"], "服务一组");
    assert_eq!(u["path"], json!([group, region, dept_b, team]));

    // Moving a subtree moves everything below it.
    let res = app.patch_auth(&format!("/api/v1/org-units/{dept_b}"), &t, &json!({"parent_id": group})).await;
    assert_eq!(res.status(), 200);
    let u: Value = app.get_auth(&format!("/api/v1/org-units/{team}"), &t).await.json().await.unwrap();
    assert_eq!(u["path"], json!([group, dept_b, team]));

    // No cycles: a unit cannot go under itself or its descendants.
    let res = app.patch_auth(&format!("/api/v1/org-units/{group}"), &t, &json!({"parent_id": team})).await;
    problem(res, 409, "org_unit.cycle").await;
    let res = app.patch_auth(&format!("/api/v1/org-units/{dept_b}"), &t, &json!({"parent_id": dept_b})).await;
    problem(res, 409, "org_unit.cycle").await;
    let res =
        app.patch_auth(&format!("/api/v1/org-units/{team}"), &t, &json!({"parent_id": uuid::Uuid::now_v7()})).await;
    let body = problem(res, 422, "validation.failed").await;
    assert_eq!(body["errors"][0]["field"], "/parent_id");

    // Only leaves without users can be deleted, and the refusal says why.
    problem(app.delete_auth(&format!("/api/v1/org-units/{dept_b}"), &t).await, 409, "org_unit.has_children").await;
    app.user_with(&t, "in.team", Some(&team), &[]).await;
    problem(app.delete_auth(&format!("/api/v1/org-units/{team}"), &t).await, 409, "org_unit.has_users").await;
    assert_eq!(app.delete_auth(&format!("/api/v1/org-units/{dept_a}"), &t).await.status(), 204);
    problem(app.get_auth(&format!("/api/v1/org-units/{dept_a}"), &t).await, 404, "org_unit.not_found").await;

    let list: Value = app.get_auth("/api/v1/org-units", &t).await.json().await.unwrap();
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 4);
    assert_eq!(names[0], "集团", "parents come first");

    let res = app.post_auth("/api/v1/org-units", &t, &json!({"name": " ", "kind": "squad"})).await;
    let body = problem(res, 422, "validation.failed").await;
    let fields: BTreeSet<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["/name", "/kind"]));
}

async fn positions_validate_permissions_and_names(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let perms: Value = app.get_auth("/api/v1/permissions", &t).await.json().await.unwrap();
    let names: Vec<&str> = perms["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for expected in [
        "users:read",
        "users:write",
        "org_units:write",
        "positions:write",
        "api_clients:write",
        "audit_log:read",
        "tenants:write",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }

    let res = app
        .post_auth(
            "/api/v1/positions",
            &t,
            &json!({"name": "X", "data_scope": "galaxy", "permissions": ["users:read", "users:fly", "tenants:write"]}),
        )
        .await;
    let body = problem(res, 422, "validation.failed").await;
    let errs: BTreeSet<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        errs,
        BTreeSet::from([
            ("/data_scope".to_owned(), "invalid_value".to_owned()),
            ("/permissions/1".to_owned(), "permission_unknown".to_owned()),
            ("/permissions/2".to_owned(), "permission_platform_only".to_owned()),
        ])
    );

    let sales = app.position(&t, "Sales", "self", &["users:read", "users:read"]).await;
    let p: Value = app.get_auth(&format!("/api/v1/positions/{sales}"), &t).await.json().await.unwrap();
    assert_eq!(p["permissions"], json!(["users:read"]), "duplicates collapse");
    let res = app.post_auth("/api/v1/positions", &t, &json!({"name": "Sales", "data_scope": "team"})).await;
    problem(res, 409, "position.name_taken").await;

    let res = app
        .patch_auth(&format!("/api/v1/positions/{sales}"), &t, &json!({"data_scope": "team", "permissions": []}))
        .await;
    let p: Value = res.json().await.unwrap();
    assert_eq!((p["data_scope"].as_str(), p["permissions"].clone()), (Some("team"), json!([])));

    app.user_with(&t, "holder", None, &[&sales]).await;
    problem(app.delete_auth(&format!("/api/v1/positions/{sales}"), &t).await, 409, "position.in_use").await;
    let spare = app.position(&t, "Spare", "all", &[]).await;
    assert_eq!(app.delete_auth(&format!("/api/v1/positions/{spare}"), &t).await.status(), 204);
    problem(app.get_auth(&format!("/api/v1/positions/{spare}"), &t).await, 404, "position.not_found").await;
}

async fn users_are_created_changed_disabled_and_reset(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let reader = app.position(&t, "Reader", "all", &["users:read"]).await;
    let (uid, utoken) = app.user_with(&t, "li.na", None, &[&reader]).await;

    let res = app
        .post_auth(
            "/api/v1/users",
            &t,
            &json!({"username": "LI.NA", "password": "another-pass-9", "display_name": "x"}),
        )
        .await;
    problem(res, 409, "user.username_taken").await;
    let res = app
        .post_auth(
            "/api/v1/users",
            &t,
            &json!({"username": "wang", "password": "wang", "display_name": "", "org_unit_id": uuid::Uuid::now_v7(),
                    "position_ids": [uuid::Uuid::now_v7()], "grants": ["nope:x"]}),
        )
        .await;
    let body = problem(res, 422, "validation.failed").await;
    let fields: BTreeSet<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["/password", "/display_name", "/org_unit_id", "/position_ids/0", "/grants/0"]));

    // Changes apply on the user's next request: no re-login needed.
    assert_eq!(app.get_auth("/api/v1/users", &utoken).await.status(), 200);
    let res =
        app.patch_auth(&format!("/api/v1/users/{uid}"), &t, &json!({"position_ids": [], "display_name": "李娜"})).await;
    assert_eq!(res.status(), 200);
    let u: Value = res.json().await.unwrap();
    assert_eq!((u["display_name"].as_str(), u["position_ids"].clone()), (Some("李娜"), json!([])));
    problem(app.get_auth("/api/v1/users", &utoken).await, 403, "permission.denied").await;
    let res = app.patch_auth(&format!("/api/v1/users/{uid}"), &t, &json!({"grants": ["users:read"]})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_auth("/api/v1/users", &utoken).await.status(), 200, "per-user grant");

    // Disabling ends access at once, including the token in hand and the session.
    let session = app.login("li.na", "user-pass-1234").await;
    let res = app.post_auth(&format!("/api/v1/users/{uid}/disable"), &t, &json!({})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "disabled");
    problem(app.get_auth("/api/v1/me", &utoken).await, 401, "auth.user_disabled").await;
    problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]})).await,
        401,
        "auth.invalid_refresh_token",
    )
    .await;
    let res = app.post_json("/api/v1/auth/login", &json!({"username": "li.na", "password": "user-pass-1234"})).await;
    problem(res, 401, "auth.user_disabled").await;
    let res = app.post_auth(&format!("/api/v1/users/{uid}/enable"), &t, &json!({})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
    app.login("li.na", "user-pass-1234").await;

    // A reset password replaces the old one and ends sessions.
    let session = app.login("li.na", "user-pass-1234").await;
    let res = app.post_auth(&format!("/api/v1/users/{uid}/reset-password"), &t, &json!({"password": "short"})).await;
    problem(res, 422, "validation.failed").await;
    let res = app
        .post_auth(&format!("/api/v1/users/{uid}/reset-password"), &t, &json!({"password": "brand-new-pass-7"}))
        .await;
    assert_eq!(res.status(), 204);
    problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]})).await,
        401,
        "auth.invalid_refresh_token",
    )
    .await;
    let res = app.post_json("/api/v1/auth/login", &json!({"username": "li.na", "password": "user-pass-1234"})).await;
    assert_eq!(res.status(), 401);
    app.login("li.na", "brand-new-pass-7").await;

    let me: Value = app.get_auth("/api/v1/me", &t).await.json().await.unwrap();
    let res = app.post_auth(&format!("/api/v1/users/{}/disable", me["id"].as_str().unwrap()), &t, &json!({})).await;
    problem(res, 409, "user.cannot_disable_self").await;
}

/// Usernames visible to `token` through the user list.
async fn visible(app: &TestApp, token: &str) -> BTreeSet<String> {
    let res = app.get_auth("/api/v1/users?limit=500", token).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

async fn each_data_scope_sees_exactly_its_part_of_the_tree(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    // group ─ company C1 ─ dept D1 ─ teams T1, T2
    //                    └ dept D2
    //       └ company C2 ─ dept D3
    let group = app.unit(&t, "Group", "group", None).await;
    let c1 = app.unit(&t, "C1", "company", Some(&group)).await;
    let d1 = app.unit(&t, "D1", "department", Some(&c1)).await;
    let t1 = app.unit(&t, "T1", "team", Some(&d1)).await;
    let t2 = app.unit(&t, "T2", "team", Some(&d1)).await;
    let d2 = app.unit(&t, "D2", "department", Some(&c1)).await;
    let c2 = app.unit(&t, "C2", "company", Some(&group)).await;
    let d3 = app.unit(&t, "D3", "department", Some(&c2)).await;

    let mut pos = std::collections::BTreeMap::new();
    for scope in ["self", "team", "department", "company", "all"] {
        pos.insert(scope, app.position(&t, &format!("read-{scope}"), scope, &["users:read"]).await);
    }
    let (t1a, t1a_token) = app.user_with(&t, "t1a", Some(&t1), &[]).await;
    app.user_with(&t, "t1b", Some(&t1), &[]).await;
    let (t2u, t2_token) = app.user_with(&t, "t2u", Some(&t2), &[]).await;
    let (d1u, d1_token) = app.user_with(&t, "d1u", Some(&d1), &[]).await;
    app.user_with(&t, "d2u", Some(&d2), &[]).await;
    let (d3u, d3_token) = app.user_with(&t, "d3u", Some(&d3), &[]).await;
    let (loner, loner_token) = app.user_with(&t, "loner", None, &[]).await;

    let set_pos = |uid: String, scope: &'static str| {
        let p = pos[scope].clone();
        let app = &app;
        let t = t.clone();
        async move {
            let res = app.patch_auth(&format!("/api/v1/users/{uid}"), &t, &json!({"position_ids": [p]})).await;
            assert_eq!(res.status(), 200);
        }
    };
    let c1_people = ["t1a", "t1b", "t2u", "d1u", "d2u"];
    let everyone = ["admin", "t1a", "t1b", "t2u", "d1u", "d2u", "d3u", "loner"];
    let cases: Vec<(&String, &String, &str, BTreeSet<String>)> = vec![
        (&t1a, &t1a_token, "self", set(&["t1a"])),
        (&t1a, &t1a_token, "team", set(&["t1a", "t1b"])),
        (&t1a, &t1a_token, "department", set(&["t1a", "t1b"])),
        (&d1u, &d1_token, "team", set(&["d1u"])),
        (&d1u, &d1_token, "department", set(&["d1u", "t1a", "t1b", "t2u"])),
        (&t2u, &t2_token, "company", set(&c1_people)),
        (&d3u, &d3_token, "company", set(&["d3u"])),
        (&d3u, &d3_token, "all", set(&everyone)),
        (&loner, &loner_token, "team", set(&["loner"])),
        (&loner, &loner_token, "company", set(&everyone)),
    ];
    for (uid, token, scope, expected) in cases {
        set_pos(uid.clone(), scope).await;
        assert_eq!(visible(&app, token).await, expected, "{scope} for {uid}");
    }

    // A single read outside the scope is a 404, exactly like a missing user.
    set_pos(t1a.clone(), "team").await;
    assert_eq!(app.get_auth(&format!("/api/v1/users/{t2u}"), &t1a_token).await.status(), 404);
    assert_eq!(app.get_auth(&format!("/api/v1/users/{t1a}"), &t1a_token).await.status(), 200);
    // Writes follow the same scope.
    let writer = app.position(&t, "team-writer", "team", &["users:read", "users:write"]).await;
    let res = app.patch_auth(&format!("/api/v1/users/{t1a}"), &t, &json!({"position_ids": [writer]})).await;
    assert_eq!(res.status(), 200);
    let res = app.patch_auth(&format!("/api/v1/users/{d3u}"), &t1a_token, &json!({"display_name": "hijacked"})).await;
    problem(res, 404, "user.not_found").await;
    // Cursor pages stay inside the scope.
    set_pos(d1u.clone(), "department").await;
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let v: Value = app.get_auth(&format!("/api/v1/users?limit=1{q}"), &d1_token).await.json().await.unwrap();
        for u in v["items"].as_array().unwrap() {
            assert!(seen.insert(u["username"].as_str().unwrap().to_owned()), "no repeats");
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, set(&["d1u", "t1a", "t1b", "t2u"]));
}

async fn stale_if_match_is_412(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let res = app.post_auth("/api/v1/org-units", &t, &json!({"name": "A", "kind": "team"})).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let patch = |tag: String, name: &'static str| {
        let app = &app;
        let t = t.clone();
        let id = id.clone();
        async move {
            app.http
                .patch(app.url(&format!("/api/v1/org-units/{id}")))
                .bearer_auth(&t)
                .header("if-match", tag)
                .json(&json!({"name": name}))
                .send()
                .await
                .unwrap()
        }
    };
    let res = patch(etag.clone(), "B").await;
    assert_eq!(res.status(), 200);
    let new_tag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_tag, etag);
    problem(patch(etag.clone(), "C").await, 412, "resource.precondition_failed").await;
    let u: Value = app.get_auth(&format!("/api/v1/org-units/{id}"), &t).await.json().await.unwrap();
    assert_eq!(u["name"], "B", "a stale write changes nothing");
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/org-units/{id}")))
        .bearer_auth(&t)
        .header("if-match", etag)
        .send()
        .await
        .unwrap();
    problem(res, 412, "resource.precondition_failed").await;
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/org-units/{id}")))
        .bearer_auth(&t)
        .header("if-match", new_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

async fn list_queries_refuse_unknown_parameters_and_values(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    for path in ["/api/v1/users?limit=5&bogus=1", "/api/v1/audit-log?bogus=1", "/api/v1/custom-fields?bogus=1"] {
        let body = problem(app.get_auth(path, &t).await, 400, "request.invalid_query").await;
        assert_eq!(
            (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
            (Some("/bogus"), Some("unknown_field")),
            "{path}: {body}"
        );
    }
    // An enum names its allowed values.
    let body = problem(app.get_auth("/api/v1/users?status=gone", &t).await, 400, "request.invalid_query").await;
    assert_eq!(body["errors"][0]["field"], "/status");
    assert_eq!(body["errors"][0]["code"], "invalid_value");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("active, disabled"), "{body}");
    let users: Value = app.get_auth("/api/v1/users?status=active", &t).await.json().await.unwrap();
    assert_eq!(users["items"].as_array().unwrap().len(), 1);
}
