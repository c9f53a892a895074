//! Customers under concurrency (PostgreSQL is where these races lived: SQLite serialises writers)
//! and the customers' share of data scope and privacy: crossed merges, `If-Match` under load,
//! duplicate refusal under load, batch upsert that does not reveal other users' keys, and
//! masked contact phones.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use futures_util::future::join_all;
use serde_json::{Value, json};

on_both_dbs!(
    crossed_merges_let_exactly_one_win,
    concurrent_patches_with_one_if_match_let_exactly_one_win,
    refused_duplicates_stay_refused_under_concurrent_creates,
    refused_duplicates_stay_refused_under_concurrent_batches,
    concurrent_static_segment_adds_add_once,
    batch_upsert_does_not_reveal_keys_outside_the_scope,
    contact_phones_are_masked_without_read_pii,
    refused_duplicates_stay_refused_under_concurrent_changes,
    concurrent_claims_keep_the_claim_limit,
    batch_upsert_never_updates_a_deleted_customer,
    mixed_concurrent_writers_never_fail_with_500,
    a_tag_deleted_while_customers_take_it_leaves_no_link,
    concurrent_segment_patches_with_one_if_match_let_exactly_one_win,
);

/// An application with room for real concurrency (two workers, ten connections).
async fn spawn(db: Db) -> TestApp {
    TestApp::spawn_with(db, |c| {
        c.workers = Some(2);
        c.db_max_connections = 10;
    })
    .await
}

/// [`spawn`] with the tenant refusing probable duplicates, and the admin's token.
async fn refusing(db: Db) -> (TestApp, String) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    assert_eq!(app.patch_auth("/api/v1/settings", &t, &json!({"duplicate_policy": "refuse"})).await.status(), 200);
    (app, t)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// How many live customers have this phone.
async fn with_phone(app: &TestApp, token: &str, phone: &str) -> usize {
    let found: Value = app.get_auth(&format!("/api/v1/customers?q={phone}"), token).await.json().await.unwrap();
    found["items"].as_array().unwrap().len()
}

/// Fails with every failed round of a race test.
fn assert_rounds(failures: &[String], rounds: usize) {
    assert!(failures.is_empty(), "{} of {rounds} rounds failed: {failures:#?}", failures.len());
}

