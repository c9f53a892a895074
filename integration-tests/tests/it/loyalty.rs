//! The points lifecycle over HTTP: plans, purchases pending until paid, payments, refunds and
//! cancellation, manual and activity points (single, batch, idempotent), upgrade points and
//! levels, enrollment points, carry-over and its reversal, rewards. Every test ends with the
//! shared ledger check: each balance equals the sum of its entries.

use crate::helpers::{Db, TestApp, problem};
use crate::membership_enrollment::{approve, enroll, expect, items, member, s, set};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(
    purchase_points_are_pending_until_paid_in_full,
    first_payment_refunds_and_cancellation_reverse_exactly,
    a_reversal_after_spending_goes_negative_and_flags,
    upgrade_points_raise_the_level_and_demote_only_when_set,
    manual_entries_single_and_batch_are_idempotent,
    plans_validate_and_never_overlap,
    carry_over_and_its_reversal,
    online_enrollment_earns_the_plan_item,
    a_stalled_carry_over_run_is_resumed,
);

/// The shared check every ledger test ends with: the tenant's balances equal their entries.
pub(crate) async fn assert_ledger_consistent(app: &TestApp, token: &str) {
    let check = expect(app.post_auth("/api/v1/ledger/check", token, &json!({})).await, 200, "ledger check").await;
    assert_eq!(check["ok"], true, "balances equal the sums of their entries: {check}");
    assert!(check["differences"].as_array().is_some_and(Vec::is_empty), "{check}");
}

/// A plan over `from..=to` with `items`; returns it.
pub(crate) async fn plan(app: &TestApp, token: &str, from: &str, to: &str, items: Value, carry_over: Value) -> Value {
    app.create(
        "/api/v1/points-plans",
        token,
        json!({"name": format!("plan {from}"), "starts_on": from, "ends_on": to, "point_value": "0.50",
               "items": items, "carry_over": carry_over}),
    )
    .await
}

/// This year's plan: 1 reward and 2 upgrade points per 100.00 of a purchase, paid in full.
pub(crate) async fn this_year(app: &TestApp, token: &str, when: &str) -> Value {
    let items = json!([{"category": "purchase", "reward_points": 1, "upgrade_points": 2, "amount_per_point": "100.00",
                        "effective_when": when},
                       {"category": "activity", "reward_points": 30}]);
    plan(app, token, "2026-01-01", "2027-12-31", items, json!({"min_points": 1})).await
}

pub(crate) async fn points(app: &TestApp, token: &str, member_id: &str) -> Value {
    expect(app.get_auth(&format!("/api/v1/members/{member_id}/points"), token).await, 200, "points").await
}

/// `(available, pending)` of one kind over every plan.
pub(crate) async fn balance(app: &TestApp, token: &str, member_id: &str, kind: &str) -> (i64, i64) {
    let p = points(app, token, member_id).await;
    (p[kind]["available"].as_i64().unwrap(), p[kind]["pending"].as_i64().unwrap())
}

pub(crate) fn push(external_id: &str, member_id: &str, amount: &str) -> Value {
    json!({"source": "sales_office", "external_id": external_id, "member": {"id": member_id}, "amount": amount,
           "occurred_at": "2026-12-04T10:30:00+08:00", "description": "3 号楼 1202 室"})
}

pub(crate) fn pay(external_id: &str, amount: &str) -> Value {
    json!({"external_id": external_id, "amount": amount, "paid_at": "2026-12-05T09:00:00+08:00"})
}

/// The types of the outbox's events, oldest first.
async fn event_types(app: &TestApp, token: &str) -> Vec<String> {
    let mut all = items(app, token, "/api/v1/outbox-events?limit=500").await;
    all.reverse();
    all.iter().map(|e| s(e, "event_type")).collect()
}

