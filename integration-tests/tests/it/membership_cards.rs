//! Membership card numbers: generated numbers (prefix, width, Luhn check digit), the preset pool
//! (batches, special and reserved numbers, listing, pruning), how approval takes a number (the
//! lowest free one; reserved ones only by name), racing approvals on one pool, and numbers that
//! are never handed out twice.

use crate::helpers::{Db, TestApp, problem};
use crate::membership_enrollment::{apply_onsite, approve, enroll, expect, field_of, items, member, phone, s, set};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    card_settings_have_defaults_and_are_validated,
    auto_numbers_have_prefix_width_and_a_luhn_check_digit,
    the_preset_pool_is_created_listed_and_pruned,
    preset_approval_takes_the_lowest_free_number_and_reserved_ones_only_by_name,
    concurrent_approvals_on_one_pool_never_share_a_number,
    numbers_are_never_handed_out_twice,
);

/// Luhn (mod 10) over a string of digits, check digit included.
fn luhn_valid(number: &str) -> bool {
    let ds: Vec<u32> = number.chars().map(|c| c.to_digit(10).unwrap_or_else(|| panic!("digit in {number}"))).collect();
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    !ds.is_empty() && sum.is_multiple_of(10)
}

/// The check digit that makes `payload` + digit valid.
fn luhn_digit(payload: &str) -> char {
    (0..10u32).map(|d| char::from_digit(d, 10).unwrap()).find(|d| luhn_valid(&format!("{payload}{d}"))).unwrap()
}

#[test]
fn the_tests_own_luhn_is_right() {
    assert!(luhn_valid("79927398713"));
    assert!(!luhn_valid("79927398710"));
    assert_eq!(luhn_digit("7992739871"), '3');
    assert_eq!(luhn_digit("453201511283036"), '6');
}

/// The pool, optionally filtered.
async fn pool(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    items(app, token, &format!("/api/v1/card-numbers?limit=500&{query}")).await
}

async fn pool_numbers(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    field_of(&pool(app, token, query).await, "card_no")
}

async fn batch(app: &TestApp, token: &str, body: Value) -> Value {
    app.create("/api/v1/card-numbers/batch", token, body).await
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// POST approve, expected to fail with a problem.
async fn approve_fails(app: &TestApp, token: &str, application_id: &str, body: Value, status: u16, code: &str) {
    let res = app.post_auth(&format!("/api/v1/enrollment-applications/{application_id}/approve"), token, &body).await;
    problem(res, status, code).await;
}

// ---------------------------------------------------------------------------------------------

async fn card_settings_have_defaults_and_are_validated(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let st = expect(app.get_auth("/api/v1/settings", &t).await, 200, "settings").await;
    assert_eq!(
        (&st["card_mode"], &st["card_prefix"], &st["card_serial_width"], &st["card_check_digit"]),
        (&json!("auto"), &json!(""), &json!(8), &json!(false)),
        "{st}"
    );
    // Default numbers: eight digits, counted from 1.
    let m = enroll(&app, &t, "张伟", "13812345678").await;
    assert_eq!(m["card_no"], "00000001");
    let m = enroll(&app, &t, "李娜", "13900000002").await;
    assert_eq!(m["card_no"], "00000002");

    for (patch, field) in [
        (json!({"card_mode": "manual"}), "/card_mode"),
        (json!({"card_prefix": "TOOLONG99"}), "/card_prefix"),
        (json!({"card_prefix": "VI-P"}), "/card_prefix"),
        (json!({"card_serial_width": 17}), "/card_serial_width"),
        (json!({"card_check_digit": "yes"}), "/card_check_digit"),
    ] {
        let res = app.patch_auth("/api/v1/settings", &t, &patch).await;
        assert_eq!(res.status(), 422, "{patch}");
        let p = problem(res, 422, "validation.failed").await;
        assert_eq!(p["errors"][0]["field"], field, "{patch} -> {p}");
    }
    let st = set(
        &app,
        &t,
        json!({"card_mode": "preset", "card_prefix": "8800", "card_serial_width": 16, "card_check_digit": true}),
    )
    .await;
    assert_eq!(
        (&st["card_mode"], &st["card_prefix"], &st["card_serial_width"], &st["card_check_digit"]),
        (&json!("preset"), &json!("8800"), &json!(16), &json!(true))
    );
    // Absent stays, null resets to the default.
    let st = set(&app, &t, json!({"card_prefix": null, "card_serial_width": 4})).await;
    assert_eq!(
        (&st["card_mode"], &st["card_prefix"], &st["card_serial_width"], &st["card_check_digit"]),
        (&json!("preset"), &json!(""), &json!(4), &json!(true))
    );
    let st = set(&app, &t, json!({"card_mode": null, "card_serial_width": null, "card_check_digit": null})).await;
    assert_eq!(
        (&st["card_mode"], &st["card_prefix"], &st["card_serial_width"], &st["card_check_digit"]),
        (&json!("auto"), &json!(""), &json!(8), &json!(false))
    );
    // The width is 4..=16 (checked last so a failure here does not hide the checks above).
    let res = app.patch_auth("/api/v1/settings", &t, &json!({"card_serial_width": 3})).await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["field"], "/card_serial_width");
}