async fn upsert(app: &TestApp, token: &str, source: &str, items: Value) -> Vec<Value> {
    let res = app.post_auth("/api/v1/customers/batch-upsert", token, &json!({"source": source, "items": items})).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

/// Rounds of `POST /customers/X/merge {Y}` and `POST /customers/Y/merge {X}` at once.
const MERGE_ROUNDS: usize = 20;

async fn crossed_merges_let_exactly_one_win(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    let mut failures = Vec::new();
    for round in 0..MERGE_ROUNDS {
        let (kx, ky) = (format!("X{round}"), format!("Y{round}"));
        let made = upsert(
            &app,
            &t,
            "crm",
            json!([{"external_id": kx, "name": format!("甲{round}")}, {"external_id": ky, "name": format!("乙{round}")}]),
        )
        .await;
        let (x, y) = (made[0]["id"].as_str().unwrap().to_owned(), made[1]["id"].as_str().unwrap().to_owned());
        let merge = |target: &str, dup: &str| {
            app.http
                .post(app.url(&format!("/api/v1/customers/{target}/merge")))
                .bearer_auth(&t)
                .json(&json!({"duplicate_ids": [dup]}))
                .send()
        };
        let answers = join_all([merge(&x, &y), merge(&y, &x)]).await;
        let mut statuses = Vec::new();
        let mut codes = Vec::new();
        for r in answers {
            let r = r.unwrap();
            statuses.push(r.status().as_u16());
            let v: Value = r.json().await.unwrap();
            codes.push(v["code"].as_str().unwrap_or("").to_owned());
        }
        let winner = match statuses.as_slice() {
            [200, 409] => Some(x.clone()),
            [409, 200] => Some(y.clone()),
            _ => None,
        };
        let Some(winner) = winner else {
            failures.push(format!("round {round}: {statuses:?} {codes:?}"));
            continue;
        };
        assert!(codes.contains(&"customer.merge_conflict".to_owned()), "round {round}: {codes:?}");
        let loser = if winner == x { &y } else { &x };
        let loser_key = if winner == x { &ky } else { &kx };
        // The survivor is live, the other merged into it: not restorable, and its key resolves
        // to the survivor.
        assert_eq!(app.get_auth(&format!("/api/v1/customers/{winner}"), &t).await.status(), 200, "round {round}");
        problem(app.get_auth(&format!("/api/v1/customers/{loser}"), &t).await, 404, "customer.not_found").await;
        problem(
            app.post_auth(&format!("/api/v1/customers/{loser}/restore"), &t, &json!({})).await,
            409,
            "customer.merged",
        )
        .await;
        let again = upsert(&app, &t, "crm", json!([{"external_id": loser_key, "name": format!("丙{round}")}])).await;
        assert_eq!((again[0]["status"].as_str(), again[0]["id"].as_str()), (Some("updated"), Some(winner.as_str())));
        let v: Value = app.get_auth(&format!("/api/v1/customers/{winner}"), &t).await.json().await.unwrap();
        assert_eq!(v["name"], format!("丙{round}"));
    }
    assert_rounds(&failures, MERGE_ROUNDS);
}

/// Rounds of 20 `PATCH`es carrying the same `If-Match`.
const PATCH_ROUNDS: usize = 5;
const PATCHERS: usize = 20;

async fn concurrent_patches_with_one_if_match_let_exactly_one_win(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    let mut failures = Vec::new();
    for round in 0..PATCH_ROUNDS {
        let res = app.post_auth("/api/v1/customers", &t, &json!({"name": format!("原{round}")})).await;
        assert_eq!(res.status(), 201);
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let cid = id(&res.json::<Value>().await.unwrap());
        let reqs = (0..PATCHERS).map(|i| {
            app.http
                .patch(app.url(&format!("/api/v1/customers/{cid}")))
                .bearer_auth(&t)
                .header("If-Match", &etag)
                .json(&json!({"name": format!("改{round}-{i}")}))
                .send()
        });
        let mut won = Vec::new();
        let mut other = Vec::new();
        for (i, r) in join_all(reqs).await.into_iter().enumerate() {
            match r.unwrap().status().as_u16() {
                200 => won.push(format!("改{round}-{i}")),
                412 => {}
                s => other.push(s),
            }
        }
        let v: Value = app.get_auth(&format!("/api/v1/customers/{cid}"), &t).await.json().await.unwrap();
        if won.len() != 1 || !other.is_empty() || v["name"] != won[0].as_str() {
            failures
                .push(format!("round {round}: 200 for {won:?}, other statuses {other:?}, final name {}", v["name"]));
        }
    }
    assert_rounds(&failures, PATCH_ROUNDS);
}

/// Rounds of 20 creates with one phone under `duplicate_policy: refuse`.
const CREATE_ROUNDS: usize = 5;
const CREATORS: usize = 20;

async fn refused_duplicates_stay_refused_under_concurrent_creates(db: Db) {
    let (app, t) = refusing(db).await;
    let mut failures = Vec::new();
    for round in 0..CREATE_ROUNDS {
        let phone = format!("1370000{round:04}");
        let reqs = (0..CREATORS).map(|i| {
            app.http
                .post(app.url("/api/v1/customers"))
                .bearer_auth(&t)
                .json(&json!({"name": format!("同号{round}-{i}"), "phone": phone}))
                .send()
        });
        let mut created = 0;
        let mut other = Vec::new();
        for r in join_all(reqs).await {
            let r = r.unwrap();
            let s = r.status().as_u16();
            let v: Value = r.json().await.unwrap();
            match (s, v["code"].as_str()) {
                (201, _) => created += 1,
                (409, Some("customer.duplicate")) => {}
                _ => other.push(format!("{s} {v}")),
            }
        }
        let stored = with_phone(&app, &t, &phone).await;
        if created != 1 || stored != 1 || !other.is_empty() {
            failures.push(format!("round {round}: {created} created, {stored} stored, other {other:?}"));
        }
    }
    assert_rounds(&failures, CREATE_ROUNDS);
}

/// Rounds of three batches (three sources) carrying one phone under `duplicate_policy: refuse`.
const BATCH_ROUNDS: usize = 15;

async fn refused_duplicates_stay_refused_under_concurrent_batches(db: Db) {
    let (app, t) = refusing(db).await;
    let mut failures = Vec::new();
    for round in 0..BATCH_ROUNDS {
        let phone = format!("1360000{round:04}");
        let reqs = ["office", "website", "wechat"].map(|source| {
            app.http
                .post(app.url("/api/v1/customers/batch-upsert"))
                .bearer_auth(&t)
                .json(&json!({"source": source, "items": [{"external_id": format!("K{round}"), "name": format!("{source}{round}"), "phone": phone}]}))
                .send()
        });
        let mut statuses = Vec::new();
        for r in join_all(reqs).await {
            let r = r.unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            let item = &v["items"][0];
            statuses.push(format!(
                "{}:{}",
                item["status"].as_str().unwrap(),
                item["error"]["code"].as_str().unwrap_or("")
            ));
        }
        statuses.sort();
        let stored = with_phone(&app, &t, &phone).await;
        let want = ["created:", "failed:customer.duplicate", "failed:customer.duplicate"];
        if statuses != want || stored != 1 {
            failures.push(format!("round {round}: {statuses:?}, {stored} stored"));
        }
    }
    assert_rounds(&failures, BATCH_ROUNDS);
}

/// Rounds of ten adds of the same customers to one static segment at once.
const SEGMENT_ROUNDS: usize = 10;

async fn concurrent_static_segment_adds_add_once(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    let a = id(&app.create("/api/v1/customers", &t, json!({"name": "甲"})).await);
    let b = id(&app.create("/api/v1/customers", &t, json!({"name": "乙"})).await);
    let mut failures = Vec::new();
    for round in 0..SEGMENT_ROUNDS {
        let seg = app.create("/api/v1/segments", &t, json!({"name": format!("名单{round}"), "kind": "static"})).await;
        let sid = id(&seg);
        let reqs = (0..10).map(|_| {
            app.http
                .post(app.url(&format!("/api/v1/segments/{sid}/members")))
                .bearer_auth(&t)
                .json(&json!({"customer_ids": [a, b]}))
                .send()
        });
        let mut added = 0;
        let mut other = Vec::new();
        for r in join_all(reqs).await {
            let r = r.unwrap();
            let s = r.status().as_u16();
            let v: Value = r.json().await.unwrap();
            if s == 200 {
                added += v["changed"].as_u64().unwrap();
            } else {
                other.push(format!("{s} {v}"));
            }
        }
        let count: Value = app.get_auth(&format!("/api/v1/segments/{sid}/count"), &t).await.json().await.unwrap();
        if added != 2 || !other.is_empty() || count["count"] != 2 {
            failures.push(format!("round {round}: added {added}, count {}, other {other:?}", count["count"]));
        }
    }
    assert_rounds(&failures, SEGMENT_ROUNDS);
}

async fn batch_upsert_does_not_reveal_keys_outside_the_scope(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write"]).await;
    let (ann_id, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let (bob_id, _) = app.user_with(&t, "bob", None, &[&sales]).await;
    let made = upsert(
        &app,
        &t,
        "office",
        json!([
            {"external_id": "A-1", "name": "Ann's client", "owner_id": ann_id},
            {"external_id": "B-1", "name": "Bob's client", "owner_id": bob_id},
            {"external_id": "P-1", "name": "In the pool", "owner_id": null}
        ]),
    )
    .await;
    assert_eq!(made.iter().map(|i| i["status"].as_str().unwrap()).collect::<Vec<_>>(), ["created"; 3]);

    // Another user's key, a pooled customer's key and an unknown key answer alike; her own key updates.
    let r = upsert(
        &app,
        &ann,
        "office",
        json!([
            {"external_id": "B-1", "name": "Taken over"},
            {"external_id": "P-1", "name": "Taken over"},
            {"external_id": "N-1", "name": "Taken over"},
            {"external_id": "A-1", "name": "Ann's client", "city": "杭州"}
        ]),
    )
    .await;
    let shown: Vec<(Value, Value, Value)> =
        r.iter().map(|i| (i["status"].clone(), i["id"].clone(), i["error"]["code"].clone())).collect();
    let refused = (json!("failed"), Value::Null, json!("customer.key_out_of_scope"));
    assert_eq!(shown[..3], [refused.clone(), refused.clone(), refused], "{r:?}");
    let strip = |v: &Value| {
        let mut e = v["error"].clone();
        e.as_object_mut().unwrap().remove("request_id");
        e
    };
    assert_eq!(strip(&r[0]), strip(&r[2]), "the same problem for someone else's key and an unknown one");
    assert_eq!((r[3]["status"].as_str(), r[3]["id"].as_str()), (Some("updated"), made[0]["id"].as_str()));

    // Nothing was created or changed by the refused items.
    let all: Value = app.get_auth("/api/v1/customers?limit=100", &t).await.json().await.unwrap();
    let mut names: Vec<&str> = all["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Ann's client", "Bob's client", "In the pool"]);
    // A tenant-wide caller creates by unknown key as before.
    let r = upsert(&app, &t, "office", json!([{"external_id": "N-1", "name": "New"}])).await;
    assert_eq!(r[0]["status"], "created");
}

async fn contact_phones_are_masked_without_read_pii(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let writer = app.position(&t, "Writer", "all", &["customers:read", "customers:write", "audit_log:read"]).await;
    let (_, w) = app.user_with(&t, "wendy", None, &[&writer]).await;
    let org = app.create("/api/v1/customers", &t, json!({"name": "华东地产", "kind": "organization"})).await;
    let oid = id(&org);
    let masked = "+86 138****5678";

    // Without customers:read_pii: masked in the answer to create, patch, list and get.
    let c = app
        .create(&format!("/api/v1/customers/{oid}/contacts"), &w, json!({"name": "李经理", "phone": "13812345678"}))
        .await;
    assert_eq!(c["phone"], masked);
    let cid = id(&c);
    let res = app.patch_auth(&format!("/api/v1/contacts/{cid}"), &w, &json!({"title": "经理"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["phone"], masked);
    let list: Value = app.get_auth(&format!("/api/v1/customers/{oid}/contacts"), &w).await.json().await.unwrap();
    assert_eq!(list["items"][0]["phone"], masked);
    assert!(!list.to_string().contains("12345678"));

    // With it: shown.
    let list: Value = app.get_auth(&format!("/api/v1/customers/{oid}/contacts"), &t).await.json().await.unwrap();
    assert_eq!(list["items"][0]["phone"], "+8613812345678");

    // The audit entries of a contact never carry the number.
    let res = app.patch_auth(&format!("/api/v1/contacts/{cid}"), &t, &json!({"phone": "13998765432"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.delete_auth(&format!("/api/v1/contacts/{cid}"), &t).await.status(), 204);
    for who in [&w, &t] {
        let audit: Value = app
            .get_auth(&format!("/api/v1/audit-log?entity_type=contact&entity_id={cid}"), who)
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> =
            audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["delete", "update", "update", "create"]);
        let text = audit.to_string();
        assert!(!text.contains("12345678") && !text.contains("98765432"), "{text}");
        assert!(text.contains(masked) && text.contains("+86 139****5432"), "{text}");
    }
}

/// Rounds of two `PATCH`es giving two customers one new phone at once, under `refuse`.
const CHANGE_ROUNDS: usize = 10;

async fn refused_duplicates_stay_refused_under_concurrent_changes(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    // Duplicates from before the refusal stay changeable; a change to another's key is refused.
    let a = id(&app.create("/api/v1/customers", &t, json!({"name": "甲", "phone": "13500000001"})).await);
    let b = id(&app.create("/api/v1/customers", &t, json!({"name": "乙", "phone": "13500000001"})).await);
    let c = id(&app.create("/api/v1/customers", &t, json!({"name": "丙", "email": "c@x.cn"})).await);
    assert_eq!(app.patch_auth("/api/v1/settings", &t, &json!({"duplicate_policy": "refuse"})).await.status(), 200);
    assert_eq!(app.patch_auth(&format!("/api/v1/customers/{b}"), &t, &json!({"city": "杭州"})).await.status(), 200);
    let p = problem(
        app.patch_auth(&format!("/api/v1/customers/{c}"), &t, &json!({"phone": "135 0000 0001"})).await,
        409,
        "customer.duplicate",
    )
    .await;
    let mut ids: Vec<&str> =
        p["duplicates"].as_array().unwrap().iter().map(|d| d["customer_id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = [a.as_str(), b.as_str()];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(p["duplicates"][0]["reasons"], json!(["phone"]));
    // A deleted customer whose phone another has meanwhile is not restored beside it.
    assert_eq!(app.delete_auth(&format!("/api/v1/customers/{b}"), &t).await.status(), 204);
    assert_eq!(app.delete_auth(&format!("/api/v1/customers/{a}"), &t).await.status(), 204);
    assert_eq!(app.post_auth(&format!("/api/v1/customers/{a}/restore"), &t, &json!({})).await.status(), 200);
    let p = problem(
        app.post_auth(&format!("/api/v1/customers/{b}/restore"), &t, &json!({})).await,
        409,
        "customer.duplicate",
    )
    .await;
    assert_eq!(p["duplicates"], json!([{"customer_id": a, "reasons": ["phone"]}]));

    let mut failures = Vec::new();
    for round in 0..CHANGE_ROUNDS {
        let x = id(&app.create("/api/v1/customers", &t, json!({"name": format!("子{round}")})).await);
        let y = id(&app.create("/api/v1/customers", &t, json!({"name": format!("丑{round}")})).await);
        let phone = format!("1350001{round:04}");
        let patch = |cid: &str| {
            app.http
                .patch(app.url(&format!("/api/v1/customers/{cid}")))
                .bearer_auth(&t)
                .json(&json!({"phone": phone}))
                .send()
        };
        let mut statuses: Vec<u16> =
            join_all([patch(&x), patch(&y)]).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        statuses.sort();
        let stored = with_phone(&app, &t, &phone).await;
        if statuses != [200, 409] || stored != 1 {
            failures.push(format!("round {round}: {statuses:?}, {stored} with the phone"));
        }
    }
    assert_rounds(&failures, CHANGE_ROUNDS);
}

/// Rounds of one user claiming two pooled customers at once with a claim limit of one.
const CLAIM_ROUNDS: usize = 15;

async fn concurrent_claims_keep_the_claim_limit(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write", "customers:pool"]).await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    assert_eq!(app.patch_auth("/api/v1/settings", &t, &json!({"pool_claim_limit": 1})).await.status(), 200);
    let mut failures = Vec::new();
    for round in 0..CLAIM_ROUNDS {
        let pooled: Vec<String> = join_all((0..2).map(|i| {
            app.create("/api/v1/customers", &t, json!({"name": format!("公海{round}-{i}"), "owner_id": null}))
        }))
        .await
        .iter()
        .map(id)
        .collect();
        let claims = pooled.iter().map(|c| {
            app.http.post(app.url(&format!("/api/v1/customers/{c}/claim"))).bearer_auth(&ann).json(&json!({})).send()
        });
        let mut statuses: Vec<u16> = join_all(claims).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        statuses.sort();
        let mine: Value = app.get_auth("/api/v1/customers", &ann).await.json().await.unwrap();
        let owned: Vec<String> = mine["items"].as_array().unwrap().iter().map(id).collect();
        if statuses != [200, 409] || owned.len() != 1 {
            failures.push(format!("round {round}: {statuses:?}, owns {}", owned.len()));
        }
        // Back to the pool for the next round.
        for c in owned {
            let res = app.post_auth(&format!("/api/v1/customers/{c}/release"), &ann, &json!({})).await;
            assert_eq!(res.status(), 204);
        }
    }
    assert_rounds(&failures, CLAIM_ROUNDS);
}

async fn batch_upsert_never_updates_a_deleted_customer(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let made = upsert(&app, &t, "office", json!([{"external_id": "D-1", "name": "将删除"}])).await;
    let cid = made[0]["id"].as_str().unwrap();
    assert_eq!(app.delete_auth(&format!("/api/v1/customers/{cid}"), &t).await.status(), 204);
    let r = upsert(&app, &t, "office", json!([{"external_id": "D-1", "name": "复活?"}])).await;
    assert_eq!((r[0]["status"].as_str(), r[0]["error"]["code"].as_str()), (Some("failed"), Some("customer.deleted")));
    assert_eq!(r[0]["error"]["errors"][0]["field"], "/items/0/external_id");
    // Restored, the key updates it again.
    assert_eq!(app.post_auth(&format!("/api/v1/customers/{cid}/restore"), &t, &json!({})).await.status(), 200);
    let r = upsert(&app, &t, "office", json!([{"external_id": "D-1", "name": "已恢复"}])).await;
    assert_eq!((r[0]["status"].as_str(), r[0]["id"].as_str()), (Some("updated"), Some(cid)));
}

/// Rounds of patches, batch upserts, claims, releases, contacts and interactions on the same
/// few customers at once.
const MIXED_ROUNDS: usize = 15;

async fn mixed_concurrent_writers_never_fail_with_500(db: Db) {
    let (app, t) = refusing(db).await;
    let keys = ["M-1", "M-2", "M-3"];
    let made = upsert(
        &app,
        &t,
        "office",
        json!(
            keys.iter()
                .map(|k| json!({"external_id": k, "name": format!("混{k}"), "kind": "organization"}))
                .collect::<Vec<_>>()
        ),
    )
    .await;
    let ids: Vec<String> = made.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();
    let mut bad = Vec::new();
    for round in 0..MIXED_ROUNDS {
        let mut reqs = Vec::new();
        for (i, cid) in ids.iter().enumerate() {
            reqs.push(
                app.http
                    .patch(app.url(&format!("/api/v1/customers/{cid}")))
                    .bearer_auth(&t)
                    .json(&json!({"notes": format!("r{round}"), "phone": format!("1340000{round:02}{i:02}")}))
                    .send(),
            );
            reqs.push(
                app.http
                    .post(app.url(&format!("/api/v1/customers/{cid}/interactions")))
                    .bearer_auth(&t)
                    .json(&json!({"kind": "call", "summary": format!("r{round}")}))
                    .send(),
            );
            reqs.push(
                app.http
                    .post(app.url(&format!("/api/v1/customers/{cid}/contacts")))
                    .bearer_auth(&t)
                    .json(&json!({"name": format!("联系人{round}"), "is_primary": true}))
                    .send(),
            );
        }
        // Two batches touching every key, in opposite orders.
        for order in [keys.to_vec(), keys.iter().rev().copied().collect()] {
            let items: Vec<Value> =
                order.iter().map(|k| json!({"external_id": k, "city": format!("城{round}{k}")})).collect();
            reqs.push(
                app.http
                    .post(app.url("/api/v1/customers/batch-upsert"))
                    .bearer_auth(&t)
                    .json(&json!({"source": "office", "items": items}))
                    .send(),
            );
        }
        reqs.push(
            app.http
                .post(app.url(&format!("/api/v1/customers/{}/release", ids[0])))
                .bearer_auth(&t)
                .json(&json!({}))
                .send(),
        );
        reqs.push(
            app.http
                .post(app.url(&format!("/api/v1/customers/{}/claim", ids[0])))
                .bearer_auth(&t)
                .json(&json!({}))
                .send(),
        );
        for r in join_all(reqs).await {
            let r = r.unwrap();
            let s = r.status().as_u16();
            let text = r.text().await.unwrap();
            if s >= 500 || text.contains("\"status\":500") {
                bad.push(format!("round {round}: {s} {text}"));
            }
        }
    }
    assert!(bad.is_empty(), "{} answers with a 500: {bad:#?}", bad.len());
}

/// Rounds of a tag deleted while five customers are given it.
const TAG_ROUNDS: usize = 10;

async fn a_tag_deleted_while_customers_take_it_leaves_no_link(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    let mut cs = Vec::new();
    for i in 0..5 {
        cs.push(id(&app.create("/api/v1/customers", &t, json!({"name": format!("标{i}")})).await));
    }
    let mut failures = Vec::new();
    for round in 0..TAG_ROUNDS {
        let tag =
            id(&app.create("/api/v1/tags", &t, json!({"name": format!("临时{round}"), "category": "other"})).await);
        let mut reqs: Vec<_> = cs
            .iter()
            .map(|c| {
                app.http
                    .patch(app.url(&format!("/api/v1/customers/{c}")))
                    .bearer_auth(&t)
                    .json(&json!({"tag_ids": [tag]}))
                    .send()
            })
            .collect();
        reqs.insert(2, app.http.delete(app.url(&format!("/api/v1/tags/{tag}"))).bearer_auth(&t).send());
        let statuses: Vec<u16> = join_all(reqs).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        let mut carrying = 0;
        for c in &cs {
            let v: Value = app.get_auth(&format!("/api/v1/customers/{c}"), &t).await.json().await.unwrap();
            carrying += v["tags"].as_array().unwrap().iter().filter(|x| x["id"] == tag.as_str()).count();
        }
        if statuses.iter().any(|s| *s >= 500) || statuses[2] != 204 || carrying != 0 {
            failures.push(format!("round {round}: {statuses:?}, {carrying} customers carry the deleted tag"));
        }
    }
    assert_rounds(&failures, TAG_ROUNDS);
}

/// Rounds of ten segment `PATCH`es carrying the same `If-Match`.
const SEGMENT_PATCH_ROUNDS: usize = 5;

async fn concurrent_segment_patches_with_one_if_match_let_exactly_one_win(db: Db) {
    let app = spawn(db).await;
    let t = app.admin_token().await;
    let mut failures = Vec::new();
    for round in 0..SEGMENT_PATCH_ROUNDS {
        let res = app.post_auth("/api/v1/segments", &t, &json!({"name": format!("段{round}"), "kind": "static"})).await;
        assert_eq!(res.status(), 201);
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let sid = id(&res.json::<Value>().await.unwrap());
        let reqs = (0..10).map(|i| {
            app.http
                .patch(app.url(&format!("/api/v1/segments/{sid}")))
                .bearer_auth(&t)
                .header("If-Match", &etag)
                .json(&json!({"description": format!("改{i}")}))
                .send()
        });
        let statuses: Vec<u16> = join_all(reqs).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        let won: Vec<String> =
            statuses.iter().enumerate().filter(|(_, s)| **s == 200).map(|(i, _)| format!("改{i}")).collect();
        let now: Value = app.get_auth(&format!("/api/v1/segments/{sid}"), &t).await.json().await.unwrap();
        if won.len() != 1 || statuses.iter().any(|s| *s != 200 && *s != 412) || now["description"] != won[0].as_str() {
            failures.push(format!("round {round}: {statuses:?}, description {}", now["description"]));
        }
    }
    assert_rounds(&failures, SEGMENT_PATCH_ROUNDS);
}