async fn purchase_points_are_pending_until_paid_in_full(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    // The entry level multiplies reward points by 1.5.
    app.create(
        "/api/v1/member-levels",
        &t,
        json!({"name": "银卡", "level_value": 1, "upgrade_points": 0, "points_multiplier": "1.5"}),
    )
    .await;
    this_year(&app, &t, "paid_in_full").await;
    let m = enroll(&app, &t, "王芳", "13800138001").await;
    let mid = s(&m, "id");

    let p = app.create("/api/v1/purchases", &t, push("HT-1", &mid, "1299.99")).await;
    assert_eq!(
        (p["status"].as_str(), p["reward_points"].as_i64(), p["upgrade_points"].as_i64()),
        (Some("pending"), Some(18), Some(24)),
        "12 units: 12 x 1.5 reward, 12 x 2 upgrade: {p}"
    );
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 18));
    assert_eq!(balance(&app, &t, &mid, "upgrade").await, (0, 24));

    // A retry replays the first answer; another body under the same key is refused.
    let again =
        expect(app.post_auth("/api/v1/purchases", &t, &push("HT-1", &mid, "1299.99")).await, 200, "replay").await;
    assert_eq!(again["id"], p["id"]);
    problem(
        app.post_auth("/api/v1/purchases", &t, &push("HT-1", &mid, "1300.00")).await,
        409,
        "purchase.external_id_reused",
    )
    .await;
    // By card number too; an unknown member names the field.
    let by_card = json!({"source": "sales_office", "external_id": "HT-2", "member": {"card_no": "NOPE"}, "amount": "1.00",
                         "occurred_at": "2026-12-04T10:30:00+08:00"});
    let e = problem(app.post_auth("/api/v1/purchases", &t, &by_card).await, 422, "validation.failed").await;
    assert_eq!(e["errors"][0]["field"], "/member/card_no", "{e}");

    let pid = s(&p, "id");
    let half = expect(
        app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("PAY-1", "600.00")).await,
        201,
        "pay",
    )
    .await;
    assert_eq!(half["status"], "pending", "600 of 1299.99 is not paid in full: {half}");
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 18));
    let full = expect(
        app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("PAY-2", "699.99")).await,
        201,
        "pay",
    )
    .await;
    assert_eq!(full["status"], "effective", "{full}");
    assert_eq!(full["paid"], "1299.99");
    assert_eq!(full["payments"].as_array().map(Vec::len), Some(2));
    assert_eq!(balance(&app, &t, &mid, "reward").await, (18, 0));
    assert_eq!(balance(&app, &t, &mid, "upgrade").await, (24, 0));
    // A retried payment changes nothing; a reused payment id with another amount is refused.
    let replay = expect(
        app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("PAY-2", "699.99")).await,
        200,
        "replay",
    )
    .await;
    assert_eq!(replay["paid"], "1299.99");
    problem(
        app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("PAY-2", "1.00")).await,
        409,
        "payment.external_id_reused",
    )
    .await;
    assert_eq!(balance(&app, &t, &mid, "reward").await, (18, 0));
    // A payment for a purchase never pushed is refused clearly.
    let nobody = uuid::Uuid::now_v7();
    problem(
        app.post_auth(&format!("/api/v1/purchases/{nobody}/payments"), &t, &pay("PAY-9", "1.00")).await,
        404,
        "purchase.not_found",
    )
    .await;

    // The ledger, newest first: the confirmation matched the pending entries, each saying why.
    let entries = items(&app, &t, &format!("/api/v1/members/{mid}/points/entries")).await;
    let shape: Vec<(String, String, String, i64)> = entries
        .iter()
        .map(|e| (s(e, "source_type"), s(e, "kind"), s(e, "status"), e["delta"].as_i64().unwrap()))
        .collect();
    let want = [
        ("purchase_confirmation", "upgrade", "available", 24),
        ("purchase_confirmation", "upgrade", "pending", -24),
        ("purchase_confirmation", "reward", "available", 18),
        ("purchase_confirmation", "reward", "pending", -18),
        ("purchase", "upgrade", "pending", 24),
        ("purchase", "reward", "pending", 18),
    ]
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d));
    assert_eq!(shape, want);
    assert!(entries.iter().all(|e| e["purchase_id"] == p["id"] && e["item"] == "purchase"));
    let why = s(&entries[5], "reason");
    assert!(why.contains("per 100.00") && why.contains("1.50"), "the rule is stated: {why}");
    let types = event_types(&app, &t).await;
    for t in ["purchase.recorded", "points.credited", "points.confirmed"] {
        assert_eq!(types.iter().filter(|x| *x == t).count(), 1, "{t} once in {types:?}");
    }
    assert_ledger_consistent(&app, &t).await;
}

