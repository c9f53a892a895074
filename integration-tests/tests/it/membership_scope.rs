//! Enrollment within the data scope: applications carry their submitter and, once linked, their
//! customer's owner, and are listed, read, corrected and decided only within the caller's scope;
//! an approval never links a customer the approver may not see (409, nothing created); a
//! purchase prefill from such a customer is refused exactly like a missing one.

use crate::helpers::{Db, TestApp, problem};
use crate::membership_enrollment::{apply, approve, expect, field_of, items, phone, s, upsert_customer};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(
    applications_are_listed_and_read_within_the_data_scope,
    approval_never_links_a_customer_outside_the_scope,
    a_prefill_from_a_customer_outside_the_scope_is_refused_like_a_missing_one,
);

/// Two self-scoped club staff, ann and bob, and the admin's token: (admin, ann, bob).
async fn club(app: &TestApp) -> (String, (String, String), (String, String)) {
    let t = app.admin_token().await;
    let perms = [
        "customers:read",
        "customers:write",
        "customers:read_pii",
        "members:read",
        "enrollment:read",
        "enrollment:submit",
        "enrollment:review",
    ];
    let staff = app.position(&t, "Club", "self", &perms).await;
    let ann = app.user_with(&t, "ann", None, &[&staff]).await;
    let bob = app.user_with(&t, "bob", None, &[&staff]).await;
    (t, ann, bob)
}

/// Bob's customer (phone 5, an email and an id number), by id.
async fn bobs_customer(app: &TestApp, bob: &str) -> String {
    let body =
        json!({"name": "博的客户", "phone": phone(5), "email": "bob-c@example.com", "id_number": "110101199003074514"});
    s(&app.create("/api/v1/customers", bob, body).await, "id")
}

async fn queue(app: &TestApp, token: &str) -> Vec<String> {
    field_of(&items(app, token, "/api/v1/enrollment-applications?limit=500").await, "id")
}

async fn member_count(app: &TestApp, admin: &str) -> usize {
    items(app, admin, "/api/v1/members?limit=500").await.len()
}

/// The response text contains none of `secrets`.
fn reveals_none(body: &Value, secrets: &[&str]) {
    let text = body.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
}

