//! The ledger under concurrency, with real concurrent HTTP requests, many rounds each (on
//! PostgreSQL these are many writers at READ COMMITTED): identical purchase pushes make one
//! purchase and one credit; payments that each complete a purchase confirm it once; a
//! cancellation racing a payment leaves exact totals. Every test ends with the ledger check.

use crate::helpers::{Db, TestApp};
use crate::loyalty::{assert_ledger_consistent, balance, pay, push, this_year};
use crate::membership_enrollment::{enroll, items, s};
use crate::on_both_dbs;
use futures_util::future::join_all;
use serde_json::{Value, json};

on_both_dbs!(
    concurrent_identical_pushes_make_one_purchase_and_one_credit,
    concurrent_completing_payments_confirm_once,
    cancel_racing_a_payment_leaves_exact_totals,
    crossed_batches_of_the_same_members_both_apply,
);

/// Rounds of each race: a one-in-five race survives 15 rounds with probability 0.8^15 < 4%.
const ROUNDS: u32 = 15;

/// `n` concurrent POSTs of `body` to `path`: their statuses and bodies.
async fn race(app: &TestApp, token: &str, path: &str, body: &Value, n: usize) -> Vec<(u16, Value)> {
    join_all((0..n).map(|_| async {
        let res = app.post_auth(path, token, body).await;
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }))
    .await
}

/// Entries of a member written by one source type.
async fn entries_of(app: &TestApp, token: &str, member_id: &str, source_type: &str) -> Vec<Value> {
    items(app, token, &format!("/api/v1/members/{member_id}/points/entries?limit=500"))
        .await
        .into_iter()
        .filter(|e| e["source_type"] == source_type)
        .collect()
}

async fn concurrent_identical_pushes_make_one_purchase_and_one_credit(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "paid_in_full").await;
    let mid = s(&enroll(&app, &t, "并发", "13600136001").await, "id");
    // 200 at once in the first round, then smaller rounds for more interleavings.
    for round in 0..3u32 {
        let n = if round == 0 { 200 } else { 50 };
        let body = push(&format!("HT-R{round}"), &mid, "1000.00");
        let answers = race(&app, &t, "/api/v1/purchases", &body, n).await;
        let created = answers.iter().filter(|(st, _)| *st == 201).count();
        let replayed = answers.iter().filter(|(st, _)| *st == 200).count();
        assert_eq!(
            (created, replayed),
            (1, n - 1),
            "round {round}: one push records, the rest replay: {:?}",
            answers.iter().find(|(st, _)| *st != 200 && *st != 201)
        );
        let ids: std::collections::BTreeSet<&str> = answers.iter().filter_map(|(_, b)| b["id"].as_str()).collect();
        assert_eq!(ids.len(), 1, "round {round}: every answer names the same purchase");
    }
    let purchases = items(&app, &t, &format!("/api/v1/purchases?member_id={mid}")).await;
    assert_eq!(purchases.len(), 3);
    assert_eq!(entries_of(&app, &t, &mid, "purchase").await.len(), 6, "one credit per kind per purchase");
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 30));
    assert_ledger_consistent(&app, &t).await;
}

async fn concurrent_completing_payments_confirm_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "paid_in_full").await;
    let mid = s(&enroll(&app, &t, "并发付款", "13600136002").await, "id");
    for round in 0..ROUNDS {
        let p = app.create("/api/v1/purchases", &t, push(&format!("HT-P{round}"), &mid, "500.00")).await;
        let path = format!("/api/v1/purchases/{}/payments", s(&p, "id"));
        // Each payment alone completes the purchase.
        let answers = join_all((0..6).map(|i| {
            let path = path.clone();
            let app = &app;
            let t = &t;
            async move {
                let res = app.post_auth(&path, t, &pay(&format!("PAY-{round}-{i}"), "500.00")).await;
                res.status().as_u16()
            }
        }))
        .await;
        assert!(answers.iter().all(|st| *st == 201), "round {round}: every payment is recorded: {answers:?}");
        let confirmations = entries_of(&app, &t, &mid, "purchase_confirmation").await;
        assert_eq!(
            confirmations.len(),
            4 * (round as usize + 1),
            "round {round}: one confirmation per purchase (2 kinds x pending/available)"
        );
        let now = app.get_auth(&format!("/api/v1/purchases/{}", s(&p, "id")), &t).await.json::<Value>().await.unwrap();
        assert_eq!((now["status"].as_str(), now["paid"].as_str()), (Some("effective"), Some("3000.00")), "{now}");
    }
    assert_eq!(balance(&app, &t, &mid, "reward").await, (5 * i64::from(ROUNDS), 0));
    assert_ledger_consistent(&app, &t).await;
}