async fn first_payment_refunds_and_cancellation_reverse_exactly(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "first_payment").await;
    let mid = s(&enroll(&app, &t, "李雷", "13800138002").await, "id");
    let p = app.create("/api/v1/purchases", &t, push("HT-10", &mid, "1000.00")).await;
    let pid = s(&p, "id");
    let paid =
        expect(app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("P1", "1.00")).await, 201, "pay")
            .await;
    assert_eq!(paid["status"], "effective", "the first payment makes them available: {paid}");
    assert_eq!(balance(&app, &t, &mid, "reward").await, (10, 0));

    let refund = json!({"external_id": "R1", "amount": "300.00", "refunded_at": "2026-12-06T09:00:00+08:00", "reason": "车位退订"});
    let r = expect(app.post_auth(&format!("/api/v1/purchases/{pid}/refunds"), &t, &refund).await, 201, "refund").await;
    assert_eq!((r["reward_points"].as_i64(), r["refunded"].as_str()), (Some(7), Some("300.00")), "{r}");
    assert_eq!(balance(&app, &t, &mid, "reward").await, (7, 0));
    assert_eq!(balance(&app, &t, &mid, "upgrade").await, (14, 0));
    expect(app.post_auth(&format!("/api/v1/purchases/{pid}/refunds"), &t, &refund).await, 200, "refund replay").await;
    assert_eq!(balance(&app, &t, &mid, "reward").await, (7, 0));
    let too_much = json!({"external_id": "R2", "amount": "800.00", "refunded_at": "2026-12-06T09:00:00+08:00"});
    problem(
        app.post_auth(&format!("/api/v1/purchases/{pid}/refunds"), &t, &too_much).await,
        409,
        "purchase.refund_exceeds_amount",
    )
    .await;

    let c = expect(
        app.post_auth(&format!("/api/v1/purchases/{pid}/cancel"), &t, &json!({"reason": "退房"})).await,
        200,
        "cancel",
    )
    .await;
    assert_eq!((c["status"].as_str(), c["reward_points"].as_i64()), (Some("cancelled"), Some(0)));
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 0));
    assert_eq!(balance(&app, &t, &mid, "upgrade").await, (0, 0));
    expect(app.post_auth(&format!("/api/v1/purchases/{pid}/cancel"), &t, &json!({})).await, 200, "cancel again").await;
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 0));
    problem(
        app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("P2", "5.00")).await,
        409,
        "purchase.cancelled",
    )
    .await;

    // A pending purchase cancelled reverses its pending points.
    let q = app.create("/api/v1/purchases", &t, push("HT-11", &mid, "500.00")).await;
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 5));
    expect(app.post_auth(&format!("/api/v1/purchases/{}/cancel", s(&q, "id")), &t, &json!({})).await, 200, "cancel")
        .await;
    assert_eq!(balance(&app, &t, &mid, "reward").await, (0, 0));
    let listed = items(&app, &t, &format!("/api/v1/purchases?member_id={mid}&status=cancelled")).await;
    assert_eq!(listed.len(), 2);
    assert_ledger_consistent(&app, &t).await;
}

