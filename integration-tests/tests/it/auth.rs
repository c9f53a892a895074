//! Sign-in sessions and access tokens (RFC 8725 checks).

use crate::helpers::{ADMIN_PASSWORD, Db, TestApp, problem};
use crate::on_both_dbs;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

on_both_dbs!(
    wrong_password_unknown_user_and_unknown_tenant_look_the_same,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_ends_the_session,
    forged_and_mistyped_tokens_are_refused,
    concurrent_sign_ins_all_succeed,
    racing_refreshes_of_one_token_let_exactly_one_win,
    lockout_by_username_triggers_and_expires,
    lockout_by_client_address,
    rate_limits_answer_429_with_retry_after,
);

async fn wrong_password_unknown_user_and_unknown_tenant_look_the_same(db: Db) {
    let app = TestApp::spawn(db).await;
    for body in [
        json!({"username": "admin", "password": "wrong-password"}),
        json!({"username": "nobody", "password": ADMIN_PASSWORD}),
        json!({"tenant": "elsewhere", "username": "admin", "password": ADMIN_PASSWORD}),
    ] {
        let res = app.post_json("/api/v1/auth/login", &body).await;
        let p = problem(res, 401, "auth.invalid_credentials").await;
        assert_eq!(p["detail"], "The tenant, username or password is wrong.");
    }
    // Usernames are case-insensitive; the tenant defaults to `default`.
    let t = app.login("ADMIN", ADMIN_PASSWORD).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    let t2 = app
        .post_json("/api/v1/auth/login", &json!({"tenant": "default", "username": "admin", "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(t2.status(), 200);
}

async fn refresh_rotates_and_reuse_revokes_the_family(db: Db) {
    let app = TestApp::spawn(db).await;
    let first = app.login("admin", ADMIN_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap();

    let res = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": r1})).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated");
    assert_eq!(app.get_auth("/api/v1/me", second["access_token"].as_str().unwrap()).await.status(), 200);

    // Replaying the old token is theft: refused, and the newest token of the family dies too.
    problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": r1})).await,
        401,
        "auth.refresh_token_reused",
    )
    .await;
    problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": r2})).await,
        401,
        "auth.invalid_refresh_token",
    )
    .await;

    // Another login is another family and still works.
    let other = app.login("admin", ADMIN_PASSWORD).await;
    let res = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": other["refresh_token"]})).await;
    assert_eq!(res.status(), 200);
    problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": "made-up"})).await,
        401,
        "auth.invalid_refresh_token",
    )
    .await;
}

async fn logout_ends_the_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.login("admin", ADMIN_PASSWORD).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let res = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": rt})).await;
    assert_eq!(res.status(), 204);
    let again = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": rt})).await;
    assert_eq!(again.status(), 204, "logout is idempotent");
    problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": rt})).await,
        401,
        "auth.invalid_refresh_token",
    )
    .await;
}

fn claims(app_tenant: &str, user: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "crm", "aud": "crm-api", "sub": user, "tid": app_tenant, "iat": now, "exp": now + 600, "jti": uuid::Uuid::now_v7(), "act": "user"})
}

fn sign(header: &Header, claims: &Value, key: &str) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(key.as_bytes()).unwrap()).unwrap()
}

async fn forged_and_mistyped_tokens_are_refused(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.jwt_secret = Some(SECRET.into())).await;
    let token = app.admin_token().await;
    let me: Value = app.get_auth("/api/v1/me", &token).await.json().await.unwrap();
    let (tid, sub) = (me["tenant_id"].as_str().unwrap().to_owned(), me["id"].as_str().unwrap().to_owned());
    let mut at = Header::new(Algorithm::HS256);
    at.typ = Some("at+jwt".to_owned());

    // The control: a token we forge correctly with the configured key is accepted.
    let good = sign(&at, &claims(&tid, &sub), SECRET);
    assert_eq!(app.get_auth("/api/v1/me", &good).await.status(), 200);

    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    cases.push((
        "wrong key",
        sign(&at, &claims(&tid, &sub), "another-secret-0123456789-abcdefghij"),
        "auth.invalid_token",
    ));
    let mut c = claims(&tid, &sub);
    c["aud"] = json!("someone-else");
    cases.push(("wrong aud", sign(&at, &c, SECRET), "auth.invalid_token"));
    let mut c = claims(&tid, &sub);
    c["iss"] = json!("evil");
    cases.push(("wrong iss", sign(&at, &c, SECRET), "auth.invalid_token"));
    let mut c = claims(&tid, &sub);
    c["exp"] = json!(chrono::Utc::now().timestamp() - 120);
    cases.push(("expired", sign(&at, &c, SECRET), "auth.token_expired"));
    let mut jwt = Header::new(Algorithm::HS256);
    jwt.typ = Some("JWT".to_owned());
    cases.push(("wrong typ", sign(&jwt, &claims(&tid, &sub), SECRET), "auth.invalid_token"));
    cases.push((
        "HS512",
        sign(&Header { typ: Some("at+jwt".into()), ..Header::new(Algorithm::HS512) }, &claims(&tid, &sub), SECRET),
        "auth.invalid_token",
    ));
    // alg none: header and claims, empty signature.
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims(&tid, &sub).to_string());
    cases.push(("alg none", format!("{none_header}.{body}."), "auth.invalid_token"));
    // Tampered: claims changed after signing.
    let parts: Vec<&str> = good.split('.').collect();
    let mut c = claims(&tid, &sub);
    c["padm"] = json!(true);
    c["sub"] = json!(uuid::Uuid::now_v7());
    cases.push((
        "tampered",
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(c.to_string()), parts[2]),
        "auth.invalid_token",
    ));

    for (name, token, code) in cases {
        let res = app.get_auth("/api/v1/me", &token).await;
        assert_eq!(res.status(), 401, "{name}");
        let p = problem(res, 401, code).await;
        assert_eq!(p["code"], code, "{name}");
    }
}

