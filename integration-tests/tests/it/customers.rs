//! Customers: the record, search by every handle, masking, soft delete, grade history, batch
//! upsert by external id, the change feed, and data scope on all of them.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    customers_are_created_changed_deleted_and_restored,
    search_finds_by_name_pinyin_initials_phone_and_email,
    personal_data_is_masked_without_permission,
    batch_upsert_is_keyed_by_external_id_and_idempotent,
    concurrent_batches_of_the_same_keys_never_duplicate,
    batch_upsert_errors_keep_the_request_index_and_name_the_field,
    change_feed_lists_changes_in_order_with_tombstones,
    self_scoped_users_see_only_their_customers_everywhere,
    contacts_interactions_and_the_timeline,
    tags_are_assigned_filtered_and_shown,
);

async fn names(app: &TestApp, token: &str, query: &str) -> BTreeSet<String> {
    let res = app.get_auth(&format!("/api/v1/customers?{query}"), token).await;
    assert_eq!(res.status(), 200, "{query}");
    let v: Value = res.json().await.unwrap();
    v["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

fn set(n: &[&str]) -> BTreeSet<String> {
    n.iter().map(|s| (*s).to_owned()).collect()
}

async fn customers_are_created_changed_deleted_and_restored(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let res = app
        .post_auth("/api/v1/customers", &t, &json!({"name": " 张伟 ", "phone": "138 1234 5678", "email": "Zhang.Wei@Example.com", "id_number": "110101199001011234", "city": "上海"}))
        .await;
    assert_eq!(res.status(), 201);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let c: Value = res.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (c["name"].as_str(), c["phone"].as_str(), c["email"].as_str()),
        (Some("张伟"), Some("+8613812345678"), Some("zhang.wei@example.com"))
    );
    assert_eq!((c["kind"].as_str(), c["grade"].as_str()), (Some("person"), Some("prospect")));
    let me: Value = app.get_auth("/api/v1/me", &t).await.json().await.unwrap();
    assert_eq!(c["owner_id"], me["id"], "the creator owns it by default");

    let res = app
        .post_auth(
            "/api/v1/customers",
            &t,
            &json!({"phone": "12", "email": "x", "grade": "vip", "kind": "robot", "owner_id": uuid::Uuid::now_v7()}),
        )
        .await;
    let p = problem(res, 422, "validation.failed").await;
    let fields: BTreeSet<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["/name", "/phone", "/email", "/grade", "/kind", "/owner_id"]));

    // PATCH: absent fields stay, null clears, grade changes are recorded.
    let res = app
        .http
        .patch(app.url(&format!("/api/v1/customers/{id}")))
        .bearer_auth(&t)
        .header("if-match", &etag)
        .json(&json!({"grade": "intent", "email": null, "company": "华东地产"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(
        (c["grade"].as_str(), c["email"].as_str(), c["company"].as_str(), c["city"].as_str()),
        (Some("intent"), None, Some("华东地产"), Some("上海"))
    );
    let stale = app
        .http
        .patch(app.url(&format!("/api/v1/customers/{id}")))
        .bearer_auth(&t)
        .header("if-match", &etag)
        .json(&json!({"grade": "deal"}))
        .send()
        .await
        .unwrap();
    problem(stale, 412, "resource.precondition_failed").await;
    app.patch_auth(&format!("/api/v1/customers/{id}"), &t, &json!({"grade": "deal"})).await;
    let h: Value = app.get_auth(&format!("/api/v1/customers/{id}/grade-history"), &t).await.json().await.unwrap();
    let steps: Vec<(Value, Value)> =
        h["items"].as_array().unwrap().iter().map(|g| (g["from"].clone(), g["to"].clone())).collect();
    assert_eq!(
        steps,
        vec![(Value::Null, json!("prospect")), (json!("prospect"), json!("intent")), (json!("intent"), json!("deal"))]
    );

    // Soft delete: gone from reads and lists, present in the trash, restorable.
    assert_eq!(app.delete_auth(&format!("/api/v1/customers/{id}"), &t).await.status(), 204);
    problem(app.get_auth(&format!("/api/v1/customers/{id}"), &t).await, 404, "customer.not_found").await;
    assert!(names(&app, &t, "").await.is_empty());
    assert_eq!(names(&app, &t, "deleted=true").await, set(&["张伟"]));
    let res = app.post_auth(&format!("/api/v1/customers/{id}/restore"), &t, &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(names(&app, &t, "").await, set(&["张伟"]));
    problem(
        app.post_auth(&format!("/api/v1/customers/{id}/restore"), &t, &json!({})).await,
        409,
        "customer.not_deleted",
    )
    .await;
    let audit: Value =
        app.get_auth(&format!("/api/v1/audit-log?entity_type=customer&entity_id={id}"), &t).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["restore", "delete", "update", "update", "create"]);
    assert!(!audit.to_string().contains("13812345678"), "phones are masked in the audit log");
}

async fn search_finds_by_name_pinyin_initials_phone_and_email(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    for (name, phone, email) in [
        ("张伟", "13812345678", "zw@example.com"),
        ("张三", "13900001111", "san@example.com"),
        ("李四", "021 6123 4567", "li.si@example.com"),
        ("John Smith", "+1 650 253 0000", "john@example.org"),
    ] {
        app.create("/api/v1/customers", &t, json!({"name": name, "phone": phone, "email": email})).await;
    }
    for (q, expected) in [
        ("zw", vec!["张伟"]),
        ("zhang", vec!["张伟", "张三"]),
        ("ZhangWei", vec!["张伟"]),
        ("张", vec!["张伟", "张三"]),
        ("张伟", vec!["张伟"]),
        ("5678", vec!["张伟"]),
        ("138 1234 5678", vec!["张伟"]),
        ("+8613812345678", vec!["张伟"]),
        ("139", vec!["张三"]),
        ("02161234567", vec!["李四"]),
        ("li.si@", vec!["李四"]),
        ("LI.SI@EXAMPLE.COM", vec!["李四"]),
        ("john", vec!["John Smith"]),
        ("js", vec!["John Smith"]),
        ("ls", vec!["李四"]),
        ("wang", vec![]),
        ("0000", vec!["John Smith"]),
    ] {
        assert_eq!(names(&app, &t, &format!("q={}", urlencode(q))).await, set(&expected), "q={q}");
    }
    // Search combines with filters and pages with a cursor.
    let v: Value =
        app.get_auth(&format!("/api/v1/customers?q={}&limit=1", urlencode("zhang")), &t).await.json().await.unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let next = v["next_cursor"].as_str().unwrap();
    let v2: Value =
        app.get_auth(&format!("/api/v1/customers?q=zhang&limit=1&cursor={next}"), &t).await.json().await.unwrap();
    assert_ne!(v["items"][0]["id"], v2["items"][0]["id"]);
    assert_eq!(v2["next_cursor"], Value::Null);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

async fn personal_data_is_masked_without_permission(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let c = app
        .create(
            "/api/v1/customers",
            &t,
            json!({"name": "王五", "phone": "13812345678", "id_number": "110101199001011234"}),
        )
        .await;
    assert_eq!(
        (c["phone"].as_str(), c["id_number"].as_str()),
        (Some("+8613812345678"), Some("110101199001011234")),
        "the admin may see it"
    );
    let reader = app.position(&t, "Reader", "all", &["customers:read"]).await;
    let (_, rt) = app.user_with(&t, "reader", None, &[&reader]).await;
    let v: Value =
        app.get_auth(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()), &rt).await.json().await.unwrap();
    assert_eq!((v["phone"].as_str(), v["id_number"].as_str()), (Some("+86 138****5678"), Some("1101**********1234")));
    let list: Value = app.get_auth("/api/v1/customers", &rt).await.json().await.unwrap();
    assert!(!list.to_string().contains("12345678"), "masked in lists");
    // Searching by the full number still works for a reader; the answer stays masked.
    assert_eq!(names(&app, &rt, "q=13812345678").await, set(&["王五"]));
}

async fn upsert(app: &TestApp, token: &str, source: &str, items: Value) -> Vec<Value> {
    let res = app.post_auth("/api/v1/customers/batch-upsert", token, &json!({"source": source, "items": items})).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

fn statuses(r: &[Value]) -> Vec<&str> {
    r.iter().map(|i| i["status"].as_str().unwrap()).collect()
}

async fn batch_upsert_is_keyed_by_external_id_and_idempotent(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let items = json!([
        {"external_id": "C-1", "name": "赵六", "phone": "13700000001"},
        {"external_id": "C-2", "name": "钱七", "grade": "deal"},
        {"external_id": "C-3", "name": "孙八", "phone": "not-a-phone"},
        {"external_id": "C-4"},
        {"external_id": "C-5", "name": "周九", "tenant_id": "x"}
    ]);
    let r = upsert(&app, &t, "sales-office", items.clone()).await;
    assert_eq!(statuses(&r), vec!["created", "created", "failed", "failed", "failed"]);
    assert_eq!(r[2]["error"]["errors"][0]["field"], "/items/2/phone");
    assert_eq!(r[3]["error"]["errors"][0]["field"], "/items/3/name");
    assert_eq!(r[4]["error"]["errors"][0]["field"], "/items/4/tenant_id");
    assert_eq!(r[0]["index"], 0);
    let first_ids: Vec<Value> = r[..2].iter().map(|i| i["id"].clone()).collect();

    // The same batch again creates and changes nothing.
    let again = upsert(&app, &t, "sales-office", items).await;
    assert_eq!(statuses(&again), vec!["unchanged", "unchanged", "failed", "failed", "failed"]);
    assert_eq!(again[..2].iter().map(|i| i["id"].clone()).collect::<Vec<_>>(), first_ids);
    assert_eq!(names(&app, &t, "limit=500").await, set(&["赵六", "钱七"]));

    // A change updates in place; another source is another key space.
    let r = upsert(&app, &t, "sales-office", json!([{"external_id": "C-1", "name": "赵六", "city": "杭州"}])).await;
    assert_eq!(statuses(&r), vec!["updated"]);
    assert_eq!(r[0]["id"], first_ids[0]);
    let c: Value =
        app.get_auth(&format!("/api/v1/customers/{}", first_ids[0].as_str().unwrap()), &t).await.json().await.unwrap();
    assert_eq!(
        (c["city"].as_str(), c["phone"].as_str(), c["source"].as_str(), c["external_id"].as_str()),
        (Some("杭州"), Some("+8613700000001"), Some("sales-office"), Some("C-1"))
    );
    let r = upsert(&app, &t, "website", json!([{"external_id": "C-1", "name": "另一个"}])).await;
    assert_eq!(statuses(&r), vec!["created"]);

    let res = app.post_auth("/api/v1/customers/batch-upsert", &t, &json!({"source": "x", "items": []})).await;
    problem(res, 422, "validation.failed").await;
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"external_id": format!("E{i}"), "name": "n"})).collect();
    let res = app.post_auth("/api/v1/customers/batch-upsert", &t, &json!({"source": "x", "items": too_many})).await;
    problem(res, 422, "validation.failed").await;
}