async fn a_reversal_after_spending_goes_negative_and_flags(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "first_payment").await;
    let mid = s(&enroll(&app, &t, "韩梅梅", "13800138003").await, "id");
    let p = app.create("/api/v1/purchases", &t, push("HT-20", &mid, "1000.00")).await;
    let pid = s(&p, "id");
    expect(app.post_auth(&format!("/api/v1/purchases/{pid}/payments"), &t, &pay("P1", "1000.00")).await, 201, "pay")
        .await;
    let spend = |delta: i64, id: &str| json!({"member_id": mid, "kind": "reward", "delta": delta, "reason": "兑换", "source_type": "manual", "source_id": id});
    app.create("/api/v1/points/entries", &t, spend(-8, "spend-1")).await;
    problem(app.post_auth("/api/v1/points/entries", &t, &spend(-3, "spend-2")).await, 409, "points.insufficient").await;
    assert_eq!(balance(&app, &t, &mid, "reward").await, (2, 0), "the refused debit wrote nothing");
    expect(app.post_auth(&format!("/api/v1/purchases/{pid}/cancel"), &t, &json!({})).await, 200, "cancel").await;
    let pts = points(&app, &t, &mid).await;
    assert_eq!(pts["reward"]["available"], -8, "never clamped: {pts}");
    assert_eq!(pts["negative"], true);
    assert!(event_types(&app, &t).await.contains(&"member.points_negative".to_owned()));
    assert_ledger_consistent(&app, &t).await;
}

async fn upgrade_points_raise_the_level_and_demote_only_when_set(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let l1 = s(
        &app.create("/api/v1/member-levels", &t, json!({"name": "普卡", "level_value": 1, "upgrade_points": 0})).await,
        "id",
    );
    let l2 = s(
        &app.create("/api/v1/member-levels", &t, json!({"name": "金卡", "level_value": 2, "upgrade_points": 100}))
            .await,
        "id",
    );
    this_year(&app, &t, "paid_in_full").await;
    let mid = s(&enroll(&app, &t, "赵六", "13800138004").await, "id");
    let up = |delta: i64, id: &str| json!({"member_id": mid, "kind": "upgrade", "delta": delta, "reason": "补录", "source_type": "manual", "source_id": id});
    let e = app.create("/api/v1/points/entries", &t, up(150, "u1")).await;
    let m = member(&app, &t, &mid).await;
    assert_eq!(m["level"]["id"].as_str(), Some(l2.as_str()), "150 upgrade points reach 金卡: {m}");
    let history = items(&app, &t, &format!("/api/v1/members/{mid}/level-history")).await;
    let last = history.last().unwrap();
    assert_eq!(
        (last["source"].as_str(), last["ledger_entry_id"].as_str()),
        (Some("upgrade"), e["id"].as_str()),
        "{last}"
    );

    // By default a reversal never demotes.
    app.create("/api/v1/points/entries", &t, up(-100, "u2")).await;
    assert_eq!(member(&app, &t, &mid).await["level"]["id"].as_str(), Some(l2.as_str()));
    set(&app, &t, json!({"points_demote_on_reversal": true})).await;
    let d = app.create("/api/v1/points/entries", &t, up(-10, "u3")).await;
    assert_eq!(member(&app, &t, &mid).await["level"]["id"].as_str(), Some(l1.as_str()), "40 points reach only 普卡");
    let history = items(&app, &t, &format!("/api/v1/members/{mid}/level-history")).await;
    let last = history.last().unwrap();
    assert_eq!((last["source"].as_str(), last["ledger_entry_id"].as_str()), (Some("reversal"), d["id"].as_str()));
    assert_eq!(balance(&app, &t, &mid, "upgrade").await, (40, 0));
    assert_ledger_consistent(&app, &t).await;
}

