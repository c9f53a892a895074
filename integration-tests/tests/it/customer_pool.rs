//! The public pool (公海): listing it across data scopes, claiming (racing claims, the claim
//! limit), releasing, and the scheduled return of idle customers, run by two instances at once.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

on_both_dbs!(pool_claim_and_release, racing_claims_give_a_customer_to_one_user, idle_customers_return_to_the_pool_once,);

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn pool_ids(app: &TestApp, token: &str) -> Vec<String> {
    let res = app.get_auth("/api/v1/customers/pool?limit=500", token).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["items"].as_array().unwrap().iter().map(id).collect()
}

async fn pool_claim_and_release(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write", "customers:pool"]).await;
    let (ann_id, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let (bob_id, bob) = app.user_with(&t, "bob", None, &[&sales]).await;
    let pooled = app.create("/api/v1/customers", &t, json!({"name": "公海客户", "owner_id": null})).await;
    let annes = app.create("/api/v1/customers", &ann, json!({"name": "安的客户"})).await;

    // The pool is shared whatever the scope; owned customers are not in it.
    assert_eq!(pool_ids(&app, &bob).await, vec![id(&pooled)]);
    let mine: Value = app.get_auth("/api/v1/customers", &bob).await.json().await.unwrap();
    assert!(mine["items"].as_array().unwrap().is_empty(), "a self-scoped list does not show the pool");
    // A pool customer can be opened by whoever sees the pool, not by others of the same scope.
    assert_eq!(app.get_auth(&format!("/api/v1/customers/{}", id(&pooled)), &bob).await.status(), 200);
    let narrow = app.position(&t, "Narrow", "self", &["customers:read"]).await;
    let (_, nick) = app.user_with(&t, "nick", None, &[&narrow]).await;
    problem(app.get_auth(&format!("/api/v1/customers/{}", id(&pooled)), &nick).await, 404, "customer.not_found").await;
    // Without `customers:pool` there is no pool.
    let reader = app.position(&t, "Reader", "all", &["customers:read"]).await;
    let (_, rita) = app.user_with(&t, "rita", None, &[&reader]).await;
    problem(app.get_auth("/api/v1/customers/pool", &rita).await, 403, "permission.denied").await;

    // Bob claims it; then it is his, out of the pool, audited.
    let res = app.post_auth(&format!("/api/v1/customers/{}/claim", id(&pooled)), &bob, &json!({})).await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["owner_id"].as_str(), Some(bob_id.as_str()));
    assert!(pool_ids(&app, &bob).await.is_empty());
    let got = app.get_auth(&format!("/api/v1/customers/{}", id(&pooled)), &bob).await;
    assert_eq!(got.status(), 200, "now in bob's scope");
    // Claiming an owned customer: 409 for who can see it, 404 for who cannot.
    problem(
        app.post_auth(&format!("/api/v1/customers/{}/claim", id(&pooled)), &t, &json!({})).await,
        409,
        "customer.already_owned",
    )
    .await;
    problem(
        app.post_auth(&format!("/api/v1/customers/{}/claim", id(&pooled)), &ann, &json!({})).await,
        404,
        "customer.not_found",
    )
    .await;

    // Ann releases hers with a reason; Bob cannot release what he cannot see.
    problem(
        app.post_auth(&format!("/api/v1/customers/{}/release", id(&annes)), &bob, &json!({})).await,
        404,
        "customer.not_found",
    )
    .await;
    let res =
        app.post_auth(&format!("/api/v1/customers/{}/release", id(&annes)), &ann, &json!({"reason": "不再跟进"})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(pool_ids(&app, &bob).await, vec![id(&annes)]);
    problem(
        app.post_auth(&format!("/api/v1/customers/{}/release", id(&annes)), &t, &json!({})).await,
        409,
        "customer.in_pool",
    )
    .await;
    let audit: Value = app
        .get_auth(&format!("/api/v1/audit-log?entity_type=customer&entity_id={}", id(&annes)), &t)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"release") && actions.contains(&"release_reason"), "{actions:?}");
    let _ = ann_id;

    // The claim limit counts what the user owns.
    app.patch_auth("/api/v1/settings", &t, &json!({"pool_claim_limit": 1})).await;
    problem(
        app.post_auth(&format!("/api/v1/customers/{}/claim", id(&annes)), &bob, &json!({})).await,
        409,
        "customer.claim_limit_reached",
    )
    .await;
    app.patch_auth("/api/v1/settings", &t, &json!({"pool_claim_limit": 2})).await;
    assert_eq!(app.post_auth(&format!("/api/v1/customers/{}/claim", id(&annes)), &bob, &json!({})).await.status(), 200);
}

