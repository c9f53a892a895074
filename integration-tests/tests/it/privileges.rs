//! Privilege rules over HTTP: nobody grants more than they hold, platform administrators are
//! protected, the last administrator keeps the rights, built-in positions refuse changes;
//! revocation ends access tokens at the next request; If-Match and the last-administrator rule
//! hold under concurrent requests.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(
    only_a_platform_admin_may_touch_a_platform_admin,
    grants_are_bounded_by_the_granters_own_rights,
    the_last_administrator_keeps_the_rights,
    built_in_positions_refuse_changes,
    revocation_ends_access_tokens_at_the_next_request,
    concurrent_patches_with_one_if_match_apply_once,
    two_admins_removing_each_other_never_leave_none,
    deleting_a_unit_or_position_races_with_its_use,
    concurrent_failed_sign_ins_each_count,
);

const PW: &str = "user-pass-1234";

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

async fn me(app: &TestApp, token: &str) -> Value {
    let res = app.get_auth("/api/v1/me", token).await;
    assert_eq!(res.status(), 200);
    json_of(res).await
}

/// The id of the tenant's built-in Administrator position (the one the bootstrap admin holds).
async fn admin_position(app: &TestApp, admin: &str) -> String {
    me(app, admin).await["position_ids"][0].as_str().unwrap().to_owned()
}

async fn login_full(app: &TestApp, tenant: &str, username: &str, password: &str) -> Value {
    let res = app
        .post_json("/api/v1/auth/login", &json!({"tenant": tenant, "username": username, "password": password}))
        .await;
    assert_eq!(res.status(), 200, "login {tenant}/{username}");
    json_of(res).await
}

async fn client_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let body = json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret});
    let res = app.post_json("/api/v1/auth/token", &body).await;
    assert_eq!(res.status(), 200);
    json_of(res).await["access_token"].as_str().unwrap().to_owned()
}

/// A client with `scopes`, made by `admin`, and a token for it.
async fn client_with(app: &TestApp, admin: &str, scopes: &[&str]) -> (String, String, String) {
    let c = app.create("/api/v1/api-clients", admin, json!({"name": "integration", "scopes": scopes})).await;
    let (id, cid, secret) = (
        c["id"].as_str().unwrap().to_owned(),
        c["client_id"].as_str().unwrap().to_owned(),
        c["client_secret"].as_str().unwrap().to_owned(),
    );
    let token = client_token(app, &cid, &secret).await;
    (id, cid, token)
}

async fn only_a_platform_admin_may_touch_a_platform_admin(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let admin_id = me(&app, &admin).await["id"].as_str().unwrap().to_owned();
    let mgr_pos = app.position(&admin, "HR", "company", &["users:read", "users:write"]).await;
    let (_, mgr) = app.user_with(&admin, "hr.manager", None, &[&mgr_pos]).await;
    let (_, _, client) = client_with(&app, &admin, &["users:read", "users:write"]).await;

    for token in [&mgr, &client] {
        let res = app
            .post_auth(
                &format!("/api/v1/users/{admin_id}/reset-password"),
                token,
                &json!({"password": "taken-over-1234"}),
            )
            .await;
        problem(res, 403, "user.platform_admin_protected").await;
        let res = app.post_auth(&format!("/api/v1/users/{admin_id}/disable"), token, &json!({})).await;
        problem(res, 403, "user.platform_admin_protected").await;
        let res = app.patch_auth(&format!("/api/v1/users/{admin_id}"), token, &json!({"display_name": "Owned"})).await;
        problem(res, 403, "user.platform_admin_protected").await;
    }
    // Nothing changed: the admin signs in with the old password, is active and keeps the name.
    let admin = app.admin_token().await;
    let a = me(&app, &admin).await;
    assert_eq!((a["status"].as_str(), a["display_name"].as_str()), (Some("active"), Some("Administrator")));
    let res = app.post_json("/api/v1/auth/login", &json!({"username": "admin", "password": "taken-over-1234"})).await;
    problem(res, 401, "auth.invalid_credentials").await;
    // And the attacker still cannot act as a platform administrator.
    problem(app.get_auth("/api/v1/tenants", &mgr).await, 403, "permission.denied").await;
    // The platform admin may change a platform admin (themselves included).
    let res = app.patch_auth(&format!("/api/v1/users/{admin_id}"), &admin, &json!({"display_name": "Root"})).await;
    assert_eq!(res.status(), 200);
}