/// Errors come back under the item's index in the request, also after an unreadable item, and
/// name the field (a value that cannot be read as well as a rule the value breaks).
async fn batch_upsert_errors_keep_the_request_index_and_name_the_field(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let r = upsert(
        &app,
        &t,
        "crm-x",
        json!([
            {"external_id": "a", "birthday": "bad"},
            {"external_id": "b", "name": ""},
            {"external_id": "c", "name": "好", "gender": "robot", "phone": "x"}
        ]),
    )
    .await;
    assert_eq!(statuses(&r), vec!["failed", "failed", "failed"]);
    let at = |i: usize| -> Vec<(String, String)> {
        r[i]["error"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
            .collect()
    };
    let indexes: Vec<u64> = r.iter().map(|i| i["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, vec![0, 1, 2]);
    assert_eq!(at(0), vec![("/items/0/birthday".to_owned(), "invalid_value".to_owned())]);
    assert_eq!(at(1), vec![("/items/1/name".to_owned(), "length".to_owned())]);
    // Every invalid field at once; an enum names its allowed values.
    let mut fields: Vec<String> = at(2).into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, vec!["/items/2/gender".to_owned(), "/items/2/phone".to_owned()], "{:?}", r[2]);
    let errors = r[2]["error"]["errors"].as_array().unwrap();
    let gender = errors.iter().find(|e| e["field"] == "/items/2/gender").unwrap();
    assert!(gender["message"].as_str().is_some_and(|m| m.contains("female")), "{gender}");
    assert!(names(&app, &t, "").await.is_empty(), "nothing created");
}

async fn concurrent_batches_of_the_same_keys_never_duplicate(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.workers = Some(2)).await;
    let t = app.admin_token().await;
    let items: Vec<Value> =
        (0..200).map(|i| json!({"external_id": format!("K{i}"), "name": format!("客户{i}")})).collect();
    let body = json!({"source": "sync", "items": items});
    let reqs =
        (0..6).map(|_| app.http.post(app.url("/api/v1/customers/batch-upsert")).bearer_auth(&t).json(&body).send());
    let mut created = 0;
    for r in futures_util::future::join_all(reqs).await {
        let r = r.unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        for item in v["items"].as_array().unwrap() {
            let s = item["status"].as_str().unwrap();
            assert!(s == "created" || s == "unchanged", "{item}");
            created += usize::from(s == "created");
        }
    }
    assert_eq!(created, 200, "each key created exactly once");
    let v: Value = app.get_auth("/api/v1/customers?limit=500", &t).await.json().await.unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 200);
}