async fn auto_numbers_have_prefix_width_and_a_luhn_check_digit(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    set(&app, &t, json!({"card_prefix": "88", "card_serial_width": 6, "card_check_digit": true})).await;
    let mut serials = Vec::new();
    for i in 0..3 {
        let m = enroll(&app, &t, &format!("会员{i}"), &phone(i)).await;
        let card = s(&m, "card_no");
        assert_eq!(card.len(), 2 + 6 + 1, "prefix, six digits, check digit: {card}");
        assert!(card.starts_with("88") && card.chars().all(|c| c.is_ascii_digit()), "{card}");
        assert!(luhn_valid(&card), "{card} passes Luhn");
        let (payload, check) = card.split_at(8);
        assert_eq!(check.chars().next(), Some(luhn_digit(payload)), "{card}");
        serials.push(payload[2..].parse::<u64>().unwrap());
    }
    assert_eq!(serials, vec![1, 2, 3], "the tenant's counter, from 1");

    // Letters in the prefix, no check digit; a number already taken by name is skipped.
    set(&app, &t, json!({"card_prefix": "VIP", "card_serial_width": 4, "card_check_digit": false})).await;
    let m = enroll(&app, &t, "会员3", &phone(3)).await;
    let card = s(&m, "card_no");
    assert!(card.starts_with("VIP") && card.len() == 7, "{card}");
    let n: u32 = card[3..].parse().unwrap();
    let next = format!("VIP{:04}", n + 1);
    app.create("/api/v1/card-numbers", &t, json!({"card_no": next})).await;
    let a = apply_onsite(&app, &t, "会员4", &phone(4)).await;
    let a = approve(&app, &t, &s(&a, "id"), json!({"card_no": next})).await;
    assert_eq!(member(&app, &t, &s(&a, "member_id")).await["card_no"], next.as_str());
    let m = enroll(&app, &t, "会员5", &phone(5)).await;
    assert_eq!(m["card_no"], format!("VIP{:04}", n + 2), "{next} is taken and skipped");

    // Every number is different and each finds its member.
    let members = items(&app, &t, "/api/v1/members?limit=100").await;
    let cards: BTreeSet<String> = field_of(&members, "card_no").into_iter().collect();
    assert_eq!(cards.len(), 6);
    for m in &members {
        let found = expect(
            app.get_auth(&format!("/api/v1/members/lookup?card_no={}", s(m, "card_no")), &t).await,
            200,
            "lookup",
        )
        .await;
        assert_eq!(found["id"], m["id"]);
    }
}