async fn applications_are_listed_and_read_within_the_data_scope(db: Db) {
    let app = TestApp::spawn(db).await;
    let (t, (_, ann), (_, bob)) = club(&app).await;
    let a = apply(&app, &ann, json!({"channel": "onsite", "name": "安申请", "phone": phone(1)})).await;
    let b = apply(&app, &bob, json!({"channel": "onsite", "name": "博申请", "phone": phone(2)})).await;
    let (aid, bid) = (s(&a, "id"), s(&b, "id"));

    assert_eq!(queue(&app, &ann).await, vec![aid.clone()], "ann sees only her application");
    assert_eq!(queue(&app, &bob).await, vec![bid.clone()]);
    assert_eq!(queue(&app, &t).await, vec![aid.clone(), bid.clone()], "the admin sees all");
    let q = format!("/api/v1/enrollment-applications?q={}", phone(2));
    assert!(items(&app, &ann, &q).await.is_empty(), "a search stays in scope");

    // Bob's application is missing for ann, whatever she tries.
    let path = format!("/api/v1/enrollment-applications/{bid}");
    let p = problem(app.get_auth(&path, &ann).await, 404, "enrollment.not_found").await;
    reveals_none(&p, &["博申请", &phone(2)]);
    problem(app.patch_auth(&path, &ann, &json!({"name": "改"})).await, 404, "enrollment.not_found").await;
    problem(app.post_auth(&format!("{path}/approve"), &ann, &json!({})).await, 404, "enrollment.not_found").await;
    let reject = json!({"reason": "不符"});
    problem(app.post_auth(&format!("{path}/reject"), &ann, &reject).await, 404, "enrollment.not_found").await;
    for (action, body) in
        [("bulk-approve", json!({"ids": [bid]})), ("bulk-reject", json!({"ids": [bid], "reason": "x"}))]
    {
        let r =
            expect(app.post_auth(&format!("/api/v1/enrollment-applications/{action}"), &ann, &body).await, 200, action)
                .await;
        assert_eq!(
            (r["items"][0]["status"].as_str(), r["items"][0]["error"]["status"].as_u64()),
            (Some("failed"), Some(404))
        );
    }
    let unchanged = expect(app.get_auth(&path, &bob).await, 200, "bob's own").await;
    assert_eq!((unchanged["status"].as_str(), unchanged["name"].as_str()), (Some("pending"), Some("博申请")));

    // A duplicate of bob's pending application is reported to ann without naming it.
    let dup = apply(&app, &ann, json!({"channel": "onsite", "name": "重复", "phone": phone(2)})).await;
    let f = &dup["review"]["findings"];
    assert!(f.as_array().unwrap().iter().any(|f| f["code"] == "duplicate_application"), "{dup}");
    reveals_none(&dup, &[&bid]);
    let seen_by_admin =
        expect(app.get_auth(&format!("/api/v1/enrollment-applications/{}", s(&dup, "id")), &t).await, 200, "admin")
            .await;
    assert!(seen_by_admin.to_string().contains(&bid), "a tenant-wide reviewer gets the related id");

    // A retry under another scope's key does not show that application.
    let keyed = json!({"channel": "online", "name": "键", "phone": phone(3), "source": "web", "external_id": "K1"});
    apply(&app, &bob, keyed.clone()).await;
    let p = problem(
        app.post_auth("/api/v1/enrollment-applications", &ann, &keyed).await,
        409,
        "enrollment.external_id_taken",
    )
    .await;
    reveals_none(&p, &["键"]);

    // Her own she reads, corrects and approves.
    expect(app.get_auth(&format!("/api/v1/enrollment-applications/{aid}"), &ann).await, 200, "own").await;
    let approved = approve(&app, &ann, &aid, json!({})).await;
    assert!(approved["member_id"].is_string());
    assert_eq!(queue(&app, &ann).await, vec![aid.clone(), s(&dup, "id")], "still hers once approved");
}

async fn approval_never_links_a_customer_outside_the_scope(db: Db) {
    let app = TestApp::spawn(db).await;
    let (t, (_, ann), (_, bob)) = club(&app).await;
    let cid = bobs_customer(&app, &bob).await;
    let before = expect(app.get_auth(&format!("/api/v1/customers/{cid}"), &t).await, 200, "customer").await;
    let secrets = [cid.as_str(), "bob-c@example.com", "110101199003074514", "博的客户"];

    // The same phone as bob's customer.
    let a = apply(&app, &ann, json!({"channel": "onsite", "name": "同一人", "phone": phone(5)})).await;
    reveals_none(&a, &secrets);
    let aid = s(&a, "id");
    let path = format!("/api/v1/enrollment-applications/{aid}/approve");
    let p = problem(app.post_auth(&path, &ann, &json!({})).await, 409, "enrollment.customer_out_of_scope").await;
    reveals_none(&p, &secrets);
    // Naming bob's customer outright.
    let b = apply(&app, &ann, json!({"channel": "onsite", "name": "点名", "phone": phone(6)})).await;
    let bpath = format!("/api/v1/enrollment-applications/{}/approve", s(&b, "id"));
    let p = problem(
        app.post_auth(&bpath, &ann, &json!({"customer_id": cid})).await,
        409,
        "enrollment.customer_out_of_scope",
    )
    .await;
    reveals_none(&p, &secrets[1..]);
    // In bulk too.
    let r = expect(
        app.post_auth("/api/v1/enrollment-applications/bulk-approve", &ann, &json!({"ids": [aid]})).await,
        200,
        "bulk",
    )
    .await;
    assert_eq!(r["items"][0]["error"]["code"], "enrollment.customer_out_of_scope", "{r}");
    reveals_none(&r, &secrets);

    // Nothing was created or changed.
    assert_eq!(member_count(&app, &t).await, 0, "no member");
    assert_eq!(items(&app, &t, "/api/v1/customers?limit=500").await.len(), 1, "no customer");
    let after = expect(app.get_auth(&format!("/api/v1/customers/{cid}"), &t).await, 200, "customer").await;
    assert_eq!(after, before, "bob's customer is unchanged");
    for id in [&aid, &s(&b, "id")] {
        let got = expect(app.get_auth(&format!("/api/v1/enrollment-applications/{id}"), &ann).await, 200, "app").await;
        assert_eq!((got["status"].as_str(), got["customer_id"].as_str()), (Some("pending"), None));
    }

    // A tenant-wide reviewer links bob's customer; the application then belongs to bob as
    // well (his customer), and stays visible to ann (she submitted it).
    let done = approve(&app, &t, &aid, json!({})).await;
    assert_eq!(done["customer_id"].as_str(), Some(cid.as_str()));
    assert!(queue(&app, &bob).await.contains(&aid), "the customer's owner sees it");
    assert!(queue(&app, &ann).await.contains(&aid), "the submitter still sees it");
    // An application with a new person ann approves herself.
    let c = apply(&app, &ann, json!({"channel": "onsite", "name": "新人", "phone": phone(7)})).await;
    approve(&app, &ann, &s(&c, "id"), json!({})).await;
    assert_eq!(member_count(&app, &t).await, 2);
}