async fn changes_since(app: &TestApp, token: &str, since: Option<&str>, limit: u32) -> Value {
    let q = since.map(|s| format!("&since={s}")).unwrap_or_default();
    let res = app.get_auth(&format!("/api/v1/customers/changes?limit={limit}{q}"), token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn change_feed_lists_changes_in_order_with_tombstones(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let a = app.create("/api/v1/customers", &t, json!({"name": "A"})).await;
    let b = app.create("/api/v1/customers", &t, json!({"name": "B"})).await;
    let first = changes_since(&app, &t, None, 500).await;
    let ids: Vec<&Value> = first["items"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, vec![&a["id"], &b["id"]]);
    assert_eq!(first["has_more"], false);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();

    // Nothing new: the same cursor comes back.
    let idle = changes_since(&app, &t, Some(&cursor), 500).await;
    assert!(idle["items"].as_array().unwrap().is_empty());
    assert_eq!(idle["next_cursor"], cursor.as_str());

    app.patch_auth(&format!("/api/v1/customers/{}", a["id"].as_str().unwrap()), &t, &json!({"city": "北京"})).await;
    app.delete_auth(&format!("/api/v1/customers/{}", b["id"].as_str().unwrap()), &t).await;
    let next = changes_since(&app, &t, Some(&cursor), 500).await;
    let items = next["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((&items[0]["id"], items[0]["deleted"].as_bool()), (&a["id"], Some(false)));
    assert_eq!((&items[1]["id"], items[1]["deleted"].as_bool()), (&b["id"], Some(true)), "tombstone");
    assert!(items[0]["seq"].as_i64() < items[1]["seq"].as_i64());

    // Paging with a small limit visits each change once.
    let mut seen = Vec::new();
    let mut c: Option<String> = None;
    loop {
        let page = changes_since(&app, &t, c.as_deref(), 1).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].clone()));
        c = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, vec![a["id"].clone(), b["id"].clone()], "latest change of each, in order");
    problem(app.get_auth("/api/v1/customers/changes?since=garbage", &t).await, 400, "request.invalid_query").await;
}