async fn cancel_racing_a_payment_leaves_exact_totals(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "paid_in_full").await;
    let mid = s(&enroll(&app, &t, "并发取消", "13600136003").await, "id");
    let (mut paid_first, mut cancelled_first) = (0, 0);
    for round in 0..ROUNDS {
        let p = app.create("/api/v1/purchases", &t, push(&format!("HT-C{round}"), &mid, "800.00")).await;
        let pid = s(&p, "id");
        let pay_path = format!("/api/v1/purchases/{pid}/payments");
        let cancel_path = format!("/api/v1/purchases/{pid}/cancel");
        let payment = pay(&format!("PAY-C{round}"), "800.00");
        let empty = json!({});
        let (paid, cancelled) =
            tokio::join!(app.post_auth(&pay_path, &t, &payment), app.post_auth(&cancel_path, &t, &empty));
        let (paid, cancelled) = (paid.status().as_u16(), cancelled.status().as_u16());
        assert_eq!(cancelled, 200, "round {round}: the cancellation always applies");
        match paid {
            201 => paid_first += 1,
            409 => cancelled_first += 1,
            other => panic!("round {round}: payment answered {other}"),
        }
        let now = app.get_auth(&format!("/api/v1/purchases/{pid}"), &t).await.json::<Value>().await.unwrap();
        assert_eq!((now["status"].as_str(), now["reward_points"].as_i64()), (Some("cancelled"), Some(0)), "{now}");
        // Whatever the order, the member holds nothing of cancelled purchases.
        assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 0), "round {round}");
        assert_eq!(balance(&app, &t, &mid, "upgrade").await, (0, 0), "round {round}");
    }
    assert_eq!(paid_first + cancelled_first, ROUNDS);
    assert_ledger_consistent(&app, &t).await;
}

/// Two batches naming the same members in opposite orders, at once: each item is written in the
/// batch's one transaction in member order, so neither waits on the other in a cycle and every
/// item of both is credited.
async fn crossed_batches_of_the_same_members_both_apply(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "paid_in_full").await;
    let mut members = Vec::new();
    for i in 0..4 {
        members.push(s(&enroll(&app, &t, &format!("批量{i}"), &format!("1360013601{i}")).await, "id"));
    }
    for round in 0..ROUNDS {
        let batch = |tag: &str, order: Vec<&String>| {
            let items: Vec<Value> = order
                .into_iter()
                .map(|m| {
                    json!({"member_id": m, "kind": "reward", "delta": 1, "reason": "活动", "source_type": "activity",
                                "source_id": format!("{tag}-{round}-{m}")})
                })
                .collect();
            json!({"items": items})
        };
        let forward = batch("a", members.iter().collect());
        let backward = batch("b", members.iter().rev().collect());
        let (a, b) = tokio::join!(
            app.post_auth("/api/v1/points/entries/batch", &t, &forward),
            app.post_auth("/api/v1/points/entries/batch", &t, &backward)
        );
        for (what, res) in [("forward", a), ("backward", b)] {
            assert_eq!(res.status(), 200, "round {round} {what}");
            let body: Value = res.json().await.unwrap();
            let statuses: Vec<&str> =
                body["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
            assert_eq!(statuses, ["credited"; 4], "round {round} {what}: {body}");
        }
    }
    for m in &members {
        assert_eq!(balance(&app, &t, m, "reward").await, (2 * i64::from(ROUNDS), 0));
    }
    assert_ledger_consistent(&app, &t).await;
}
