//! Segments: rule-based segments on every field family, the count preview, members, "why" agreeing
//! with membership, static lists, validation paths, audit, and data scope.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

on_both_dbs!(
    rule_segments_cover_every_field_family_and_explain_agrees,
    static_segments_validation_and_audit,
    self_scoped_users_see_only_their_own_members,
    segments_of_another_tenant_answer_404,
);

fn set(n: &[&str]) -> BTreeSet<String> {
    n.iter().map(|s| (*s).to_owned()).collect()
}

async fn json_ok(res: reqwest::Response, what: &str) -> Value {
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{what}: {v}");
    v
}

/// Every member's name, following the cursor with a small page size.
async fn member_names(app: &TestApp, token: &str, id: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page =
            json_ok(app.get_auth(&format!("/api/v1/segments/{id}/members?limit=2{q}"), token).await, "members").await;
        for c in page["items"].as_array().unwrap() {
            out.insert(c["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

async fn count(app: &TestApp, token: &str, id: &str) -> u64 {
    json_ok(app.get_auth(&format!("/api/v1/segments/{id}/count"), token).await, "count").await["count"]
        .as_u64()
        .unwrap()
}

/// Previews, creates and reads a rule segment, and checks count, members and every explanation.
async fn check(app: &TestApp, t: &str, customers: &BTreeMap<String, String>, rules: Value, expected: &[&str]) {
    let expected = set(expected);
    let preview =
        json_ok(app.post_auth("/api/v1/segments/preview", t, &json!({"rules": rules})).await, "preview").await;
    assert_eq!(preview["count"].as_u64().unwrap(), expected.len() as u64, "preview of {rules}");
    let seg = app
        .create(
            "/api/v1/segments",
            t,
            json!({"name": format!("seg {}", uuid::Uuid::now_v7()), "kind": "rule", "rules": rules}),
        )
        .await;
    let id = seg["id"].as_str().unwrap();
    assert_eq!(count(app, t, id).await, expected.len() as u64, "count of {rules}");
    let members = member_names(app, t, id).await;
    assert_eq!(members, expected, "members of {rules}");
    for (name, cid) in customers {
        let x = json_ok(app.get_auth(&format!("/api/v1/segments/{id}/explain/{cid}"), t).await, "explain").await;
        assert_eq!(x["member"].as_bool().unwrap(), members.contains(name), "explain of {name} for {rules}: {x}");
        let conds = x["conditions"].as_array().unwrap();
        assert_eq!(conds.len(), rules["conditions"].as_array().unwrap().len());
        if !members.contains(name) {
            assert!(conds.iter().any(|c| c["matched"] == false), "a failing condition is named: {x}");
        }
    }
}

async fn rule_segments_cover_every_field_family_and_explain_agrees(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let me: Value = app.get_auth("/api/v1/me", &t).await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap().to_owned();
    for f in [
        json!({"object_type": "customer", "key": "house_type", "label": "户型", "field_type": "select", "options": ["apartment", "villa"]}),
        json!({"object_type": "customer", "key": "area", "label": "面积", "field_type": "number"}),
        json!({"object_type": "customer", "key": "hobbies", "label": "爱好", "field_type": "multi_select", "options": ["golf", "tea", "wine"]}),
        json!({"object_type": "customer", "key": "vip", "label": "VIP", "field_type": "bool"}),
        json!({"object_type": "customer", "key": "visit_on", "label": "到访日", "field_type": "date"}),
        json!({"object_type": "customer", "key": "note", "label": "备注", "field_type": "text"}),
    ] {
        app.create("/api/v1/custom-fields", &t, f).await;
    }
    let east = app.create("/api/v1/tags", &t, json!({"name": "华东", "category": "region"})).await["id"].clone();
    let high = app.create("/api/v1/tags", &t, json!({"name": "高端", "category": "attribute"})).await["id"].clone();

    let mut customers = BTreeMap::new();
    for body in [
        json!({"name": "A", "grade": "deal", "city": "上海", "birthday": "1985-05-05", "tag_ids": [east],
            "custom_fields": {"house_type": "villa", "area": 120, "hobbies": ["golf"], "vip": true, "visit_on": "2026-03-01", "note": "x"}}),
        json!({"name": "B", "grade": "intent", "city": "北京", "birthday": "1995-02-02", "owner_id": null, "tag_ids": [east, high],
            "custom_fields": {"house_type": "apartment", "area": 80}}),
        json!({"name": "C", "kind": "organization", "grade": "prospect"}),
        json!({"name": "D", "grade": "loyal", "gender": "female", "industry": "地产",
            "custom_fields": {"hobbies": ["tea", "wine"], "vip": false}}),
    ] {
        let c = app.create("/api/v1/customers", &t, body).await;
        customers.insert(c["name"].as_str().unwrap().to_owned(), c["id"].as_str().unwrap().to_owned());
    }
    for (name, days) in [("A", 40), ("B", 2)] {
        let at = (Utc::now() - Duration::days(days)).to_rfc3339();
        app.create(
            &format!("/api/v1/customers/{}/interactions", customers[name]),
            &t,
            json!({"kind": "call", "summary": "回访", "occurred_at": at}),
        )
        .await;
    }

    let one = |field: &str, op: &str, value: Value| {
        let mut c = json!({"field": field, "op": op});
        if !value.is_null() {
            c["value"] = value;
        }
        json!({"match": "all", "conditions": [c]})
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (one("grade", "in", json!(["deal", "loyal"])), vec!["A", "D"]),
        (one("grade", "ne", json!("deal")), vec!["B", "C", "D"]),
        (one("city", "is_not_set", Value::Null), vec!["C", "D"]),
        (one("city", "eq", json!("上海")), vec!["A"]),
        (one("city", "not_in", json!(["上海"])), vec!["B", "C", "D"]),
        (one("kind", "eq", json!("organization")), vec!["C"]),
        (one("industry", "is_set", Value::Null), vec!["D"]),
        (one("gender", "eq", json!("female")), vec!["D"]),
        (one("owner_id", "is_not_set", Value::Null), vec!["B"]),
        (one("owner_id", "eq", json!(admin_id)), vec!["A", "C", "D"]),
        (one("tags", "has_any", json!([east])), vec!["A", "B"]),
        (one("tags", "has_all", json!([east, high])), vec!["B"]),
        (one("tags", "has_none", json!([east])), vec!["C", "D"]),
        (one("birthday", "between", json!(["1980-01-01", "1990-12-31"])), vec!["A"]),
        (one("birthday", "after", json!("1990-01-01")), vec!["B"]),
        (one("created_at", "after", json!("2000-01-01")), vec!["A", "B", "C", "D"]),
        (one("created_at", "before", json!("2000-01-01")), vec![]),
        (one("last_interaction_days", "gte", json!(30)), vec!["A", "C", "D"]),
        (one("last_interaction_days", "lte", json!(7)), vec!["B"]),
        (one("custom.house_type", "eq", json!("villa")), vec!["A"]),
        (one("custom.house_type", "ne", json!("villa")), vec!["B", "C", "D"]),
        (one("custom.house_type", "in", json!(["villa", "apartment"])), vec!["A", "B"]),
        (one("custom.house_type", "is_not_set", Value::Null), vec!["C", "D"]),
        (one("custom.note", "not_in", json!(["x"])), vec!["B", "C", "D"]),
        (one("custom.area", "gte", json!(100)), vec!["A"]),
        (one("custom.area", "between", json!([50, 100])), vec!["B"]),
        (one("custom.area", "eq", json!(80)), vec!["B"]),
        (one("custom.area", "is_set", Value::Null), vec!["A", "B"]),
        (one("custom.hobbies", "has_any", json!(["tea", "golf"])), vec!["A", "D"]),
        (one("custom.hobbies", "has_none", json!(["golf"])), vec!["B", "C", "D"]),
        (one("custom.vip", "eq", json!(true)), vec!["A"]),
        (one("custom.vip", "eq", json!(false)), vec!["D"]),
        (one("custom.vip", "is_not_set", Value::Null), vec!["B", "C"]),
        (one("custom.visit_on", "between", json!(["2026-01-01", "2026-12-31"])), vec!["A"]),
        (one("custom.visit_on", "lte", json!("2026-01-01")), vec![]),
        (
            json!({"match": "any", "conditions": [{"field": "city", "op": "eq", "value": "北京"}, {"field": "gender", "op": "eq", "value": "female"}]}),
            vec!["B", "D"],
        ),
        (
            json!({"match": "all", "conditions": [{"field": "tags", "op": "has_any", "value": [east]}, {"field": "last_interaction_days", "op": "gte", "value": 30}]}),
            vec!["A"],
        ),
    ];
    for (rules, expected) in cases {
        check(&app, &t, &customers, rules, &expected).await;
    }

    // The failing condition is named with the customer's actual value.
    let seg = app
        .create(
            "/api/v1/segments",
            &t,
            json!({"name": "沉睡成交", "kind": "rule", "rules": {"conditions": [
                {"field": "grade", "op": "eq", "value": "deal"},
                {"field": "last_interaction_days", "op": "lte", "value": 7}]}}),
        )
        .await;
    let x = json_ok(
        app.get_auth(&format!("/api/v1/segments/{}/explain/{}", seg["id"].as_str().unwrap(), customers["A"]), &t).await,
        "explain",
    )
    .await;
    assert_eq!(x["member"], false);
    assert_eq!(x["match"], "all");
    assert_eq!(x["conditions"][0]["matched"], true);
    assert_eq!(x["conditions"][0]["actual"], "deal");
    assert_eq!(x["conditions"][1]["matched"], false);
    assert_eq!(x["conditions"][1]["field"], "last_interaction_days");
    assert!(x["conditions"][1]["actual"].as_i64().unwrap() >= 39, "{x}");
}

async fn static_segments_validation_and_audit(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let a = app.create("/api/v1/customers", &t, json!({"name": "甲"})).await["id"].as_str().unwrap().to_owned();
    let b = app.create("/api/v1/customers", &t, json!({"name": "乙"})).await["id"].as_str().unwrap().to_owned();
    let seg = app.create("/api/v1/segments", &t, json!({"name": "展会名单", "kind": "static"})).await;
    let sid = seg["id"].as_str().unwrap().to_owned();
    assert_eq!(seg["kind"], "static");
    assert_eq!(count(&app, &t, &sid).await, 0);

    let add = |ids: Vec<&str>| json!({"customer_ids": ids});
    let r =
        json_ok(app.post_auth(&format!("/api/v1/segments/{sid}/members"), &t, &add(vec![&a, &b])).await, "add").await;
    assert_eq!(r["changed"], 2);
    let r = json_ok(app.post_auth(&format!("/api/v1/segments/{sid}/members"), &t, &add(vec![&a, &a])).await, "re-add")
        .await;
    assert_eq!(r["changed"], 0, "adding twice is a no-op");
    assert_eq!(count(&app, &t, &sid).await, 2);
    assert_eq!(member_names(&app, &t, &sid).await, set(&["甲", "乙"]));
    let r =
        json_ok(app.post_auth(&format!("/api/v1/segments/{sid}/members/remove"), &t, &add(vec![&a])).await, "rm").await;
    assert_eq!(r["changed"], 1);
    let r = json_ok(app.post_auth(&format!("/api/v1/segments/{sid}/members/remove"), &t, &add(vec![&a])).await, "rm2")
        .await;
    assert_eq!(r["changed"], 0, "removing twice is a no-op");
    assert_eq!(member_names(&app, &t, &sid).await, set(&["乙"]));
    let xa = json_ok(app.get_auth(&format!("/api/v1/segments/{sid}/explain/{a}"), &t).await, "explain a").await;
    let xb = json_ok(app.get_auth(&format!("/api/v1/segments/{sid}/explain/{b}"), &t).await, "explain b").await;
    assert_eq!((xa["member"].clone(), xb["member"].clone()), (json!(false), json!(true)));

    // Unknown customers are named by path; a deleted customer leaves the count.
    let missing = uuid::Uuid::now_v7().to_string();
    let p = problem(
        app.post_auth(&format!("/api/v1/segments/{sid}/members"), &t, &add(vec![&a, &missing])).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/customer_ids/1");
    assert_eq!(p["errors"][0]["code"], "not_found");
    app.delete_auth(&format!("/api/v1/customers/{b}"), &t).await;
    assert_eq!(count(&app, &t, &sid).await, 0);

    // Rule segments have no manual members; kinds and rules are validated with paths.
    let rule = app
        .create("/api/v1/segments", &t, json!({"name": "意向", "kind": "rule", "rules": {"conditions": [{"field": "grade", "op": "eq", "value": "intent"}]}}))
        .await;
    let rid = rule["id"].as_str().unwrap();
    assert_eq!(rule["rules"]["match"], "all", "rules are stored normalized");
    problem(
        app.post_auth(&format!("/api/v1/segments/{rid}/members"), &t, &add(vec![&a])).await,
        409,
        "segment.not_static",
    )
    .await;
    let p = problem(
        app.post_auth("/api/v1/segments", &t, &json!({"name": "x", "kind": "static", "rules": {"conditions": []}}))
            .await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/rules");
    let p = problem(
        app.post_auth("/api/v1/segments", &t, &json!({"name": "x", "kind": "rule"})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!((p["errors"][0]["field"].clone(), p["errors"][0]["code"].clone()), (json!("/rules"), json!("required")));
    let bad = json!({"name": "bad", "kind": "rule", "rules": {"match": "all", "conditions": [
        {"field": "grade", "op": "eq", "value": "deal"},
        {"field": "city", "op": "has_any", "value": ["x"]},
        {"field": "custom.nope", "op": "eq", "value": "x"},
        {"field": "tags", "op": "has_any", "value": [uuid::Uuid::now_v7().to_string()]},
        {"field": "last_interaction_days", "op": "gte", "value": -1}]}});
    let p = problem(app.post_auth("/api/v1/segments", &t, &bad).await, 422, "validation.failed").await;
    let got: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    let want: Vec<(String, String)> = [
        ("/rules/conditions/1/op", "op_not_allowed"),
        ("/rules/conditions/2/field", "unknown_field"),
        ("/rules/conditions/4/value", "range"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(got, want);
    assert!(p["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    let unknown_tag = json!({"rules": {"conditions": [{"field": "tags", "op": "has_any", "value": [uuid::Uuid::now_v7().to_string()]}]}});
    let p = problem(app.post_auth("/api/v1/segments/preview", &t, &unknown_tag).await, 422, "validation.failed").await;
    assert_eq!(
        (p["errors"][0]["field"].clone(), p["errors"][0]["code"].clone()),
        (json!("/rules/conditions/0/value/0"), json!("not_found"))
    );
    let p = problem(
        app.post_auth(
            "/api/v1/segments/preview",
            &t,
            &json!({"rules": {"conditions": [{"field": "grade", "op": "zz"}]}}),
        )
        .await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/rules/conditions/0/op");
    problem(
        app.post_auth("/api/v1/segments", &t, &json!({"name": "展会名单", "kind": "static"})).await,
        409,
        "segment.name_taken",
    )
    .await;

    // Change, list, delete.
    let res = app.patch_auth(&format!("/api/v1/segments/{rid}"), &t, &json!({"name": "意向客户", "rules": {"match": "any", "conditions": [{"field": "grade", "op": "in", "value": ["intent", "deal"]}]}})).await;
    let v = json_ok(res, "patch").await;
    assert_eq!(v["rules"]["match"], "any");
    problem(
        app.patch_auth(&format!("/api/v1/segments/{sid}"), &t, &json!({"rules": {"conditions": []}})).await,
        422,
        "validation.failed",
    )
    .await;
    let list = json_ok(app.get_auth("/api/v1/segments", &t).await, "list").await;
    let names: BTreeSet<String> =
        list["items"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, set(&["展会名单", "意向客户"]));
    assert_eq!(app.delete_auth(&format!("/api/v1/segments/{sid}"), &t).await.status(), 204);
    problem(app.get_auth(&format!("/api/v1/segments/{sid}"), &t).await, 404, "segment.not_found").await;

    // Rules that name a tag deleted since answer 409 until they are updated.
    let tag = app.create("/api/v1/tags", &t, json!({"name": "临时", "category": "other"})).await;
    let tag_id = tag["id"].as_str().unwrap();
    let stale = app
        .create("/api/v1/segments", &t, json!({"name": "临时标签", "kind": "rule", "rules": {"conditions": [{"field": "tags", "op": "has_any", "value": [tag_id]}]}}))
        .await;
    let stale_id = stale["id"].as_str().unwrap();
    assert_eq!(count(&app, &t, stale_id).await, 0);
    assert_eq!(app.delete_auth(&format!("/api/v1/tags/{tag_id}"), &t).await.status(), 204);
    problem(app.get_auth(&format!("/api/v1/segments/{stale_id}/count"), &t).await, 409, "segment.rules_stale").await;

    // Every change is in the audit log.
    let log =
        json_ok(app.get_auth(&format!("/api/v1/audit-log?entity_type=segment&entity_id={sid}"), &t).await, "audit")
            .await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["delete", "remove_members", "remove_members", "add_members", "add_members", "create"]);
    let log =
        json_ok(app.get_auth(&format!("/api/v1/audit-log?entity_type=segment&entity_id={rid}"), &t).await, "audit")
            .await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["update", "create"]);
}

async fn self_scoped_users_see_only_their_own_members(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app
        .position(&t, "Sales", "self", &["customers:read", "customers:write", "segments:read", "segments:write"])
        .await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let (_, bob) = app.user_with(&t, "bob", None, &[&sales]).await;
    let a1 = app.create("/api/v1/customers", &ann, json!({"name": "Ann 1", "grade": "deal"})).await;
    app.create("/api/v1/customers", &ann, json!({"name": "Ann 2", "grade": "deal"})).await;
    let b1 = app.create("/api/v1/customers", &bob, json!({"name": "Bob 1", "grade": "deal"})).await;
    let (a1, b1) = (a1["id"].as_str().unwrap(), b1["id"].as_str().unwrap());

    let rules = json!({"conditions": [{"field": "grade", "op": "eq", "value": "deal"}]});
    let rule = app.create("/api/v1/segments", &t, json!({"name": "成交", "kind": "rule", "rules": rules})).await;
    let rid = rule["id"].as_str().unwrap();
    let st = app.create("/api/v1/segments", &t, json!({"name": "名单", "kind": "static"})).await;
    let sid = st["id"].as_str().unwrap();
    let all: Value = app.get_auth("/api/v1/customers", &t).await.json().await.unwrap();
    let ids: Vec<&str> = all["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    json_ok(app.post_auth(&format!("/api/v1/segments/{sid}/members"), &t, &json!({"customer_ids": ids})).await, "add")
        .await;

    // The admin sees all three; Ann only hers, by count, preview, members and explain.
    assert_eq!(count(&app, &t, rid).await, 3);
    assert_eq!(count(&app, &t, sid).await, 3);
    assert_eq!(count(&app, &ann, rid).await, 2);
    assert_eq!(count(&app, &ann, sid).await, 2);
    assert_eq!(count(&app, &bob, rid).await, 1);
    let p = json_ok(app.post_auth("/api/v1/segments/preview", &ann, &json!({"rules": rules})).await, "preview").await;
    assert_eq!(p["count"], 2);
    let rules_by_owner = json!({"conditions": [{"field": "owner_id", "op": "is_set"}]});
    let p =
        json_ok(app.post_auth("/api/v1/segments/preview", &ann, &json!({"rules": rules_by_owner})).await, "p").await;
    assert_eq!(p["count"], 2, "a self-scoped user cannot find others' customers by segment count");
    assert_eq!(member_names(&app, &ann, rid).await, set(&["Ann 1", "Ann 2"]));
    assert_eq!(member_names(&app, &ann, sid).await, set(&["Ann 1", "Ann 2"]));
    problem(app.get_auth(&format!("/api/v1/segments/{rid}/explain/{b1}"), &ann).await, 404, "customer.not_found").await;
    problem(app.get_auth(&format!("/api/v1/segments/{sid}/explain/{b1}"), &ann).await, 404, "customer.not_found").await;
    let x = json_ok(app.get_auth(&format!("/api/v1/segments/{rid}/explain/{a1}"), &ann).await, "explain").await;
    assert_eq!(x["member"], true);
    // Nor change the membership of customers outside the scope.
    let p = problem(
        app.post_auth(&format!("/api/v1/segments/{sid}/members/remove"), &ann, &json!({"customer_ids": [b1]})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/customer_ids/0");
    assert_eq!(count(&app, &t, sid).await, 3);
    // Without segments:read there is no count at all.
    let viewer = app.position(&t, "Viewer", "all", &["customers:read"]).await;
    let (_, vic) = app.user_with(&t, "vic", None, &[&viewer]).await;
    problem(app.get_auth(&format!("/api/v1/segments/{rid}/count"), &vic).await, 403, "permission.denied").await;
}

async fn segments_of_another_tenant_answer_404(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    app.create(
        "/api/v1/tenants",
        &admin,
        json!({"code": "beta", "name": "Beta", "admin_username": "boss", "admin_password": "beta-pass-1234"}),
    )
    .await;
    let beta = app.login_in("beta", "boss", "beta-pass-1234").await;
    let theirs = app.create("/api/v1/segments", &beta, json!({"name": "Beta list", "kind": "static"})).await;
    let tid = theirs["id"].as_str().unwrap();
    let their_customer = app.create("/api/v1/customers", &beta, json!({"name": "Beta client"})).await;
    let tc = their_customer["id"].as_str().unwrap();
    let mine = app.create("/api/v1/segments", &admin, json!({"name": "Mine", "kind": "static"})).await;
    let mid = mine["id"].as_str().unwrap();

    for path in [
        format!("/api/v1/segments/{tid}"),
        format!("/api/v1/segments/{tid}/count"),
        format!("/api/v1/segments/{tid}/members"),
    ] {
        problem(app.get_auth(&path, &admin).await, 404, "segment.not_found").await;
    }
    problem(
        app.patch_auth(&format!("/api/v1/segments/{tid}"), &admin, &json!({"name": "x"})).await,
        404,
        "segment.not_found",
    )
    .await;
    problem(app.delete_auth(&format!("/api/v1/segments/{tid}"), &admin).await, 404, "segment.not_found").await;
    problem(app.get_auth(&format!("/api/v1/segments/{mid}/explain/{tc}"), &admin).await, 404, "customer.not_found")
        .await;
    let p = problem(
        app.post_auth(&format!("/api/v1/segments/{mid}/members"), &admin, &json!({"customer_ids": [tc]})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/customer_ids/0");
    let list = json_ok(app.get_auth("/api/v1/segments", &admin).await, "list").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "only the tenant's own segments are listed");
    assert_eq!(count(&app, &beta, tid).await, 0);
}
