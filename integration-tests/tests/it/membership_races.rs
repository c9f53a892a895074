//! Membership under concurrency: real concurrent HTTP requests on one member, level or
//! application, many rounds each, proving every read-check-write holds its row. Card actions on
//! one member run one after the other (a replacement chains on the number the previous one
//! gave), so no card number is ever left assigned to a member that does not hold it; one
//! If-Match admits one change.

use crate::helpers::{Db, TestApp};
use crate::membership_enrollment::{apply_onsite, enroll, expect, items, level, member, s};
use crate::on_both_dbs;
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    concurrent_card_replacements_lose_no_number,
    concurrent_report_lost_and_cancel_apply_once,
    concurrent_replace_and_cancel_leave_no_number_assigned,
    concurrent_level_changes_keep_a_consistent_history,
    one_etag_admits_one_concurrent_change,
);

/// Rounds of each race: a one-in-five race survives 15 rounds with probability 0.8^15 < 4%.
const ROUNDS: u32 = 15;

/// Status codes of `n` concurrent POSTs of `body` to `path`, with their bodies.
async fn race_post(app: &TestApp, token: &str, path: &str, body: Value, n: usize) -> Vec<(u16, Value)> {
    join_all((0..n).map(|_| async {
        let res = app.post_auth(path, token, &body).await;
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }))
    .await
}

/// The pool's numbers ever given to `member_id`: (card_no, status).
async fn numbers_of(app: &TestApp, token: &str, member_id: &str) -> Vec<(String, String)> {
    items(app, token, "/api/v1/card-numbers?limit=500")
        .await
        .iter()
        .filter(|c| c["member_id"].as_str() == Some(member_id))
        .map(|c| (s(c, "card_no"), s(c, "status")))
        .collect()
}

/// The pool agrees with the member: a live member holds exactly its one assigned number, every
/// other number it ever had is retired; a cancelled member's numbers are all retired.
async fn assert_pool_matches(app: &TestApp, token: &str, member_id: &str, what: &str) -> Vec<(String, String)> {
    let m = member(app, token, member_id).await;
    let numbers = numbers_of(app, token, member_id).await;
    let assigned: Vec<&String> = numbers.iter().filter(|(_, st)| st == "assigned").map(|(n, _)| n).collect();
    if m["status"] == "cancelled" {
        assert!(assigned.is_empty(), "{what}: a cancelled member keeps no assigned number: {numbers:?}");
    } else {
        assert_eq!(assigned, vec![&s(&m, "card_no")], "{what}: the member holds its one assigned number: {numbers:?}");
    }
    assert!(numbers.iter().all(|(_, st)| st == "assigned" || st == "retired"), "{what}: {numbers:?}");
    numbers
}

async fn concurrent_card_replacements_lose_no_number(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    for round in 0..ROUNDS {
        let m = enroll(&app, &t, "换卡", &format!("1390{round:07}")).await;
        let mid = s(&m, "id");
        let path = format!("/api/v1/members/{mid}/replace-card");
        let out = race_post(&app, &t, &path, json!({}), 10).await;
        let given: Vec<String> = out.iter().filter(|(st, _)| *st == 200).map(|(_, b)| s(b, "card_no")).collect();
        assert!(out.iter().all(|(st, _)| *st == 200), "round {round}: every replacement succeeds in turn: {out:?}");
        let distinct: BTreeSet<&String> = given.iter().collect();
        assert_eq!(distinct.len(), given.len(), "round {round}: each replacement gives a new number: {given:?}");
        let numbers = assert_pool_matches(&app, &t, &mid, &format!("round {round}")).await;
        // The first number plus exactly one per successful replacement.
        assert_eq!(numbers.len(), 1 + given.len(), "round {round}: {numbers:?}");
        let current = s(&member(&app, &t, &mid).await, "card_no");
        assert!(given.contains(&current), "round {round}: the member holds the last number given");
    }
}

async fn concurrent_report_lost_and_cancel_apply_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    for round in 0..ROUNDS {
        let m = enroll(&app, &t, "挂失", &format!("1391{round:07}")).await;
        let mid = s(&m, "id");
        let lost = race_post(&app, &t, &format!("/api/v1/members/{mid}/report-lost"), json!({}), 5).await;
        let ok = lost.iter().filter(|(st, _)| *st == 200).count();
        assert_eq!(ok, 1, "round {round}: one report-lost wins: {lost:?}");
        assert!(
            lost.iter()
                .filter(|(st, _)| *st != 200)
                .all(|(st, b)| *st == 409 && b["code"] == "member.invalid_transition"),
            "round {round}: {lost:?}"
        );
        let body = json!({"reason": "退会"});
        let cancel = race_post(&app, &t, &format!("/api/v1/members/{mid}/cancel"), body, 5).await;
        assert_eq!(cancel.iter().filter(|(st, _)| *st == 200).count(), 1, "round {round}: one cancel wins: {cancel:?}");
        let events = items(&app, &t, &format!("/api/v1/outbox-events?aggregate_id={mid}&limit=100")).await;
        let kinds: Vec<String> = events.iter().map(|e| s(e, "event_type")).filter(|k| k != "member.enrolled").collect();
        assert_eq!(kinds.len(), 2, "round {round}: one event per change that happened: {kinds:?}");
        assert_pool_matches(&app, &t, &mid, &format!("round {round}")).await;
    }
}

