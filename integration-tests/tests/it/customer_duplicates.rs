//! Duplicate detection (warning or refusal per tenant setting), candidate groups with reasons and
//! data scope, and merging customers without losing anything.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    duplicates_on_create_warn_or_refuse,
    duplicate_groups_have_reasons_and_respect_scope,
    merge_moves_everything_and_keeps_every_interaction,
);

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn duplicates_on_create_warn_or_refuse(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let a = app
        .create(
            "/api/v1/customers",
            &t,
            json!({"name": "张伟", "phone": "13812345678", "company": "明珠有限公司", "email": "zw@x.cn"}),
        )
        .await;
    assert_eq!(a["warnings"], json!([]));
    let b = app.create("/api/v1/customers", &t, json!({"name": "李四", "phone": "138 1234 5678"})).await;
    assert_eq!(b["warnings"], json!([{"customer_id": id(&a), "reasons": ["phone"]}]));
    let c = app.create("/api/v1/customers", &t, json!({"name": "章 伟", "company": "明珠", "email": "ZW@x.cn"})).await;
    assert_eq!(c["warnings"], json!([{"customer_id": id(&a), "reasons": ["email", "name_and_company"]}]));
    let d = app.create("/api/v1/customers", &t, json!({"name": "王五", "phone": "13900000000"})).await;
    assert_eq!(d["warnings"], json!([]));

    // Outside the caller's scope the duplicate is reported without its id.
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write"]).await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let e = app.create("/api/v1/customers", &ann, json!({"name": "安", "phone": "13900000000"})).await;
    assert_eq!(e["warnings"], json!([{"customer_id": null, "reasons": ["phone"]}]));

    // Refused when the tenant says so: nothing is created.
    app.patch_auth("/api/v1/settings", &t, &json!({"duplicate_policy": "refuse"})).await;
    let res =
        app.post_auth("/api/v1/customers", &t, &json!({"name": "重复", "id_number": "x", "email": "zw@x.cn"})).await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["field"], "/id_number", "validation comes first");
    let res = app.post_auth("/api/v1/customers", &t, &json!({"name": "重复", "email": "zw@x.cn"})).await;
    let p = problem(res, 409, "customer.duplicate").await;
    let mut dups: Vec<String> =
        p["duplicates"].as_array().unwrap().iter().map(|d| d["customer_id"].as_str().unwrap().to_owned()).collect();
    dups.sort();
    let mut want = vec![id(&a), id(&c)];
    want.sort();
    assert_eq!(dups, want);
    let list: Value = app.get_auth("/api/v1/customers?q=重复", &t).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    // In a batch, the duplicate item fails alone.
    let res = app
        .post_auth(
            "/api/v1/customers/batch-upsert",
            &t,
            &json!({"source": "sales", "items": [{"external_id": "1", "name": "新人", "phone": "13700000000"}, {"external_id": "2", "name": "又一个", "phone": "13812345678"}]}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["items"][0]["status"], "created");
    assert_eq!(v["items"][1]["status"], "failed");
    assert_eq!(v["items"][1]["error"]["code"], "customer.duplicate");
}

async fn groups(app: &TestApp, token: &str, query: &str) -> Vec<(String, BTreeSet<String>)> {
    let res = app.get_auth(&format!("/api/v1/customers/duplicates?{query}"), token).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let names =
                g["customers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
            (g["reason"].as_str().unwrap().to_owned(), names)
        })
        .collect()
}

fn names(n: &[&str]) -> BTreeSet<String> {
    n.iter().map(|s| (*s).to_owned()).collect()
}