async fn a_prefill_from_a_customer_outside_the_scope_is_refused_like_a_missing_one(db: Db) {
    let app = TestApp::spawn(db).await;
    let (t, (_, ann), (_, bob)) = club(&app).await;
    let cid = bobs_customer(&app, &bob).await;
    let pushed = upsert_customer(
        &app,
        &t,
        "pos",
        json!({"external_id": "CUST-1", "name": "门店客户", "phone": phone(8), "email": "pos-c@example.com"}),
    )
    .await;
    let secrets = [cid.as_str(), pushed.as_str(), "bob-c@example.com", "pos-c@example.com", "110101199003074514"];

    let refused = |body: Value| {
        let app = &app;
        let ann = &ann;
        async move {
            let p =
                problem(app.post_auth("/api/v1/enrollment-applications", ann, &body).await, 422, "validation.failed")
                    .await;
            assert_eq!(p["errors"][0]["code"], "not_found", "{body} -> {p}");
            p
        }
    };
    let missing = refused(json!({"channel": "purchase", "customer_id": uuid::Uuid::now_v7()})).await;
    let by_id = refused(json!({"channel": "purchase", "customer_id": cid})).await;
    assert_eq!(by_id["errors"], missing["errors"], "refused exactly like a missing customer");
    reveals_none(&by_id, &secrets);
    let missing_key =
        refused(json!({"channel": "purchase", "customer": {"source": "pos", "external_id": "NOPE"}})).await;
    let by_key = refused(json!({"channel": "purchase", "customer": {"source": "pos", "external_id": "CUST-1"}})).await;
    assert_eq!(by_key["errors"], missing_key["errors"]);
    reveals_none(&by_key, &secrets);
    assert!(queue(&app, &t).await.is_empty(), "nothing was submitted");

    // A customer of her own she may prefill from; the application is then hers as the owner's.
    let mine = app
        .create("/api/v1/customers", &ann, json!({"name": "安的客户", "phone": phone(9), "email": "ann-c@example.com"}))
        .await;
    let a = apply(&app, &ann, json!({"channel": "purchase", "customer_id": s(&mine, "id")})).await;
    assert_eq!(
        (a["customer_id"].as_str(), a["email"].as_str()),
        (Some(s(&mine, "id").as_str()), Some("ann-c@example.com"))
    );
    // And the admin, tenant-wide, may prefill from anyone's.
    let b = apply(&app, &t, json!({"channel": "purchase", "customer_id": cid})).await;
    assert_eq!(b["email"], "bob-c@example.com");
    assert!(queue(&app, &bob).await.contains(&s(&b, "id")), "linked to bob's customer, so bob's too");

    // Merged into bob's customer, ann's application follows it to its new owner.
    let merge = json!({"duplicate_ids": [s(&mine, "id")]});
    expect(app.post_auth(&format!("/api/v1/customers/{cid}/merge"), &t, &merge).await, 200, "merge").await;
    assert!(queue(&app, &bob).await.contains(&s(&a, "id")), "the merged customer's application is bob's");
}