async fn self_scoped_users_see_only_their_customers_everywhere(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write"]).await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let (_, bob) = app.user_with(&t, "bob", None, &[&sales]).await;
    let mine = app.create("/api/v1/customers", &ann, json!({"name": "Ann's client", "phone": "13811112222"})).await;
    let theirs = app.create("/api/v1/customers", &bob, json!({"name": "Bob's client", "phone": "13833334444"})).await;

    assert_eq!(names(&app, &ann, "").await, set(&["Ann's client"]));
    assert_eq!(names(&app, &ann, "q=4444").await, set(&[]), "search stays in scope");
    assert_eq!(names(&app, &ann, "q=13833334444").await, set(&[]));
    let tid = theirs["id"].as_str().unwrap();
    problem(app.get_auth(&format!("/api/v1/customers/{tid}"), &ann).await, 404, "customer.not_found").await;
    problem(
        app.patch_auth(&format!("/api/v1/customers/{tid}"), &ann, &json!({"name": "x"})).await,
        404,
        "customer.not_found",
    )
    .await;
    problem(app.get_auth(&format!("/api/v1/customers/{tid}/grade-history"), &ann).await, 404, "customer.not_found")
        .await;
    let feed = changes_since(&app, &ann, None, 500).await;
    let ids: Vec<&Value> = feed["items"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, vec![&mine["id"]]);
    // The admin (scope all) sees both.
    assert_eq!(names(&app, &t, "").await, set(&["Ann's client", "Bob's client"]));
}