async fn manual_entries_single_and_batch_are_idempotent(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    this_year(&app, &t, "paid_in_full").await;
    let mid = s(&enroll(&app, &t, "孙七", "13800138005").await, "id");
    let entry = json!({"member_id": mid, "kind": "reward", "delta": 50, "reason": "业主答谢会", "source_type": "activity", "source_id": "evt-1"});
    let first = app.create("/api/v1/points/entries", &t, entry.clone()).await;
    assert_eq!((first["item"].as_str(), first["status"].as_str()), (Some("activity"), Some("available")), "{first}");
    let again = expect(app.post_auth("/api/v1/points/entries", &t, &entry).await, 200, "replay").await;
    assert_eq!(again["id"], first["id"]);
    let mut other = entry.clone();
    other["delta"] = json!(60);
    problem(app.post_auth("/api/v1/points/entries", &t, &other).await, 409, "points.source_reused").await;
    let mut wrong = entry.clone();
    wrong["source_type"] = json!("purchase");
    wrong["source_id"] = json!("x");
    let e = problem(app.post_auth("/api/v1/points/entries", &t, &wrong).await, 422, "validation.failed").await;
    assert_eq!(e["errors"][0]["field"], "/source_type");
    // Without a delta an activity takes the plan item's points.
    let by_item =
        json!({"member_id": mid, "kind": "reward", "reason": "签到", "source_type": "activity", "source_id": "evt-2"});
    assert_eq!(app.create("/api/v1/points/entries", &t, by_item).await["delta"], 30);
    assert_eq!(balance(&app, &t, &mid, "reward").await, (80, 0));

    let batch = json!({"items": [
        {"member_id": mid, "kind": "reward", "delta": 5, "reason": "推荐", "source_type": "referral", "source_id": "ref-1"},
        entry,
        {"member_id": mid, "kind": "points", "delta": 5, "reason": "x", "source_type": "manual", "source_id": "m-1"},
        {"member_id": uuid::Uuid::now_v7(), "kind": "reward", "delta": 5, "reason": "x", "source_type": "manual", "source_id": "m-2"},
    ]});
    let r = expect(app.post_auth("/api/v1/points/entries/batch", &t, &batch).await, 200, "batch").await;
    let statuses: Vec<String> = r["items"].as_array().unwrap().iter().map(|i| s(i, "status")).collect();
    assert_eq!(statuses, ["credited", "replayed", "failed", "failed"], "{r}");
    assert_eq!(r["items"][2]["error"]["errors"][0]["field"], "/items/2/kind", "{r}");
    assert_eq!(
        r["items"][3]["error"]["errors"][0]["field"], "/items/3/member_id",
        "an unknown member names its field: {r}"
    );
    assert_eq!(r["items"][0]["entry"]["source_type"], "referral", "{r}");
    assert_eq!(balance(&app, &t, &mid, "reward").await, (85, 0));
    let audit = items(&app, &t, "/api/v1/audit-log?entity_type=points_entry").await;
    assert_eq!(audit.len(), 3, "each entry written is audited: {audit:?}");
    assert_ledger_consistent(&app, &t).await;
}