async fn the_preset_pool_is_created_listed_and_pruned(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let r = batch(&app, &t, json!({"prefix": "P", "serial_width": 4, "start": 1, "count": 5})).await;
    assert_eq!(r, json!({"created": 5, "skipped": 0, "first": "P0001", "last": "P0005"}));
    // Overlapping batches skip what exists, never duplicate.
    let r = batch(&app, &t, json!({"prefix": "P", "serial_width": 4, "start": 4, "count": 4})).await;
    assert_eq!((r["created"].as_i64(), r["skipped"].as_i64()), (Some(2), Some(2)), "{r}");
    let all = pool(&app, &t, "").await;
    assert_eq!(field_of(&all, "card_no"), strs(&["P0001", "P0002", "P0003", "P0004", "P0005", "P0006", "P0007"]));
    for c in &all {
        assert_eq!((c["status"].as_str(), c["reserved"].as_bool()), (Some("free"), Some(false)), "{c}");
        assert_eq!(
            (c["member_id"].clone(), c["assigned_at"].clone(), c["retired_at"].clone()),
            (Value::Null, Value::Null, Value::Null)
        );
    }

    // Special numbers, one reserved.
    let lucky = app.create("/api/v1/card-numbers", &t, json!({"card_no": "P8888", "reserved": true})).await;
    assert!(lucky["created_at"].is_string());
    let mut shape = lucky.clone();
    shape.as_object_mut().unwrap().remove("created_at");
    assert_eq!(
        shape,
        json!({"card_no": "P8888", "status": "free", "reserved": true, "origin": "special", "member_id": null,
               "assigned_at": null, "retired_at": null})
    );
    let plain = app.create("/api/v1/card-numbers", &t, json!({"card_no": "A0001"})).await;
    assert_eq!((plain["reserved"].as_bool(), plain["origin"].as_str()), (Some(false), Some("special")));
    for taken in ["P0003", "P8888"] {
        problem(app.post_auth("/api/v1/card-numbers", &t, &json!({"card_no": taken})).await, 409, "card_number.taken")
            .await;
    }

    // Check digits on a batch: every number passes Luhn.
    let r =
        batch(&app, &t, json!({"prefix": "62", "serial_width": 6, "start": 10, "count": 3, "check_digit": true})).await;
    assert_eq!(r["created"], 3);
    let luhn = pool_numbers(&app, &t, "prefix=62").await;
    assert_eq!(luhn.len(), 3);
    for (i, card) in luhn.iter().enumerate() {
        let payload = format!("62{:06}", 10 + i);
        assert_eq!(card, &format!("{payload}{}", luhn_digit(&payload)));
        assert!(luhn_valid(card));
    }
    assert_eq!(r["first"], luhn[0].as_str());
    assert_eq!(r["last"], luhn[2].as_str());

    // Filters.
    assert_eq!(pool_numbers(&app, &t, "reserved=true").await, strs(&["P8888"]));
    assert_eq!(pool_numbers(&app, &t, "reserved=false&prefix=P").await.len(), 7);
    assert_eq!(pool_numbers(&app, &t, "prefix=A").await, strs(&["A0001"]));
    assert_eq!(pool_numbers(&app, &t, "prefix=P000").await.len(), 7);
    assert_eq!(pool_numbers(&app, &t, "status=free").await.len(), 12);
    assert!(pool_numbers(&app, &t, "status=assigned").await.is_empty());
    // Ordered by number, paged.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = expect(app.get_auth(&format!("/api/v1/card-numbers?limit=5{q}"), &t).await, 200, "page").await;
        paged.extend(field_of(page["items"].as_array().unwrap(), "card_no"));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut sorted = paged.clone();
    sorted.sort();
    assert_eq!(paged, sorted);
    assert_eq!(paged.len(), 12);
    assert_eq!(paged, pool_numbers(&app, &t, "").await);

    // Bad batches.
    for body in [
        json!({"prefix": "P", "serial_width": 4, "start": 1, "count": 0}),
        json!({"prefix": "P", "serial_width": 8, "start": 1, "count": 100_001}),
    ] {
        let p = problem(app.post_auth("/api/v1/card-numbers/batch", &t, &body).await, 422, "validation.failed").await;
        assert_eq!(p["errors"][0]["field"], "/count", "{body}");
    }

    // A free number can be deleted; an assigned one cannot.
    assert_eq!(app.delete_auth("/api/v1/card-numbers/P0007", &t).await.status(), 204);
    assert!(!pool_numbers(&app, &t, "").await.contains(&"P0007".to_owned()));
    problem(app.delete_auth("/api/v1/card-numbers/P0007", &t).await, 404, "card_number.not_found").await;
    set(&app, &t, json!({"card_mode": "preset"})).await;
    let m = enroll(&app, &t, "张伟", "13812345678").await;
    assert_eq!(m["card_no"], luhn[0].as_str(), "the lowest number in byte order");
    problem(app.delete_auth(&format!("/api/v1/card-numbers/{}", luhn[0]), &t).await, 409, "card_number.in_use").await;
    let assigned = pool(&app, &t, "status=assigned").await;
    assert_eq!(assigned.len(), 1);
    assert_eq!(
        (assigned[0]["card_no"].as_str(), assigned[0]["member_id"].clone()),
        (Some(luhn[0].as_str()), m["id"].clone())
    );
    assert!(assigned[0]["assigned_at"].is_string());
    assert_eq!(pool_numbers(&app, &t, "status=free").await.len(), 10);

    // The pool needs its permissions.
    let reader = app.position(&t, "Pool reader", "all", &["card_numbers:read"]).await;
    let (_, rt) = app.user_with(&t, "reader", None, &[&reader]).await;
    assert_eq!(pool_numbers(&app, &rt, "").await.len(), 11);
    problem(app.post_auth("/api/v1/card-numbers", &rt, &json!({"card_no": "Z1"})).await, 403, "permission.denied")
        .await;
    problem(app.delete_auth("/api/v1/card-numbers/P0001", &rt).await, 403, "permission.denied").await;
}