async fn contacts_interactions_and_the_timeline(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let org = app.create("/api/v1/customers", &t, json!({"name": "华东地产", "kind": "organization"})).await;
    let oid = org["id"].as_str().unwrap();
    let person = app.create("/api/v1/customers", &t, json!({"name": "个人"})).await;

    let a = app
        .create(
            &format!("/api/v1/customers/{oid}/contacts"),
            &t,
            json!({"name": "李经理", "phone": "021 6123 4567", "is_primary": true}),
        )
        .await;
    assert_eq!(a["phone"], "+862161234567");
    let b = app
        .create(&format!("/api/v1/customers/{oid}/contacts"), &t, json!({"name": "王助理", "is_primary": true}))
        .await;
    let list: Value = app.get_auth(&format!("/api/v1/customers/{oid}/contacts"), &t).await.json().await.unwrap();
    let primaries: Vec<(&str, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["is_primary"].as_bool().unwrap()))
        .collect();
    assert_eq!(primaries, vec![("王助理", true), ("李经理", false)], "one primary, listed first");
    let res = app
        .patch_auth(
            &format!("/api/v1/contacts/{}", a["id"].as_str().unwrap()),
            &t,
            &json!({"title": "采购经理", "phone": null}),
        )
        .await;
    let c: Value = res.json().await.unwrap();
    assert_eq!((c["title"].as_str(), c["phone"].as_str()), (Some("采购经理"), None));
    assert_eq!(app.delete_auth(&format!("/api/v1/contacts/{}", b["id"].as_str().unwrap()), &t).await.status(), 204);
    problem(
        app.delete_auth(&format!("/api/v1/contacts/{}", b["id"].as_str().unwrap()), &t).await,
        404,
        "contact.not_found",
    )
    .await;
    let res = app
        .post_auth(&format!("/api/v1/customers/{}/contacts", person["id"].as_str().unwrap()), &t, &json!({"name": "x"}))
        .await;
    problem(res, 409, "customer.not_organization").await;

    // Interactions and grade changes merge into one newest-first timeline.
    let t0 = chrono::Utc::now() - chrono::Duration::days(3);
    app.create(
        &format!("/api/v1/customers/{oid}/interactions"),
        &t,
        json!({"kind": "visit", "summary": "初次拜访", "occurred_at": t0.to_rfc3339()}),
    )
    .await;
    app.patch_auth(&format!("/api/v1/customers/{oid}"), &t, &json!({"grade": "intent"})).await;
    let call = app
        .create(&format!("/api/v1/customers/{oid}/interactions"), &t, json!({"kind": "call", "summary": "确认看房时间", "next_step": "周六带看", "next_contact_on": "2026-12-05"}))
        .await;
    assert_eq!((call["kind"].as_str(), call["next_contact_on"].as_str()), (Some("call"), Some("2026-12-05")));
    let res = app
        .post_auth(&format!("/api/v1/customers/{oid}/interactions"), &t, &json!({"kind": "telepathy", "summary": ""}))
        .await;
    let p = problem(res, 422, "validation.failed").await;
    let fields: BTreeSet<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["/kind", "/summary"]));

    let tl: Value = app.get_auth(&format!("/api/v1/customers/{oid}/timeline"), &t).await.json().await.unwrap();
    let kinds: Vec<String> = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match e["type"].as_str().unwrap() {
            "interaction" => format!("interaction:{}", e["interaction"]["kind"].as_str().unwrap()),
            other => format!("{other}:{}", e["grade_to"].as_str().unwrap()),
        })
        .collect();
    assert_eq!(kinds, vec!["interaction:call", "grade_change:intent", "grade_change:prospect", "interaction:visit"]);
    // Paged two at a time, the same entries in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page: Value =
            app.get_auth(&format!("/api/v1/customers/{oid}/timeline?limit=2{q}"), &t).await.json().await.unwrap();
        paged.extend(page["items"].as_array().unwrap().iter().map(|e| e["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let all: Vec<Value> = tl["items"].as_array().unwrap().iter().map(|e| e["id"].clone()).collect();
    assert_eq!(paged, all);

    // Someone who cannot see the customer cannot see its contacts, interactions or timeline.
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write"]).await;
    let (_, other) = app.user_with(&t, "other", None, &[&sales]).await;
    problem(app.get_auth(&format!("/api/v1/customers/{oid}/contacts"), &other).await, 404, "customer.not_found").await;
    problem(app.get_auth(&format!("/api/v1/customers/{oid}/timeline"), &other).await, 404, "customer.not_found").await;
    let res = app
        .post_auth(&format!("/api/v1/customers/{oid}/interactions"), &other, &json!({"kind": "note", "summary": "x"}))
        .await;
    problem(res, 404, "customer.not_found").await;
    let res =
        app.patch_auth(&format!("/api/v1/contacts/{}", a["id"].as_str().unwrap()), &other, &json!({"name": "x"})).await;
    problem(res, 404, "contact.not_found").await;
}

async fn tags_are_assigned_filtered_and_shown(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let east = app.create("/api/v1/tags", &t, json!({"name": "华东", "category": "region"})).await;
    let estate = app.create("/api/v1/tags", &t, json!({"name": "地产", "category": "industry"})).await;
    problem(
        app.post_auth("/api/v1/tags", &t, &json!({"name": "华东", "category": "region"})).await,
        409,
        "tag.name_taken",
    )
    .await;
    assert_eq!(
        app.post_auth("/api/v1/tags", &t, &json!({"name": "华东", "category": "attribute"})).await.status(),
        201,
        "same name, other category"
    );
    let p = problem(
        app.post_auth("/api/v1/tags", &t, &json!({"name": "x", "category": "mood"})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/category");
    let (e, s) = (east["id"].as_str().unwrap(), estate["id"].as_str().unwrap());

    let a = app.create("/api/v1/customers", &t, json!({"name": "甲", "tag_ids": [e]})).await;
    let tag_names = |c: &Value| -> Vec<String> {
        c["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(tag_names(&a), vec!["华东"]);
    let b = app.create("/api/v1/customers", &t, json!({"name": "乙"})).await;
    let res = app
        .patch_auth(&format!("/api/v1/customers/{}", b["id"].as_str().unwrap()), &t, &json!({"tag_ids": [e, s, s]}))
        .await;
    let b2: Value = res.json().await.unwrap();
    assert_eq!(tag_names(&b2), vec!["地产", "华东"], "by category, duplicates collapse");
    assert_eq!(names(&app, &t, &format!("tag_id={s}")).await, set(&["乙"]));
    assert_eq!(names(&app, &t, &format!("tag_id={e}")).await, set(&["甲", "乙"]));
    let list: Value = app.get_auth("/api/v1/customers", &t).await.json().await.unwrap();
    assert!(
        list["items"].as_array().unwrap().iter().all(|c| !c["tags"].as_array().unwrap().is_empty()),
        "lists carry tags"
    );

    let r = upsert(&app, &t, "crm-sync", json!([{"external_id": "T1", "name": "丙", "tag_ids": [s]}, {"external_id": "T2", "name": "丁", "tag_ids": [uuid::Uuid::now_v7()]}])).await;
    assert_eq!(statuses(&r), vec!["created", "failed"]);
    assert_eq!(r[1]["error"]["errors"][0]["field"], "/items/1/tag_ids/0");
    let again = upsert(&app, &t, "crm-sync", json!([{"external_id": "T1", "name": "丙", "tag_ids": [s]}])).await;
    assert_eq!(statuses(&again), vec!["unchanged"]);

    // Deleting a tag takes it off everyone.
    assert_eq!(app.delete_auth(&format!("/api/v1/tags/{e}"), &t).await.status(), 204);
    let b3: Value =
        app.get_auth(&format!("/api/v1/customers/{}", b["id"].as_str().unwrap()), &t).await.json().await.unwrap();
    assert_eq!(tag_names(&b3), vec!["地产"]);
    let regions: Value = app.get_auth("/api/v1/tags?category=region", &t).await.json().await.unwrap();
    assert!(regions["items"].as_array().unwrap().is_empty());
    problem(app.delete_auth(&format!("/api/v1/tags/{e}"), &t).await, 404, "tag.not_found").await;
    let audit: Value = app
        .get_auth(&format!("/api/v1/audit-log?entity_type=customer&entity_id={}", b["id"].as_str().unwrap()), &t)
        .await
        .json()
        .await
        .unwrap();
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "tag"), "tagging is audited");
}