async fn plans_validate_and_never_overlap(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let p = this_year(&app, &t, "paid_in_full").await;
    assert_eq!(p["items"][0]["amount_per_point"], "100.00");
    let overlap = json!({"name": "x", "starts_on": "2027-06-01", "ends_on": "2028-05-31"});
    problem(app.post_auth("/api/v1/points-plans", &t, &overlap).await, 409, "points_plan.overlaps").await;
    let bad = json!({"name": "y", "starts_on": "2030-01-02", "ends_on": "2030-01-01", "items": [
        {"category": "purchase", "reward_points": 1},
        {"category": "activity", "reward_points": 1, "amount_per_point": "1.00"},
        {"category": "activity", "reward_points": 1}]});
    let e = problem(app.post_auth("/api/v1/points-plans", &t, &bad).await, 422, "validation.failed").await;
    let fields: Vec<String> = e["errors"].as_array().unwrap().iter().map(|x| s(x, "field")).collect();
    assert_eq!(fields, ["/items/0/amount_per_point", "/items/1/amount_per_point"], "{e}");
    let next = app
        .create("/api/v1/points-plans", &t, json!({"name": "2028", "starts_on": "2028-01-01", "ends_on": "2028-12-31"}))
        .await;
    assert_eq!(items(&app, &t, "/api/v1/points-plans").await.len(), 2);
    // The period is fixed once entries are in it; other fields may still change.
    let mid = s(&enroll(&app, &t, "周八", "13800138006").await, "id");
    app.create("/api/v1/points/entries", &t, json!({"member_id": mid, "kind": "reward", "delta": 1, "reason": "r", "source_type": "manual", "source_id": "s1"})).await;
    let pid = s(&p, "id");
    problem(
        app.patch_auth(&format!("/api/v1/points-plans/{pid}"), &t, &json!({"ends_on": "2027-06-30"})).await,
        409,
        "points_plan.period_locked",
    )
    .await;
    let renamed = expect(
        app.patch_auth(&format!("/api/v1/points-plans/{pid}"), &t, &json!({"name": "两年方案"})).await,
        200,
        "rename",
    )
    .await;
    assert_eq!(renamed["name"], "两年方案");
    problem(
        app.patch_auth(&format!("/api/v1/points-plans/{}", s(&next, "id")), &t, &json!({"starts_on": "2027-12-01"}))
            .await,
        409,
        "points_plan.overlaps",
    )
    .await;
    assert_ledger_consistent(&app, &t).await;
}