async fn preset_approval_takes_the_lowest_free_number_and_reserved_ones_only_by_name(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    set(&app, &t, json!({"card_mode": "preset"})).await;

    // An empty pool refuses, and nothing is made.
    let a = apply_onsite(&app, &t, "甲", &phone(1)).await;
    let aid = s(&a, "id");
    approve_fails(&app, &t, &aid, json!({}), 409, "card_number.pool_empty").await;
    let got = expect(app.get_auth(&format!("/api/v1/enrollment-applications/{aid}"), &t).await, 200, "get").await;
    assert_eq!((got["status"].as_str(), got["member_id"].clone()), (Some("pending"), Value::Null));
    assert!(items(&app, &t, "/api/v1/members").await.is_empty());
    assert!(items(&app, &t, "/api/v1/customers").await.is_empty(), "the customer made for it was rolled back");

    app.create("/api/v1/card-numbers", &t, json!({"card_no": "C0000", "reserved": true})).await;
    app.create("/api/v1/card-numbers", &t, json!({"card_no": "C0001", "reserved": true})).await;
    batch(&app, &t, json!({"prefix": "C", "serial_width": 4, "start": 5, "count": 2})).await;
    app.create("/api/v1/card-numbers", &t, json!({"card_no": "C0003"})).await;

    // The lowest free, non-reserved number, whatever order they were added in.
    let a = approve(&app, &t, &aid, json!({})).await;
    let ma = member(&app, &t, &s(&a, "member_id")).await;
    assert_eq!(ma["card_no"], "C0003");
    let b = apply_onsite(&app, &t, "乙", &phone(2)).await;
    let mb = member(&app, &t, &s(&approve(&app, &t, &s(&b, "id"), json!({})).await, "member_id")).await;
    assert_eq!(mb["card_no"], "C0005");
    // A reserved number by name.
    let c = apply_onsite(&app, &t, "丙", &phone(3)).await;
    let mc =
        member(&app, &t, &s(&approve(&app, &t, &s(&c, "id"), json!({"card_no": "C0000"})).await, "member_id")).await;
    assert_eq!(mc["card_no"], "C0000");
    // A named number that is not free.
    let d = apply_onsite(&app, &t, "丁", &phone(4)).await;
    let did = s(&d, "id");
    approve_fails(&app, &t, &did, json!({"card_no": "C0005"}), 409, "card_number.not_free").await;
    approve_fails(&app, &t, &did, json!({"card_no": "C0000"}), 409, "card_number.not_free").await;
    let md = member(&app, &t, &s(&approve(&app, &t, &did, json!({})).await, "member_id")).await;
    assert_eq!(md["card_no"], "C0006");
    // Only a reserved number is left: the pool is empty for anyone who does not name it.
    let e = apply_onsite(&app, &t, "戊", &phone(5)).await;
    let eid = s(&e, "id");
    approve_fails(&app, &t, &eid, json!({}), 409, "card_number.pool_empty").await;
    let me = member(&app, &t, &s(&approve(&app, &t, &eid, json!({"card_no": "C0001"})).await, "member_id")).await;
    assert_eq!(me["card_no"], "C0001");

    let assigned = pool(&app, &t, "status=assigned").await;
    let pairs: Vec<(String, String)> = assigned.iter().map(|c| (s(c, "card_no"), s(c, "member_id"))).collect();
    assert_eq!(
        pairs,
        vec![
            ("C0000".to_owned(), s(&mc, "id")),
            ("C0001".to_owned(), s(&me, "id")),
            ("C0003".to_owned(), s(&ma, "id")),
            ("C0005".to_owned(), s(&mb, "id")),
            ("C0006".to_owned(), s(&md, "id")),
        ]
    );
    assert!(pool(&app, &t, "status=free").await.is_empty());
}