async fn duplicate_groups_have_reasons_and_respect_scope(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write"]).await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let (_, bob) = app.user_with(&t, "bob", None, &[&sales]).await;
    app.create("/api/v1/customers", &ann, json!({"name": "甲", "phone": "13811110000"})).await;
    app.create(
        "/api/v1/customers",
        &ann,
        json!({"name": "乙", "phone": "13811110000", "id_number": "110101199001011234"}),
    )
    .await;
    app.create(
        "/api/v1/customers",
        &bob,
        json!({"name": "丙", "phone": "13811110000", "id_number": "110101199001011234"}),
    )
    .await;
    app.create("/api/v1/customers", &bob, json!({"name": "丁", "email": "d@x.cn", "company": "华润有限公司"})).await;
    app.create("/api/v1/customers", &bob, json!({"name": "丁", "email": "D@x.cn", "company": "华润"})).await;

    let all = groups(&app, &t, "").await;
    assert_eq!(
        all,
        vec![
            ("phone".to_owned(), names(&["甲", "乙", "丙"])),
            ("email".to_owned(), names(&["丁"])),
            ("id_number".to_owned(), names(&["乙", "丙"])),
            ("name_and_company".to_owned(), names(&["丁"])),
        ]
    );
    let res = app.get_auth("/api/v1/customers/duplicates?reason=phone", &t).await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["items"][0]["key"], "+8613811110000", "the admin may see phones");
    // Page by page, the same groups.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("limit=1&cursor={}", urlencode(c)),
            None => "limit=1".to_owned(),
        };
        let v: Value = app.get_auth(&format!("/api/v1/customers/duplicates?{q}"), &t).await.json().await.unwrap();
        for g in v["items"].as_array().unwrap() {
            paged.push(g["reason"].as_str().unwrap().to_owned());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, vec!["phone", "email", "id_number", "name_and_company"]);
    // A self-scoped user sees only groups among their own customers.
    assert_eq!(groups(&app, &ann, "").await, vec![("phone".to_owned(), names(&["甲", "乙"]))]);
    let v: Value = app.get_auth("/api/v1/customers/duplicates", &ann).await.json().await.unwrap();
    let key = v["items"][0]["key"].as_str().unwrap();
    assert!(key != "+8613811110000" && key.ends_with("0000"), "masked without customers:read_pii: {key}");
    let bobs = groups(&app, &bob, "").await;
    assert_eq!(bobs.len(), 2, "{bobs:?}");
    assert!(bobs.iter().all(|(_, n)| n == &names(&["丁"])));
    problem(app.get_auth("/api/v1/customers/duplicates?reason=height", &t).await, 400, "request.invalid_query").await;
    problem(app.get_auth("/api/v1/customers/duplicates?cursor=zzz", &t).await, 400, "request.invalid_query").await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn timeline_interactions(app: &TestApp, token: &str, customer: &str) -> BTreeSet<String> {
    let v: Value =
        app.get_auth(&format!("/api/v1/customers/{customer}/timeline?limit=500"), token).await.json().await.unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "interaction")
        .map(|e| e["interaction"]["summary"].as_str().unwrap().to_owned())
        .collect()
}