/// Reward points of `member` in `plan` (available).
async fn in_plan(app: &TestApp, token: &str, member_id: &str, plan_id: &str) -> i64 {
    let p = points(app, token, member_id).await;
    p["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["plan_id"] == plan_id)
        .map_or(0, |x| x["reward"]["available"].as_i64().unwrap())
}

async fn carry_over_and_its_reversal(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let past =
        plan(&app, &t, "2025-01-01", "2025-12-31", json!([]), json!({"min_points": 100, "reward_kind": "cash"})).await;
    let plan_id = s(&past, "id");
    let mut members = Vec::new();
    for (i, pts) in [300, 50, 1000].into_iter().enumerate() {
        let mid = s(&enroll(&app, &t, &format!("会员{i}"), &format!("1390000000{i}")).await, "id");
        let e = json!({"member_id": mid, "kind": "reward", "delta": pts, "reason": "2025 补录", "source_type": "manual",
                       "source_id": format!("c-{i}"), "occurred_on": "2025-06-01"});
        assert_eq!(app.create("/api/v1/points/entries", &t, e).await["plan_id"].as_str(), Some(plan_id.as_str()));
        members.push((mid, pts));
    }
    let path = format!("/api/v1/points-plans/{plan_id}/carry-over");
    let preview = expect(app.post_auth(&path, &t, &json!({"dry_run": true})).await, 200, "dry run").await;
    assert_eq!(
        (preview["members"].as_i64(), preview["points"].as_i64(), preview["value"].as_str()),
        (Some(2), Some(1300), Some("650.00")),
        "{preview}"
    );
    assert_eq!(preview["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(in_plan(&app, &t, &members[0].0, &plan_id).await, 300, "a dry run writes nothing");

    let run = expect(app.post_auth(&path, &t, &json!({})).await, 201, "carry over").await;
    assert_eq!(
        (run["status"].as_str(), run["members"].as_i64(), run["value"].as_str()),
        (Some("completed"), Some(2), Some("650.00")),
        "{run}"
    );
    assert_eq!(in_plan(&app, &t, &members[0].0, &plan_id).await, 0);
    assert_eq!(in_plan(&app, &t, &members[1].0, &plan_id).await, 50, "below the minimum stays");
    assert_eq!(in_plan(&app, &t, &members[2].0, &plan_id).await, 0);
    let twice = expect(app.post_auth(&path, &t, &json!({})).await, 200, "carry over again").await;
    assert_eq!(twice["id"], run["id"], "running twice finds the run and changes nothing");
    let run_id = s(&run, "id");
    let rewards = items(&app, &t, &format!("/api/v1/rewards?run_id={run_id}")).await;
    assert_eq!(rewards.len(), 2);
    assert!(rewards.iter().all(|r| r["status"] == "issued" && r["kind"] == "cash"));
    assert_eq!(
        expect(app.get_auth(&format!("/api/v1/carry-over-runs/{run_id}"), &t).await, 200, "run").await["status"],
        "completed"
    );

    // Reverse one member, then the rest: every balance is back.
    let rev = format!("/api/v1/carry-over-runs/{run_id}/reverse");
    let one =
        expect(app.post_auth(&rev, &t, &json!({"member_ids": [members[2].0, members[1].0]})).await, 200, "reverse one")
            .await;
    assert_eq!((one["members_reversed"].as_i64(), one["points_reversed"].as_i64()), (Some(1), Some(1000)), "{one}");
    assert_eq!(one["not_reversed"][0]["reason"], "not_in_run", "{one}");
    assert_eq!(one["run"]["status"], "completed");
    assert_eq!(in_plan(&app, &t, &members[2].0, &plan_id).await, 1000);
    let all = expect(app.post_auth(&rev, &t, &json!({})).await, 200, "reverse all").await;
    assert_eq!((all["members_reversed"].as_i64(), all["run"]["status"].as_str()), (Some(1), Some("reversed")), "{all}");
    for (mid, pts) in &members {
        assert_eq!(in_plan(&app, &t, mid, &plan_id).await, *pts, "carry-over then reversal is the identity");
    }
    let again = expect(app.post_auth(&rev, &t, &json!({})).await, 200, "reverse again").await;
    assert_eq!(again["members_reversed"], 0);

    // A new run after the reversal; a redeemed reward stays when that one is reversed.
    let second = expect(app.post_auth(&path, &t, &json!({})).await, 201, "carry over anew").await;
    assert_ne!(second["id"], run["id"]);
    let second_id = s(&second, "id");
    let rewards = items(&app, &t, &format!("/api/v1/rewards?run_id={second_id}")).await;
    let (r0, r1) = (s(&rewards[0], "id"), s(&rewards[1], "id"));
    let edited = expect(
        app.patch_auth(
            &format!("/api/v1/rewards/{r0}"),
            &t,
            &json!({"value": "600.00", "kind": "physical", "note": "电饭煲"}),
        )
        .await,
        200,
        "edit",
    )
    .await;
    assert_eq!((edited["value"].as_str(), edited["kind"].as_str()), (Some("600.00"), Some("physical")));
    let redeemed = expect(
        app.post_auth("/api/v1/rewards/redeem", &t, &json!({"reward_ids": [r0], "redeemed_on": "2026-01-15"})).await,
        200,
        "redeem",
    )
    .await;
    assert_eq!(redeemed["items"][0]["status"], "redeemed", "{redeemed}");
    problem(
        app.patch_auth(&format!("/api/v1/rewards/{r0}"), &t, &json!({"note": "x"})).await,
        409,
        "reward.not_editable",
    )
    .await;
    let partial = expect(
        app.post_auth(&format!("/api/v1/carry-over-runs/{second_id}/reverse"), &t, &json!({})).await,
        200,
        "reverse",
    )
    .await;
    assert_eq!(
        (partial["members_reversed"].as_i64(), partial["run"]["status"].as_str()),
        (Some(1), Some("completed")),
        "{partial}"
    );
    assert_eq!(
        expect(app.get_auth(&format!("/api/v1/rewards/{r1}"), &t).await, 200, "reward").await["status"],
        "cancelled"
    );

    // A plan that has not ended cannot be carried over.
    let current = plan(&app, &t, "2026-01-01", "2026-12-31", json!([]), json!({})).await;
    problem(
        app.post_auth(&format!("/api/v1/points-plans/{}/carry-over", s(&current, "id")), &t, &json!({})).await,
        409,
        "carry_over.plan_not_ended",
    )
    .await;
    let types = event_types(&app, &t).await;
    assert_eq!(types.iter().filter(|x| *x == "reward.created").count(), 4);
    assert_eq!(types.iter().filter(|x| *x == "reward.cancelled").count(), 3);
    assert_ledger_consistent(&app, &t).await;
}

async fn online_enrollment_earns_the_plan_item(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let items_ = json!([{"category": "online_enrollment", "reward_points": 200, "upgrade_points": 20}]);
    plan(&app, &t, "2026-01-01", "2027-12-31", items_, json!({})).await;
    let a = app
        .create(
            "/api/v1/enrollment-applications",
            &t,
            json!({"channel": "online", "name": "网上会员", "phone": "13700137001"}),
        )
        .await;
    let a = approve(&app, &t, &s(&a, "id"), json!({})).await;
    let online = s(&a, "member_id");
    assert_eq!(balance(&app, &t, &online, "reward").await, (200, 0));
    assert_eq!(balance(&app, &t, &online, "upgrade").await, (20, 0));
    let onsite = s(&enroll(&app, &t, "现场会员", "13700137002").await, "id");
    assert_eq!(balance(&app, &t, &onsite, "reward").await, (0, 0), "onsite enrollment earns no online points");
    assert_ledger_consistent(&app, &t).await;
}

/// A run whose process stopped (its lease ran out) is resumed by the scheduler's job, once.
async fn a_stalled_carry_over_run_is_resumed(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let past = plan(&app, &t, "2025-01-01", "2025-12-31", json!([]), json!({"min_points": 1})).await;
    let plan_id: uuid::Uuid = s(&past, "id").parse().unwrap();
    let mut members = Vec::new();
    for i in 0..3 {
        let mid = s(&enroll(&app, &t, &format!("续跑{i}"), &format!("1350000000{i}")).await, "id");
        let e = json!({"member_id": mid, "kind": "reward", "delta": 10 * (i + 1), "reason": "r", "source_type": "manual",
                       "source_id": format!("r-{i}"), "occurred_on": "2025-03-01"});
        app.create("/api/v1/points/entries", &t, e).await;
        members.push(mid);
    }
    let me = expect(app.get_auth("/api/v1/me", &t).await, 200, "me").await;
    let tenant: uuid::Uuid = s(&me, "tenant_id").parse().unwrap();
    let run = uuid::Uuid::now_v7();
    let store = app.store().await;
    let c = store.conn();
    let expired = chrono::Utc::now() - chrono::Duration::minutes(5);
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO carry_over_runs (tenant_id, id, plan_id, status, cursor, members, points, value_fen, lease_until, \
         started_by, started_at, finished_at, reversed_at) VALUES ($1, $2, $3, 'running', NULL, 0, 0, 0, $4, NULL, $5, NULL, NULL)",
        [tenant.into(), run.into(), plan_id.into(), expired.into(), expired.into()],
    ))
    .await
    .unwrap();
    assert_eq!(app.app.resume_carry_over_runs().await.unwrap(), 1);
    let done = expect(app.get_auth(&format!("/api/v1/carry-over-runs/{run}"), &t).await, 200, "run").await;
    assert_eq!(
        (done["status"].as_str(), done["members"].as_i64(), done["points"].as_i64()),
        (Some("completed"), Some(3), Some(60)),
        "{done}"
    );
    assert_eq!(app.app.resume_carry_over_runs().await.unwrap(), 0, "a completed run is not resumed");
    for mid in &members {
        assert_eq!(in_plan(&app, &t, mid, &plan_id.to_string()).await, 0);
    }
    // Starting the plan's carry-over answers the resumed run.
    let again = expect(
        app.post_auth(&format!("/api/v1/points-plans/{plan_id}/carry-over"), &t, &json!({})).await,
        200,
        "again",
    )
    .await;
    assert_eq!(again["id"].as_str(), Some(run.to_string().as_str()));
    assert_ledger_consistent(&app, &t).await;
}