async fn concurrent_sign_ins_all_succeed(db: Db) {
    // Each login writes a session row: on SQLite, concurrent writers must queue, never fail
    // with "database is locked".
    let app = TestApp::spawn_with(db, |c| c.workers = Some(2)).await;
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let reqs = (0..24).map(|_| app.http.post(app.url("/api/v1/auth/login")).json(&body).send());
    let results = futures_util::future::join_all(reqs).await;
    let mut refresh_tokens = Vec::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        refresh_tokens.push(v["refresh_token"].as_str().unwrap().to_owned());
    }
    // Then every session refreshes at once.
    let reqs = refresh_tokens
        .iter()
        .map(|t| app.http.post(app.url("/api/v1/auth/refresh")).json(&json!({"refresh_token": t})).send());
    for r in futures_util::future::join_all(reqs).await {
        assert_eq!(r.unwrap().status(), 200);
    }
}

async fn racing_refreshes_of_one_token_let_exactly_one_win(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.workers = Some(2)).await;
    for _ in 0..5 {
        let t = app.login("admin", ADMIN_PASSWORD).await;
        let body = json!({"refresh_token": t["refresh_token"]});
        let reqs = (0..4).map(|_| app.http.post(app.url("/api/v1/auth/refresh")).json(&body).send());
        let statuses: Vec<u16> =
            futures_util::future::join_all(reqs).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3, "{statuses:?}");
    }
}

async fn lockout_by_username_triggers_and_expires(db: Db) {
    let app = TestApp::spawn_with(db, |c| {
        c.lockout.user_threshold = 3;
        c.lockout.lock_for = std::time::Duration::from_secs(2);
    })
    .await;
    let wrong = json!({"username": "admin", "password": "wrong-password"});
    for _ in 0..3 {
        problem(app.post_json("/api/v1/auth/login", &wrong).await, 401, "auth.invalid_credentials").await;
    }
    // Locked: even the right password is refused until the lock expires.
    let right = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let res = app.post_json("/api/v1/auth/login", &right).await;
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    problem(res, 429, "auth.locked").await;
    // Another username is not locked by this one's failures.
    let other = app.post_json("/api/v1/auth/login", &json!({"username": "someone", "password": "x"})).await;
    assert_eq!(other.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(app.post_json("/api/v1/auth/login", &right).await.status(), 200);
    // A success clears the count.
    for _ in 0..2 {
        app.post_json("/api/v1/auth/login", &wrong).await;
    }
    assert_eq!(app.post_json("/api/v1/auth/login", &right).await.status(), 200);
}

async fn lockout_by_client_address(db: Db) {
    let app = TestApp::spawn_with(db, |c| {
        c.lockout.ip_threshold = 4;
        c.lockout.user_threshold = 100;
    })
    .await;
    for i in 0..4 {
        let res = app.post_json("/api/v1/auth/login", &json!({"username": format!("guess{i}"), "password": "x"})).await;
        assert_eq!(res.status(), 401);
    }
    let res = app.post_json("/api/v1/auth/login", &json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    problem(res, 429, "auth.locked").await;
}

async fn rate_limits_answer_429_with_retry_after(db: Db) {
    use crm_api::middleware::rate_limit::Rate;
    let app = TestApp::spawn_with(db, |c| {
        c.rate_limits.auth_per_ip = Rate { per_second: 1, burst: 2 };
        c.rate_limits.per_caller = Rate { per_second: 1, burst: 3 };
    })
    .await;
    let token = app.admin_token().await; // one auth request
    let body = json!({"refresh_token": "x"});
    assert_eq!(app.post_json("/api/v1/auth/refresh", &body).await.status(), 401);
    let res = app.post_json("/api/v1/auth/refresh", &body).await;
    assert!(res.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    problem(res, 429, "rate.limited").await;
    // Other endpoints from the same address are not under the auth limit, but a caller has its own.
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(app.get_auth("/api/v1/me", &token).await.status().as_u16());
        }
        v
    };
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert_eq!(statuses[4], 429, "{statuses:?}");
    assert_eq!(app.get("/healthz").await.status(), 200);
}