async fn concurrent_approvals_on_one_pool_never_share_a_number(db: Db) {
    const POOL: usize = 80;
    const APPLICANTS: u32 = 100;
    let app = TestApp::spawn_with(db, |c| c.workers = Some(2)).await;
    let t = app.admin_token().await;
    set(&app, &t, json!({"card_mode": "preset"})).await;
    let r = batch(&app, &t, json!({"prefix": "R", "serial_width": 5, "start": 1, "count": POOL})).await;
    assert_eq!(r["created"], POOL);
    let mut ids = Vec::new();
    for i in 0..APPLICANTS {
        ids.push(s(&apply_onsite(&app, &t, &format!("会员{i}"), &phone(i)).await, "id"));
    }

    // All approvals at once, as real concurrent requests.
    let empty = json!({});
    let requests = ids.iter().map(|id| {
        app.http
            .post(app.url(&format!("/api/v1/enrollment-applications/{id}/approve")))
            .bearer_auth(&t)
            .json(&empty)
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut approved = Vec::new();
    let mut refused = Vec::new();
    for (id, res) in ids.iter().zip(responses) {
        let res = res.expect("request");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        match status {
            200 => {
                assert_eq!(
                    (body["status"].as_str(), body["id"].as_str()),
                    (Some("approved"), Some(id.as_str())),
                    "{body}"
                );
                approved.push(s(&body, "member_id"));
            }
            409 => {
                assert_eq!(body["code"], "card_number.pool_empty", "the only acceptable failure: {body}");
                refused.push(id.clone());
            }
            other => panic!("approval answered {other}: {body}"),
        }
    }
    assert_eq!((approved.len(), refused.len()), (POOL, APPLICANTS as usize - POOL));

    // 80 members with 80 distinct numbers: exactly the pool.
    let members = items(&app, &t, "/api/v1/members?limit=500").await;
    assert_eq!(members.len(), POOL);
    let cards: BTreeSet<String> = field_of(&members, "card_no").into_iter().collect();
    assert_eq!(cards.len(), POOL, "no number given twice");
    let expected: BTreeSet<String> = (1..=POOL).map(|i| format!("R{i:05}")).collect();
    assert_eq!(cards, expected);
    let member_ids: BTreeSet<String> = field_of(&members, "id").into_iter().collect();
    assert_eq!(member_ids, approved.iter().cloned().collect::<BTreeSet<_>>());

    // The pool agrees: nothing free, everything assigned, each to one of those members.
    assert!(pool(&app, &t, "status=free").await.is_empty());
    let assigned = pool(&app, &t, "status=assigned").await;
    assert_eq!(assigned.len(), POOL);
    let holders: BTreeSet<String> = field_of(&assigned, "member_id").into_iter().collect();
    assert_eq!(holders, member_ids, "one number per member");
    for id in &refused {
        let a = expect(app.get_auth(&format!("/api/v1/enrollment-applications/{id}"), &t).await, 200, "get").await;
        assert_eq!((a["status"].as_str(), a["member_id"].clone()), (Some("pending"), Value::Null));
    }
    assert_eq!(items(&app, &t, "/api/v1/outbox-events?event_type=member.enrolled&limit=500").await.len(), POOL);
    assert_eq!(items(&app, &t, "/api/v1/customers?limit=500").await.len(), POOL, "refused approvals leave no customer");
}

async fn numbers_are_never_handed_out_twice(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    set(&app, &t, json!({"card_mode": "preset"})).await;
    batch(&app, &t, json!({"prefix": "N", "serial_width": 4, "start": 1, "count": 3})).await;
    let a = enroll(&app, &t, "甲", &phone(1)).await;
    let aid = s(&a, "id");
    assert_eq!(a["card_no"], "N0001");

    // Replacing the card retires the old number.
    let res = app.post_auth(&format!("/api/v1/members/{aid}/replace-card"), &t, &json!({"reason": "磨损"})).await;
    let a2 = expect(res, 200, "replace-card").await;
    assert_eq!((a2["card_no"].as_str(), a2["status"].as_str()), (Some("N0002"), Some("active")));
    let retired = pool(&app, &t, "status=retired").await;
    assert_eq!(field_of(&retired, "card_no"), strs(&["N0001"]));
    assert!(retired[0]["retired_at"].is_string());

    // A later approval does not get it back.
    let b = enroll(&app, &t, "乙", &phone(2)).await;
    assert_eq!(b["card_no"], "N0003");

    // Cancelling retires the member's number too.
    let res = app.post_auth(&format!("/api/v1/members/{aid}/cancel"), &t, &json!({"reason": "本人申请"})).await;
    assert_eq!(expect(res, 200, "cancel").await["status"], "cancelled");
    assert_eq!(pool_numbers(&app, &t, "status=retired").await, strs(&["N0001", "N0002"]));
    assert!(pool_numbers(&app, &t, "status=free").await.is_empty());
    let c = apply_onsite(&app, &t, "丙", &phone(3)).await;
    let cid = s(&c, "id");
    approve_fails(&app, &t, &cid, json!({}), 409, "card_number.pool_empty").await;
    approve_fails(&app, &t, &cid, json!({"card_no": "N0001"}), 409, "card_number.not_free").await;

    // A retired number can neither be deleted nor created again; a batch skips it.
    problem(app.delete_auth("/api/v1/card-numbers/N0001", &t).await, 409, "card_number.in_use").await;
    problem(app.post_auth("/api/v1/card-numbers", &t, &json!({"card_no": "N0002"})).await, 409, "card_number.taken")
        .await;
    let r = batch(&app, &t, json!({"prefix": "N", "serial_width": 4, "start": 1, "count": 4})).await;
    assert_eq!((r["created"].as_i64(), r["skipped"].as_i64()), (Some(1), Some(3)));
    let cm = member(&app, &t, &s(&approve(&app, &t, &cid, json!({})).await, "member_id")).await;
    assert_eq!(cm["card_no"], "N0004");
    // Naming a retired number on a replacement is refused too.
    let bid = s(&b, "id");
    let res = app.post_auth(&format!("/api/v1/members/{bid}/replace-card"), &t, &json!({"card_no": "N0002"})).await;
    problem(res, 409, "card_number.not_free").await;
    assert_eq!(member(&app, &t, &bid).await["card_no"], "N0003");

    // Retired numbers find nobody.
    for old in ["N0001", "N0002"] {
        problem(app.get_auth(&format!("/api/v1/members/lookup?card_no={old}"), &t).await, 404, "member.not_found")
            .await;
    }
    let statuses: Vec<(String, String)> =
        pool(&app, &t, "").await.iter().map(|c| (s(c, "card_no"), s(c, "status"))).collect();
    assert_eq!(
        statuses,
        vec![
            ("N0001".to_owned(), "retired".to_owned()),
            ("N0002".to_owned(), "retired".to_owned()),
            ("N0003".to_owned(), "assigned".to_owned()),
            ("N0004".to_owned(), "assigned".to_owned()),
        ]
    );

    // In auto mode a replacement gets a fresh number and the old one finds nobody.
    set(&app, &t, json!({"card_mode": "auto", "card_prefix": "AU", "card_serial_width": 6})).await;
    let d = enroll(&app, &t, "丁", &phone(4)).await;
    let did = s(&d, "id");
    let old = s(&d, "card_no");
    let res = app.post_auth(&format!("/api/v1/members/{did}/replace-card"), &t, &json!({})).await;
    let d2 = expect(res, 200, "replace-card").await;
    let new = s(&d2, "card_no");
    assert_ne!(new, old);
    problem(app.get_auth(&format!("/api/v1/members/lookup?card_no={old}"), &t).await, 404, "member.not_found").await;
    let e = enroll(&app, &t, "戊", &phone(5)).await;
    let all: BTreeSet<String> = [old, new.clone(), s(&e, "card_no")].into_iter().collect();
    assert_eq!(all.len(), 3, "a retired auto number is not handed out again");
}