async fn concurrent_replace_and_cancel_leave_no_number_assigned(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    for round in 0..ROUNDS {
        let m = enroll(&app, &t, "注销", &format!("1392{round:07}")).await;
        let mid = s(&m, "id");
        let replace = format!("/api/v1/members/{mid}/replace-card");
        let cancel = format!("/api/v1/members/{mid}/cancel");
        let (r, c) = tokio::join!(
            race_post(&app, &t, &replace, json!({}), 3),
            race_post(&app, &t, &cancel, json!({"reason": "退会"}), 1),
        );
        assert_eq!(c[0].0, 200, "round {round}: the cancellation applies: {c:?}");
        assert!(r.iter().all(|(st, _)| *st == 200 || *st == 409), "round {round}: {r:?}");
        assert_eq!(member(&app, &t, &mid).await["status"], "cancelled");
        assert_pool_matches(&app, &t, &mid, &format!("round {round}")).await;
    }
}

async fn concurrent_level_changes_keep_a_consistent_history(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let levels = [level(&app, &t, "L0", 0).await, level(&app, &t, "L1", 1).await, level(&app, &t, "L2", 2).await];
    for round in 0..ROUNDS {
        let m = enroll(&app, &t, "升级", &format!("1393{round:07}")).await;
        let mid = s(&m, "id");
        let single = |l: &String| {
            let body = json!({"level_id": l, "reason": "调整"});
            let app = &app;
            let t = &t;
            let mid = &mid;
            async move { app.post_auth(&format!("/api/v1/members/{mid}/level"), t, &body).await.status().as_u16() }
        };
        let bulk = async {
            let body = json!({"member_ids": [mid], "level_id": levels[1], "reason": "批量"});
            expect(app.post_auth("/api/v1/members/bulk-level", &t, &body).await, 200, "bulk-level").await
        };
        let (a, b, c, bulk) = tokio::join!(single(&levels[2]), single(&levels[1]), single(&levels[2]), bulk);
        assert_eq!([a, b, c], [200, 200, 200], "round {round}");
        assert!(bulk["items"][0]["status"] != "failed", "round {round}: {bulk}");
        // Each step starts where the one before ended, and the last is where the member is.
        let h = items(&app, &t, &format!("/api/v1/members/{mid}/level-history")).await;
        for w in h.windows(2) {
            assert_eq!(w[1]["from_level_id"], w[0]["to_level_id"], "round {round}: a broken history: {h:?}");
        }
        let now = member(&app, &t, &mid).await;
        assert_eq!(h.last().map(|e| e["to_level_id"].clone()), Some(now["level"]["id"].clone()), "round {round}");
    }
}

/// `n` concurrent PATCHes of `path`, each a different `body(i)`, all with the one `etag`.
async fn race_patch(app: &TestApp, token: &str, path: &str, etag: &str, body: impl Fn(usize) -> Value) -> Vec<u16> {
    join_all((0..5).map(|i| {
        let req = app.http.patch(app.url(path)).bearer_auth(token).header("if-match", etag).json(&body(i));
        async move { req.send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
    }))
    .await
}

async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get_auth(path, token).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.headers()["etag"].to_str().unwrap().to_owned()
}

/// One 200 and the rest 412, for each of member, member level and application.
async fn one_etag_admits_one_concurrent_change(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let lvl = level(&app, &t, "基础", 0).await;
    for round in 0..ROUNDS {
        let m = enroll(&app, &t, "资料", &format!("1394{round:07}")).await;
        let mp = format!("/api/v1/members/{}", s(&m, "id"));
        let lp = format!("/api/v1/member-levels/{lvl}");
        let a = apply_onsite(&app, &t, "申请", &format!("1395{round:07}")).await;
        let ap = format!("/api/v1/enrollment-applications/{}", s(&a, "id"));
        for (path, field) in [(&mp, "name"), (&lp, "name"), (&ap, "name")] {
            let etag = etag_of(&app, &t, path).await;
            let got = race_patch(&app, &t, path, &etag, |i| json!({ field: format!("改名{round}-{i}") })).await;
            let mut sorted = got.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [200, 412, 412, 412, 412], "round {round} {path}: one If-Match, one change: {got:?}");
        }
    }
}