async fn grants_are_bounded_by_the_granters_own_rights(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let admin_pos = admin_position(&app, &admin).await;
    let mgr_perms =
        ["users:read", "users:write", "positions:read", "positions:write", "api_clients:write", "customers:read"];
    let mgr_pos = app.position(&admin, "Manager", "department", &mgr_perms).await;
    let sales = app.unit(&admin, "Sales", "department", None).await;
    let (mgr_id, mgr) = app.user_with(&admin, "manager", Some(&sales), &[&mgr_pos]).await;
    let wide_pos = app.position(&admin, "Auditor", "team", &["audit_log:read"]).await;
    let all_scope_pos = app.position(&admin, "Viewer", "all", &["customers:read"]).await;

    // A user with users:write grants itself more.
    let res = app
        .patch_auth(
            &format!("/api/v1/users/{mgr_id}"),
            &mgr,
            &json!({"grants": ["customers:read", "customers:read_pii"]}),
        )
        .await;
    let body = problem(res, 403, "permission.grant_exceeds_own").await;
    assert_eq!(body["errors"][0]["field"], "/grants/1", "{body}");
    for (i, pos) in [&admin_pos, &wide_pos, &all_scope_pos].into_iter().enumerate() {
        let res =
            app.patch_auth(&format!("/api/v1/users/{mgr_id}"), &mgr, &json!({"position_ids": [mgr_pos, pos]})).await;
        let body = problem(res, 403, "permission.grant_exceeds_own").await;
        assert_eq!(body["errors"][0]["field"], "/position_ids/1", "case {i}: {body}");
    }
    let res = app
        .post_auth(
            "/api/v1/users",
            &mgr,
            &json!({"username": "crony", "password": PW, "display_name": "Crony", "position_ids": [admin_pos]}),
        )
        .await;
    let body = problem(res, 403, "permission.grant_exceeds_own").await;
    assert_eq!(body["errors"][0]["field"], "/position_ids/0");
    let res = app
        .post_auth(
            "/api/v1/users",
            &mgr,
            &json!({"username": "crony", "password": PW, "display_name": "Crony", "grants": ["audit_log:read"]}),
        )
        .await;
    let body = problem(res, 403, "permission.grant_exceeds_own").await;
    assert_eq!(body["errors"][0]["field"], "/grants/0");
    let m: Value = json_of(app.get_auth(&format!("/api/v1/users/{mgr_id}"), &admin).await).await;
    assert_eq!((m["grants"].clone(), m["position_ids"].clone()), (json!([]), json!([mgr_pos])));
    let res = app.get_auth("/api/v1/users?limit=100", &admin).await;
    assert!(!json_of(res).await.to_string().contains("crony"), "no user was created");

    // A positions:write user widens its own position.
    let url = format!("/api/v1/positions/{mgr_pos}");
    let mut wider: Vec<&str> = mgr_perms.to_vec();
    wider.push("audit_log:read");
    let body =
        problem(app.patch_auth(&url, &mgr, &json!({"permissions": wider})).await, 403, "permission.grant_exceeds_own")
            .await;
    assert_eq!(body["errors"][0]["field"], "/permissions/6");
    let body =
        problem(app.patch_auth(&url, &mgr, &json!({"data_scope": "all"})).await, 403, "permission.grant_exceeds_own")
            .await;
    assert_eq!(body["errors"][0]["field"], "/data_scope");
    let res = app
        .post_auth(
            "/api/v1/positions",
            &mgr,
            &json!({"name": "Mine", "data_scope": "all", "permissions": ["users:read"]}),
        )
        .await;
    problem(res, 403, "permission.grant_exceeds_own").await;
    let res = app
        .post_auth(
            "/api/v1/positions",
            &mgr,
            &json!({"name": "Mine", "data_scope": "team", "permissions": ["users:read", "customers:read_pii"]}),
        )
        .await;
    let body = problem(res, 403, "permission.grant_exceeds_own").await;
    assert_eq!(body["errors"][0]["field"], "/permissions/1");
    let p: Value = json_of(app.get_auth(&url, &admin).await).await;
    assert_eq!(p["data_scope"], "department");
    assert!(!p["permissions"].as_array().unwrap().contains(&json!("audit_log:read")));

    // An api_clients:write user mints a client with scopes it does not have.
    let res = app
        .post_auth(
            "/api/v1/api-clients",
            &mgr,
            &json!({"name": "x", "scopes": ["customers:read", "customers:read_pii"]}),
        )
        .await;
    let body = problem(res, 403, "permission.grant_exceeds_own").await;
    assert_eq!(body["errors"][0]["field"], "/scopes/1");
    // An API client minting clients is bounded by its own scopes.
    let (_, _, client) = client_with(&app, &admin, &["api_clients:write", "customers:read"]).await;
    let res = app.post_auth("/api/v1/api-clients", &client, &json!({"name": "y", "scopes": ["customers:write"]})).await;
    let body = problem(res, 403, "permission.grant_exceeds_own").await;
    assert_eq!(body["errors"][0]["field"], "/scopes/0");
    let clients = json_of(app.get_auth("/api/v1/api-clients", &admin).await).await;
    assert_eq!(clients["items"].as_array().map(Vec::len), Some(1), "no client was minted: {clients}");

    // Granting a subset works: a position within the manager's rights, a user holding it, grants.
    let team_pos = app.position(&mgr, "Clerk", "team", &["customers:read"]).await;
    let sub = app
        .create(
            "/api/v1/users",
            &mgr,
            json!({"username": "clerk", "password": PW, "display_name": "Clerk", "position_ids": [team_pos],
                   "grants": ["users:read"], "org_unit_id": sales}),
        )
        .await;
    assert_eq!((sub["position_ids"].clone(), sub["grants"].clone()), (json!([team_pos]), json!(["users:read"])));
    let c = app.create("/api/v1/api-clients", &client, json!({"name": "z", "scopes": ["customers:read"]})).await;
    assert_eq!(c["scopes"], json!(["customers:read"]));

    // Narrowing is allowed: the manager takes away a grant it does not hold itself, and may keep
    // a position it could not grant when changing something else.
    let sub_id = sub["id"].as_str().unwrap();
    let res = app.patch_auth(&format!("/api/v1/users/{sub_id}"), &admin, &json!({"grants": ["audit_log:read"]})).await;
    assert_eq!(res.status(), 200);
    let res = app
        .patch_auth(&format!("/api/v1/users/{sub_id}"), &mgr, &json!({"grants": [], "display_name": "Clerk 2"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["grants"], json!([]));

    // Setting a password takes the account over: only for users holding no more than the caller.
    let (auditor, _) = app.user_with(&admin, "auditor", Some(&sales), &[&wide_pos]).await;
    let (app, mgr) = (&app, &mgr);
    let reset = |id: String| async move {
        let url = format!("/api/v1/users/{id}/reset-password");
        app.post_auth(&url, mgr, &json!({"password": "taken-over-1234"})).await
    };
    problem(reset(auditor).await, 403, "user.rights_exceed_own").await;
    app.login_in("default", "auditor", PW).await;
    assert_eq!(reset(sub_id.to_owned()).await.status(), 204);
    app.login_in("default", "clerk", "taken-over-1234").await;
}

async fn the_last_administrator_keeps_the_rights(db: Db) {
    let app = TestApp::spawn(db).await;
    let root = app.admin_token().await;
    let root_pos = admin_position(&app, &root).await;
    let root_id = me(&app, &root).await["id"].as_str().unwrap().to_owned();
    let res = app.patch_auth(&format!("/api/v1/users/{root_id}"), &root, &json!({"position_ids": []})).await;
    problem(res, 409, "user.last_administrator").await;
    assert_eq!(me(&app, &root).await["position_ids"], json!([root_pos]));

    let (boss, boss_id, admin_pos) = tenant_with_admin(&app, &root).await;
    let url = format!("/api/v1/users/{boss_id}");
    problem(app.patch_auth(&url, &boss, &json!({"position_ids": []})).await, 409, "user.last_administrator").await;
    // With a second administrator, one may step down; then the other is the last.
    let (second_id, second) = app.user_in("acme", &boss, "second.admin", None, &[&admin_pos]).await;
    assert_eq!(app.patch_auth(&url, &boss, &json!({"position_ids": []})).await.status(), 200);
    let res = app.patch_auth(&format!("/api/v1/users/{second_id}"), &second, &json!({"position_ids": []})).await;
    problem(res, 409, "user.last_administrator").await;
    // Disabling the last administrator is refused as well (by a user who may disable users).
    let hr_pos = app.position(&second, "HR", "all", &["users:read", "users:write"]).await;
    let (_, hr) = app.user_in("acme", &second, "hr.staff", None, &[&hr_pos]).await;
    let res = app.post_auth(&format!("/api/v1/users/{second_id}/disable"), &hr, &json!({})).await;
    problem(res, 409, "user.last_administrator").await;
    let s: Value = json_of(app.get_auth(&format!("/api/v1/users/{second_id}"), &second).await).await;
    assert_eq!((s["status"].as_str(), s["position_ids"].clone()), (Some("active"), json!([admin_pos])));
    // A disabled holder does not count: the tenant needs an active one.
    assert_eq!(app.patch_auth(&url, &second, &json!({"position_ids": [admin_pos]})).await.status(), 200);
    let (third_id, _) = app.user_in("acme", &second, "third.admin", None, &[&admin_pos]).await;
    assert_eq!(app.post_auth(&format!("/api/v1/users/{third_id}/disable"), &second, &json!({})).await.status(), 200);
    assert_eq!(app.patch_auth(&url, &second, &json!({"position_ids": []})).await.status(), 200);
    let res = app.patch_auth(&format!("/api/v1/users/{second_id}"), &second, &json!({"position_ids": []})).await;
    problem(res, 409, "user.last_administrator").await;
    let s: Value = json_of(app.get_auth(&format!("/api/v1/users/{second_id}"), &second).await).await;
    assert_eq!(s["position_ids"], json!([admin_pos]));
}

/// Tenant `acme` with its administrator `boss`: (boss's token, boss's id, the Administrator position).
async fn tenant_with_admin(app: &TestApp, root: &str) -> (String, String, String) {
    let res = app
        .post_auth(
            "/api/v1/tenants",
            root,
            &json!({"code": "acme", "name": "Acme", "admin_username": "boss", "admin_password": PW}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let boss = app.login_in("acme", "boss", PW).await;
    let boss_id = me(app, &boss).await["id"].as_str().unwrap().to_owned();
    let admin_pos = admin_position(app, &boss).await;
    (boss, boss_id, admin_pos)
}

async fn built_in_positions_refuse_changes(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let admin_pos = admin_position(&app, &admin).await;
    let url = format!("/api/v1/positions/{admin_pos}");
    let before = json_of(app.get_auth(&url, &admin).await).await;
    let res = app.patch_auth(&url, &admin, &json!({"name": "Renamed", "permissions": ["users:read"]})).await;
    problem(res, 409, "position.built_in").await;
    problem(app.delete_auth(&url, &admin).await, 409, "position.built_in").await;
    assert_eq!(json_of(app.get_auth(&url, &admin).await).await, before);
}

async fn revocation_ends_access_tokens_at_the_next_request(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let (uid, _) = app.user_with(&admin, "alice", None, &[]).await;

    // Logout ends the access token of that session (and the user's other access tokens).
    let s = login_full(&app, "default", "alice", PW).await;
    let (access, refresh) = (s["access_token"].as_str().unwrap(), s["refresh_token"].as_str().unwrap());
    assert_eq!(app.get_auth("/api/v1/me", access).await.status(), 200);
    let res = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": refresh})).await;
    assert_eq!(res.status(), 204);
    problem(app.get_auth("/api/v1/me", access).await, 401, "auth.token_revoked").await;
    let fresh = app.login_in("default", "alice", PW).await;
    assert_eq!(app.get_auth("/api/v1/me", &fresh).await.status(), 200);
    // The user's other sessions lose their access tokens too, but refresh to go on.
    let other = login_full(&app, "default", "alice", PW).await;
    let s = login_full(&app, "default", "alice", PW).await;
    let res = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": s["refresh_token"]})).await;
    assert_eq!(res.status(), 204);
    let old = other["access_token"].as_str().unwrap();
    problem(app.get_auth("/api/v1/me", old).await, 401, "auth.token_revoked").await;
    let res = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": other["refresh_token"]})).await;
    assert_eq!(res.status(), 200);
    let renewed = json_of(res).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_auth("/api/v1/me", &renewed).await.status(), 200);
    let fresh = app.login_in("default", "alice", PW).await;

    // A password reset.
    let res = app
        .post_auth(&format!("/api/v1/users/{uid}/reset-password"), &admin, &json!({"password": "new-pass-5678"}))
        .await;
    assert_eq!(res.status(), 204);
    problem(app.get_auth("/api/v1/me", &fresh).await, 401, "auth.token_revoked").await;
    let fresh = app.login_in("default", "alice", "new-pass-5678").await;
    assert_eq!(app.get_auth("/api/v1/me", &fresh).await.status(), 200);

    // Disabling: the token does not come back when the user is enabled again.
    assert_eq!(app.post_auth(&format!("/api/v1/users/{uid}/disable"), &admin, &json!({})).await.status(), 200);
    assert_eq!(app.post_auth(&format!("/api/v1/users/{uid}/enable"), &admin, &json!({})).await.status(), 200);
    problem(app.get_auth("/api/v1/me", &fresh).await, 401, "auth.token_revoked").await;
    let fresh = app.login_in("default", "alice", "new-pass-5678").await;
    assert_eq!(app.get_auth("/api/v1/me", &fresh).await.status(), 200);

    // Rotating a client's secret ends the tokens issued with the old one.
    let (cid_row, cid, token) = client_with(&app, &admin, &["users:read"]).await;
    assert_eq!(app.get_auth("/api/v1/users", &token).await.status(), 200);
    let res = app.post_auth(&format!("/api/v1/api-clients/{cid_row}/rotate-secret"), &admin, &json!({})).await;
    assert_eq!(res.status(), 200);
    let secret = json_of(res).await["client_secret"].as_str().unwrap().to_owned();
    problem(app.get_auth("/api/v1/users", &token).await, 401, "auth.token_revoked").await;
    let token = client_token(&app, &cid, &secret).await;
    assert_eq!(app.get_auth("/api/v1/users", &token).await.status(), 200);
}

/// Fires `n` PATCHes with the same `If-Match` at once; each sets `field` to its own value.
async fn race_patches(app: &TestApp, token: &str, url: &str, field: &str, round: usize) -> Vec<(u16, String)> {
    let res = app.get_auth(url, token).await;
    let tag = res.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    let reqs = (0..20).map(|i| {
        let (http, url, tag, token) = (app.http.clone(), app.url(url), tag.clone(), token.to_owned());
        let value = format!("r{round} n{i}");
        let body = json!({ field: value });
        async move {
            let res = http.patch(url).bearer_auth(token).header("if-match", tag).json(&body).send().await.unwrap();
            (res.status().as_u16(), value)
        }
    });
    futures_util::future::join_all(reqs).await
}

async fn concurrent_patches_with_one_if_match_apply_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let (uid, _) = app.user_with(&admin, "target", None, &[]).await;
    let pos = app.position(&admin, "Target", "team", &["users:read"]).await;
    let unit = app.unit(&admin, "Target", "team", None).await;
    let mut failed = Vec::new();
    for (url, field) in [
        (format!("/api/v1/users/{uid}"), "display_name"),
        (format!("/api/v1/positions/{pos}"), "name"),
        (format!("/api/v1/org-units/{unit}"), "name"),
    ] {
        for round in 0..15 {
            let results = race_patches(&app, &admin, &url, field, round).await;
            let ok: Vec<&String> = results.iter().filter(|(s, _)| *s == 200).map(|(_, v)| v).collect();
            let others: Vec<u16> = results.iter().map(|(s, _)| *s).filter(|s| *s != 200 && *s != 412).collect();
            let now = json_of(app.get_auth(&url, &admin).await).await;
            if ok.len() != 1 || !others.is_empty() || now[field].as_str() != ok.first().map(|s| s.as_str()) {
                failed.push(format!(
                    "{url} round {round}: {} x 200, others {others:?}, final {}",
                    ok.len(),
                    now[field]
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{} rounds broke If-Match:\n{}", failed.len(), failed.join("\n"));
}

async fn two_admins_removing_each_other_never_leave_none(db: Db) {
    let app = TestApp::spawn(db).await;
    let root = app.admin_token().await;
    let (boss, boss_id, admin_pos) = tenant_with_admin(&app, &root).await;
    let (other_id, other) = app.user_in("acme", &boss, "deputy", None, &[&admin_pos]).await;
    let mut failed = Vec::new();
    for round in 0..20 {
        // Even rounds: each removes the other; odd rounds: each steps down itself.
        let (a_target, b_target) = if round % 2 == 0 { (&other_id, &boss_id) } else { (&boss_id, &other_id) };
        let send = |token: String, target: String| {
            let (http, url) = (app.http.clone(), app.url(&format!("/api/v1/users/{target}")));
            async move {
                let res = http.patch(url).bearer_auth(token).json(&json!({"position_ids": []})).send().await.unwrap();
                res.status().as_u16()
            }
        };
        let (a, b) = tokio::join!(send(boss.clone(), a_target.clone()), send(other.clone(), b_target.clone()));
        let mut remaining = Vec::new();
        for (id, token) in [(&boss_id, &boss), (&other_id, &other)] {
            let res = app.get_auth(&format!("/api/v1/users/{id}"), token).await;
            if res.status() == 200 && json_of(res).await["position_ids"] == json!([admin_pos]) {
                remaining.push(id.clone());
            }
        }
        let mut statuses = [a, b];
        statuses.sort_unstable();
        // The loser is refused by the rule (409), or, when it arrives after the winner's commit
        // and removed its own rights, by the permission check (403).
        if remaining.len() != 1 || statuses[0] != 200 || ![403, 409].contains(&statuses[1]) {
            failed.push(format!("round {round}: statuses {statuses:?}, administrators left {}", remaining.len()));
        }
        let Some(survivor) = remaining.first() else { break };
        let token = if *survivor == boss_id { &boss } else { &other };
        for id in [&boss_id, &other_id] {
            let res =
                app.patch_auth(&format!("/api/v1/users/{id}"), token, &json!({"position_ids": [admin_pos]})).await;
            assert_eq!(res.status(), 200, "restore");
        }
    }
    assert!(failed.is_empty(), "{} rounds broke the last-administrator rule:\n{}", failed.len(), failed.join("\n"));
}

/// Sends one request as a task, for racing it against others.
fn spawn_send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> tokio::task::JoinHandle<u16> {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()).unwrap_or(0) })
}

async fn deleting_a_unit_or_position_races_with_its_use(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let (uid, _) = app.user_with(&admin, "mover", None, &[]).await;
    let user_url = format!("/api/v1/users/{uid}");
    let mut failed = Vec::new();
    for round in 0..15 {
        // A leaf unit deleted while a child is created under it and a user is moved into it.
        let unit = app.unit(&admin, &format!("Leaf {round}"), "team", None).await;
        let del = spawn_send(&app, reqwest::Method::DELETE, &format!("/api/v1/org-units/{unit}"), &admin, None);
        let child = spawn_send(
            &app,
            reqwest::Method::POST,
            "/api/v1/org-units",
            &admin,
            Some(json!({"name": format!("Child {round}"), "kind": "team", "parent_id": unit})),
        );
        let mv = spawn_send(&app, reqwest::Method::PATCH, &user_url, &admin, Some(json!({"org_unit_id": unit})));
        let (del, child, mv) = (del.await.unwrap(), child.await.unwrap(), mv.await.unwrap());
        let units = json_of(app.get_auth("/api/v1/org-units", &admin).await).await.to_string();
        let user = json_of(app.get_auth(&user_url, &admin).await).await;
        let unit_left = units.contains(&unit);
        let ok = match del {
            204 => !unit_left && child == 422 && mv == 422 && user["org_unit_id"] != json!(unit),
            409 => unit_left && (child == 201 || mv == 200),
            _ => false,
        };
        if !ok {
            failed.push(format!("unit round {round}: delete {del}, child {child}, move {mv}, unit left {unit_left}"));
        }
        // Park the user outside the tree again for the next round.
        let res = app.patch_auth(&user_url, &admin, &json!({"org_unit_id": null})).await;
        assert_eq!(res.status(), 200);

        // A position deleted while it is given to a user.
        let pos = app.position(&admin, &format!("Temp {round}"), "self", &["users:read"]).await;
        let del = spawn_send(&app, reqwest::Method::DELETE, &format!("/api/v1/positions/{pos}"), &admin, None);
        let give = spawn_send(&app, reqwest::Method::PATCH, &user_url, &admin, Some(json!({"position_ids": [pos]})));
        let (del, give) = (del.await.unwrap(), give.await.unwrap());
        let held = json_of(app.get_auth(&user_url, &admin).await).await["position_ids"].clone();
        let exists = app.get_auth(&format!("/api/v1/positions/{pos}"), &admin).await.status() == 200;
        let ok = match (del, give) {
            (204, 422) => !exists && held == json!([]),
            (409, 200) => exists && held == json!([pos]),
            _ => false,
        };
        if !ok {
            failed.push(format!("position round {round}: delete {del}, give {give}, exists {exists}, held {held}"));
        }
        let res = app.patch_auth(&user_url, &admin, &json!({"position_ids": []})).await;
        assert_eq!(res.status(), 200);
    }
    assert!(failed.is_empty(), "{} races broke a delete check:\n{}", failed.len(), failed.join("\n"));
}

async fn concurrent_failed_sign_ins_each_count(db: Db) {
    let app = TestApp::spawn_with(db, |c| {
        c.lockout.user_threshold = 8;
        c.lockout.ip_threshold = 10_000;
    })
    .await;
    let admin = app.admin_token().await;
    let mut failed = Vec::new();
    for round in 0..5 {
        let name = format!("target{round}");
        app.user_with(&admin, &name, None, &[]).await;
        // Eight wrong passwords at once reach the threshold only if every one is counted.
        let tries = (0..8).map(|_| {
            let body = json!({"username": name, "password": "wrong-pass-0000"});
            let req = app.http.post(app.url("/api/v1/auth/login")).json(&body);
            async move { req.send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
        });
        let statuses = futures_util::future::join_all(tries).await;
        let body = json!({"username": name, "password": PW});
        let after = app.post_json("/api/v1/auth/login", &body).await.status().as_u16();
        if after != 429 || statuses.iter().any(|s| *s != 401 && *s != 429) {
            failed.push(format!("round {round}: tries {statuses:?}, then the right password {after}"));
        }
    }
    assert!(failed.is_empty(), "{} rounds lost failed sign-ins:\n{}", failed.len(), failed.join("\n"));
}