async fn racing_claims_give_a_customer_to_one_user(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:pool"]).await;
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(app.user_with(&t, &format!("user{i}"), None, &[&sales]).await.1);
    }
    for round in 0..3 {
        let c = app.create("/api/v1/customers", &t, json!({"name": format!("抢{round}"), "owner_id": null})).await;
        let url = format!("/api/v1/customers/{}/claim", id(&c));
        let empty = json!({});
        let results = futures_util::future::join_all(tokens.iter().map(|tk| app.post_auth(&url, tk, &empty))).await;
        let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 409 || *s == 404), "{statuses:?}");
        let audit: Value = app
            .get_auth(&format!("/api/v1/audit-log?entity_type=customer&entity_id={}", id(&c)), &t)
            .await
            .json()
            .await
            .unwrap();
        let claims = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "claim").count();
        assert_eq!(claims, 1);
    }
}

async fn backdate(app: &TestApp, customer: &str, owned_since: DateTime<Utc>) {
    let store = app.store().await;
    let c = store.conn();
    let id: uuid::Uuid = customer.parse().unwrap();
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        "UPDATE customers SET owned_since = $1 WHERE id = $2",
        [owned_since.into(), id.into()],
    ))
    .await
    .unwrap();
}

async fn idle_customers_return_to_the_pool_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let now = Utc::now();
    let old = now - Duration::days(40);
    // Owned long ago, never contacted: returns.
    let never = app.create("/api/v1/customers", &t, json!({"name": "从未联系"})).await;
    backdate(&app, &id(&never), old).await;
    // Owned long ago, last contacted 35 days ago: returns.
    let stale = app.create("/api/v1/customers", &t, json!({"name": "久未联系"})).await;
    backdate(&app, &id(&stale), old).await;
    let at = (now - Duration::days(35)).to_rfc3339();
    app.post_auth(
        &format!("/api/v1/customers/{}/interactions", id(&stale)),
        &t,
        &json!({"kind": "call", "summary": "old", "occurred_at": at}),
    )
    .await;
    // Owned long ago, contacted yesterday: stays.
    let recent = app.create("/api/v1/customers", &t, json!({"name": "最近联系"})).await;
    backdate(&app, &id(&recent), old).await;
    let at = (now - Duration::days(1)).to_rfc3339();
    app.post_auth(
        &format!("/api/v1/customers/{}/interactions", id(&recent)),
        &t,
        &json!({"kind": "visit", "summary": "new", "occurred_at": at}),
    )
    .await;
    // Never contacted but claimed (owned) only today: stays.
    let fresh = app.create("/api/v1/customers", &t, json!({"name": "新领取"})).await;

    // Off until the tenant sets a number of days.
    assert_eq!(app.app.return_idle_customers(now).await.unwrap(), 0);
    app.patch_auth("/api/v1/settings", &t, &json!({"pool_return_days": 30})).await;

    // Two instances run the job at the same moment: each customer moves once.
    let (a, b) = tokio::join!(app.app.return_idle_customers(now), app.app.return_idle_customers(now));
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    assert_eq!(app.app.return_idle_customers(now).await.unwrap(), 0, "nothing left to return");
    let mut pooled = pool_ids(&app, &t).await;
    pooled.sort();
    let mut want = vec![id(&never), id(&stale)];
    want.sort();
    assert_eq!(pooled, want);
    for c in [&recent, &fresh] {
        let v: Value = app.get_auth(&format!("/api/v1/customers/{}", id(c)), &t).await.json().await.unwrap();
        assert!(v["owner_id"].is_string(), "{v}");
    }
    let audit: Value = app
        .get_auth(&format!("/api/v1/audit-log?entity_type=customer&entity_id={}", id(&never)), &t)
        .await
        .json()
        .await
        .unwrap();
    let returns: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "return_to_pool").collect();
    assert_eq!(returns.len(), 1);
    assert_eq!(returns[0]["actor_type"], "system");
}