async fn merge_moves_everything_and_keeps_every_interaction(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    app.create(
        "/api/v1/custom-fields",
        &t,
        json!({"object_type": "customer", "key": "budget", "label": "预算", "field_type": "number"}),
    )
    .await;
    let x = app.create("/api/v1/tags", &t, json!({"name": "高意向", "category": "attribute"})).await;
    let y = app.create("/api/v1/tags", &t, json!({"name": "华东", "category": "region"})).await;
    let target = app
        .create("/api/v1/customers", &t, json!({"name": "明珠地产", "kind": "organization", "phone": "02155550000"}))
        .await;
    let res = app
        .post_auth(
            "/api/v1/customers/batch-upsert",
            &t,
            &json!({"source": "erp", "items": [{"external_id": "E-1", "name": "明珠地产（上海）", "kind": "organization", "email": "info@mz.cn", "tag_ids": [id(&x)], "custom_fields": {"budget": 5000000}}]}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    let d1 = json!({"id": v["items"][0]["id"]});
    let d2 = app
        .create("/api/v1/customers", &t, json!({"name": "明珠", "kind": "organization", "tag_ids": [id(&x), id(&y)]}))
        .await;
    let (tid, d1id, d2id) = (id(&target), id(&d1), id(&d2));
    // Give the first duplicate a contact, a grade change and interactions.
    app.create(&format!("/api/v1/customers/{d1id}/contacts"), &t, json!({"name": "王经理", "is_primary": true})).await;
    app.patch_auth(&format!("/api/v1/customers/{d1id}"), &t, &json!({"grade": "intent"})).await;
    for (c, s) in [(&tid, "t-1"), (&d1id, "d1-1"), (&d1id, "d1-2"), (&d1id, "d1-3"), (&d2id, "d2-1"), (&d2id, "d2-2")] {
        app.create(&format!("/api/v1/customers/{c}/interactions"), &t, json!({"kind": "call", "summary": s})).await;
    }

    // Bad requests change nothing.
    let res = app
        .post_auth(&format!("/api/v1/customers/{tid}/merge"), &t, &json!({"duplicate_ids": [tid, d1id, d1id]}))
        .await;
    let p = problem(res, 422, "validation.failed").await;
    let codes: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["merge_self", "duplicate"]);
    let res = app
        .post_auth(
            &format!("/api/v1/customers/{tid}/merge"),
            &t,
            &json!({"duplicate_ids": [d1id, uuid::Uuid::now_v7()]}),
        )
        .await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["field"], "/duplicate_ids/1");
    assert_eq!(timeline_interactions(&app, &t, &d1id).await.len(), 3, "nothing moved");
    // Without the merge permission: 403.
    let sales = app.position(&t, "Sales", "all", &["customers:read", "customers:write"]).await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let res = app.post_auth(&format!("/api/v1/customers/{tid}/merge"), &ann, &json!({"duplicate_ids": [d1id]})).await;
    problem(res, 403, "permission.denied").await;

    let res =
        app.post_auth(&format!("/api/v1/customers/{tid}/merge"), &t, &json!({"duplicate_ids": [d1id, d2id]})).await;
    let status = res.status();
    let merged: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{merged}");
    // Every interaction is on the survivor.
    assert_eq!(
        timeline_interactions(&app, &t, &tid).await,
        ["t-1", "d1-1", "d1-2", "d1-3", "d2-1", "d2-2"].iter().map(|s| s.to_string()).collect()
    );
    let tags: BTreeSet<&str> = merged["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, BTreeSet::from(["高意向", "华东"]));
    assert_eq!(merged["email"], "info@mz.cn", "empty fields are filled from the duplicates");
    assert_eq!(merged["phone"], "+862155550000", "the survivor keeps its own values");
    assert_eq!(merged["custom_fields"], json!({"budget": 5000000.0}));
    assert_eq!(
        app.get_auth("/api/v1/customers?custom[budget]=1..&q=明珠", &t).await.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let contacts: Value = app.get_auth(&format!("/api/v1/customers/{tid}/contacts"), &t).await.json().await.unwrap();
    assert_eq!(contacts["items"][0]["name"], "王经理");
    let history: Value =
        app.get_auth(&format!("/api/v1/customers/{tid}/grade-history"), &t).await.json().await.unwrap();
    assert!(history["items"].as_array().unwrap().iter().any(|g| g["to"] == "intent"), "{history}");
    // The duplicates are gone, cannot come back, and their external id resolves to the survivor.
    problem(app.get_auth(&format!("/api/v1/customers/{d1id}"), &t).await, 404, "customer.not_found").await;
    problem(app.post_auth(&format!("/api/v1/customers/{d1id}/restore"), &t, &json!({})).await, 409, "customer.merged")
        .await;
    let res = app
        .post_auth(
            "/api/v1/customers/batch-upsert",
            &t,
            &json!({"source": "erp", "items": [{"external_id": "E-1", "name": "明珠地产集团"}]}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!((v["items"][0]["status"].as_str(), v["items"][0]["id"].as_str()), (Some("updated"), Some(tid.as_str())));
    let got: Value = app.get_auth(&format!("/api/v1/customers/{tid}"), &t).await.json().await.unwrap();
    assert_eq!(got["name"], "明珠地产集团");
    // The audit says what came from where.
    let audit: Value = app
        .get_auth(&format!("/api/v1/audit-log?entity_type=customer&entity_id={tid}"), &t)
        .await
        .json()
        .await
        .unwrap();
    let merges: Vec<&Value> = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "merge").collect();
    assert_eq!(merges.len(), 2);
    let from_d1 = merges.iter().find(|e| e["changes"]["merged"] == d1id.as_str()).unwrap();
    assert_eq!(from_d1["changes"]["moved"]["interactions"].as_array().unwrap().len(), 3);
    assert_eq!(from_d1["changes"]["moved"]["contacts"].as_array().unwrap().len(), 1);
}
