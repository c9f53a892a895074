//! Membership enrollment: applications from every channel (onsite, online, purchase, import),
//! the automatic review and its findings, retry-safe submission, the review queue, approval
//! (member, card number, entry level, the existing customer linked, the outbox event), rejection,
//! auto-approval, bulk decisions and fixing an incomplete application.
//!
//! The small helpers at the top are shared with `membership_cards` and `membership_members`.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    applications_arrive_from_every_channel,
    retried_submissions_return_the_first_application,
    review_reports_findings_with_the_related_ids,
    the_review_queue_is_listed_and_filtered,
    approval_creates_a_member_with_card_number_and_entry_level,
    approval_links_an_existing_customer_instead_of_duplicating_it,
    rejection_needs_a_reason_and_is_final,
    clean_applications_from_auto_approve_channels_are_approved_at_once,
    bulk_decisions_report_every_item,
    an_incomplete_application_is_approved_once_fixed,
    imports_answer_each_item_and_retry_safely,
);

// ---------------------------------------------------------------------------------------------
// Helpers shared by the membership tests.

/// A string field of a JSON object.
pub(crate) fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {v}")).to_owned()
}

/// The body of a response that must have `status`.
pub(crate) async fn expect(res: reqwest::Response, status: u16, what: &str) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{what} -> {body}");
    body
}

/// GET a list and return its `items`.
pub(crate) async fn items(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let body = expect(app.get_auth(path, token).await, 200, path).await;
    body["items"].as_array().unwrap_or_else(|| panic!("items in {body}")).clone()
}

/// The `key` of every item of a list.
pub(crate) fn field_of(list: &[Value], key: &str) -> Vec<String> {
    list.iter().map(|i| s(i, key)).collect()
}

/// Digits only: compares phone numbers whatever their formatting.
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A valid, distinct mainland mobile number per `n`.
pub(crate) fn phone(n: u32) -> String {
    format!("139{n:08}")
}

/// Submits an application and expects 201.
pub(crate) async fn apply(app: &TestApp, token: &str, body: Value) -> Value {
    app.create("/api/v1/enrollment-applications", token, body).await
}

/// A clean onsite application.
pub(crate) async fn apply_onsite(app: &TestApp, token: &str, name: &str, phone: &str) -> Value {
    apply(app, token, json!({"channel": "onsite", "name": name, "phone": phone})).await
}

/// Approves and expects 200; returns the application.
pub(crate) async fn approve(app: &TestApp, token: &str, application_id: &str, body: Value) -> Value {
    let res = app.post_auth(&format!("/api/v1/enrollment-applications/{application_id}/approve"), token, &body).await;
    let a = expect(res, 200, &format!("approve {application_id} {body}")).await;
    assert_eq!(a["status"], "approved", "{a}");
    a
}

/// The member with this id (200 expected).
pub(crate) async fn member(app: &TestApp, token: &str, id: &str) -> Value {
    expect(app.get_auth(&format!("/api/v1/members/{id}"), token).await, 200, "get member").await
}

/// Applies onsite and approves; returns the member.
pub(crate) async fn enroll(app: &TestApp, token: &str, name: &str, phone: &str) -> Value {
    let a = apply_onsite(app, token, name, phone).await;
    let a = approve(app, token, &s(&a, "id"), json!({})).await;
    member(app, token, &s(&a, "member_id")).await
}

/// PATCHes the tenant settings and expects 200.
pub(crate) async fn set(app: &TestApp, token: &str, patch: Value) -> Value {
    expect(app.patch_auth("/api/v1/settings", token, &patch).await, 200, &format!("settings {patch}")).await
}

/// A member level's id.
pub(crate) async fn level(app: &TestApp, token: &str, name: &str, value: i64) -> String {
    let l = app
        .create(
            "/api/v1/member-levels",
            token,
            json!({"name": name, "level_value": value, "upgrade_points": value * 1000}),
        )
        .await;
    s(&l, "id")
}

/// The actions in an entity's audit log, newest first.
pub(crate) async fn audit_actions(app: &TestApp, token: &str, entity_type: &str, id: &str) -> Vec<String> {
    field_of(
        &items(app, token, &format!("/api/v1/audit-log?entity_type={entity_type}&entity_id={id}&limit=500")).await,
        "action",
    )
}

/// Outbox events of one type about one aggregate, newest first.
pub(crate) async fn outbox(app: &TestApp, token: &str, event_type: &str, aggregate_id: &str) -> Vec<Value> {
    items(app, token, &format!("/api/v1/outbox-events?event_type={event_type}&aggregate_id={aggregate_id}")).await
}

/// The signed-in user's id.
pub(crate) async fn my_id(app: &TestApp, token: &str) -> String {
    s(&expect(app.get_auth("/api/v1/me", token).await, 200, "me").await, "id")
}

/// How many customers the caller sees.
pub(crate) async fn customer_count(app: &TestApp, token: &str) -> usize {
    items(app, token, "/api/v1/customers?limit=500").await.len()
}

/// A review finding: `(code, field, application_id, member_id)`.
type Finding = (String, Option<String>, Option<String>, Option<String>);

/// Each review finding of an application, sorted.
fn findings(a: &Value) -> Vec<Finding> {
    let opt = |f: &Value, k: &str| f[k].as_str().map(str::to_owned);
    let mut v: Vec<_> = a["review"]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("findings in {a}"))
        .iter()
        .map(|f| (s(f, "code"), opt(f, "field"), opt(f, "application_id"), opt(f, "member_id")))
        .collect();
    v.sort();
    v
}

fn finding(code: &str, field: Option<&str>, app: Option<&str>, member: Option<&str>) -> Finding {
    (code.to_owned(), field.map(str::to_owned), app.map(str::to_owned), member.map(str::to_owned))
}

fn is_clean(a: &Value) -> bool {
    a["review"]["clean"].as_bool().unwrap_or_else(|| panic!("review.clean in {a}"))
}

async fn application(app: &TestApp, token: &str, id: &str) -> Value {
    expect(app.get_auth(&format!("/api/v1/enrollment-applications/{id}"), token).await, 200, "get application").await
}

async fn application_ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    field_of(&items(app, token, &format!("/api/v1/enrollment-applications?limit=500&{query}")).await, "id")
}

/// Upserts one customer from a sales system and returns its id.
pub(crate) async fn upsert_customer(app: &TestApp, token: &str, source: &str, item: Value) -> String {
    let res = app.post_auth("/api/v1/customers/batch-upsert", token, &json!({"source": source, "items": [item]})).await;
    let v = expect(res, 200, "batch-upsert").await;
    assert_eq!(v["items"][0]["status"], "created", "{v}");
    s(&v["items"][0], "id")
}

// ---------------------------------------------------------------------------------------------

async fn applications_arrive_from_every_channel(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;

    // Onsite, with every field.
    let onsite = apply(
        &app,
        &t,
        json!({"channel": "onsite", "name": "张伟", "phone": "138 1234 5678", "email": "ZW@Example.com",
               "gender": "male", "birthday": "1990-01-01", "id_number": "110101199001011234",
               "province": "上海市", "city": "上海市", "district": "浦东新区", "address": "世纪大道 100 号",
               "notes": "门店登记"}),
    )
    .await;
    assert_eq!((onsite["channel"].as_str(), onsite["status"].as_str()), (Some("onsite"), Some("pending")));
    assert!(digits(&s(&onsite, "phone")).ends_with("13812345678"), "{onsite}");
    assert_eq!(
        (onsite["name"].as_str(), onsite["email"].as_str(), onsite["gender"].as_str(), onsite["birthday"].as_str()),
        (Some("张伟"), Some("zw@example.com"), Some("male"), Some("1990-01-01"))
    );
    assert_eq!(onsite["id_number"], "110101199001011234", "the admin reads personal data");
    assert_eq!(
        (
            onsite["province"].as_str(),
            onsite["district"].as_str(),
            onsite["address"].as_str(),
            onsite["notes"].as_str()
        ),
        (Some("上海市"), Some("浦东新区"), Some("世纪大道 100 号"), Some("门店登记"))
    );
    assert!(is_clean(&onsite), "{onsite}");
    assert_eq!(onsite["review"]["findings"], json!([]));
    for k in ["member_id", "customer_id", "level_id", "decided_at", "decided_by", "decision_reason"] {
        assert_eq!(onsite[k], Value::Null, "{k} of a new application");
    }

    // Online, from a mini-program with its own key.
    let online = apply(
        &app,
        &t,
        json!({"channel": "online", "name": "李娜", "phone": "13900000002", "source": "wechat", "external_id": "wx-0002"}),
    )
    .await;
    assert_eq!(
        (online["channel"].as_str(), online["source"].as_str(), online["external_id"].as_str()),
        (Some("online"), Some("wechat"), Some("wx-0002"))
    );

    // Import, from a spreadsheet.
    let import = apply(&app, &t, json!({"channel": "import", "name": "王芳", "phone": "13900000003"})).await;
    assert_eq!(import["channel"], "import");

    // Purchase: names the customer the sales system pushed; what the application leaves out
    // comes from that customer.
    let buyer = upsert_customer(
        &app,
        &t,
        "pos",
        json!({"external_id": "CUST-9", "name": "赵敏", "phone": "13700000009", "email": "zm@example.com"}),
    )
    .await;
    let purchase = apply(
        &app,
        &t,
        json!({"channel": "purchase", "customer": {"source": "pos", "external_id": "CUST-9"},
               "source": "pos-orders", "external_id": "ORDER-1"}),
    )
    .await;
    assert_eq!(purchase["customer_id"].as_str(), Some(buyer.as_str()));
    assert_eq!((purchase["name"].as_str(), purchase["email"].as_str()), (Some("赵敏"), Some("zm@example.com")));
    assert!(digits(&s(&purchase, "phone")).ends_with("13700000009"), "{purchase}");
    // By customer id; a value the application gives wins over the customer's.
    let by_id = apply(&app, &t, json!({"channel": "purchase", "customer_id": buyer, "name": "赵敏敏"})).await;
    assert_eq!((by_id["customer_id"].as_str(), by_id["name"].as_str()), (Some(buyer.as_str()), Some("赵敏敏")));
    assert!(digits(&s(&by_id, "phone")).ends_with("13700000009"));

    // A purchase must name a customer that exists.
    let p = problem(
        app.post_auth("/api/v1/enrollment-applications", &t, &json!({"channel": "purchase", "name": "无名"})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/customer", "{p}");
    for unknown in [
        json!({"channel": "purchase", "customer": {"source": "pos", "external_id": "NOPE"}}),
        json!({"channel": "purchase", "customer": {"source": "other-pos", "external_id": "CUST-9"}}),
        json!({"channel": "purchase", "customer_id": uuid::Uuid::now_v7()}),
    ] {
        let p = problem(app.post_auth("/api/v1/enrollment-applications", &t, &unknown).await, 422, "validation.failed")
            .await;
        // The spec names `/customer`; for the `customer_id` form `/customer_id` is read as the same.
        let field = p["errors"][0]["field"].as_str().unwrap_or_default();
        let allowed: &[&str] =
            if unknown.get("customer_id").is_some() { &["/customer", "/customer_id"] } else { &["/customer"] };
        assert!(allowed.contains(&field), "{unknown} -> {p}");
        assert_eq!(p["errors"][0]["code"], "not_found", "{unknown} -> {p}");
    }

    // Malformed fields are 422 (but a bad phone is not: see the review test).
    for (body, field) in [
        (json!({"channel": "onsite", "name": "x", "phone": "13900000004", "email": "not-an-email"}), "/email"),
        (json!({"channel": "onsite", "name": "x", "phone": "13900000004", "gender": "robot"}), "/gender"),
        (json!({"channel": "onsite", "name": "x", "phone": "13900000004", "id_number": "!!"}), "/id_number"),
        (json!({"channel": "fax", "name": "x", "phone": "13900000004"}), "/channel"),
        (json!({"channel": "onsite", "name": "x", "tenant_id": uuid::Uuid::now_v7()}), "/tenant_id"),
    ] {
        let p =
            problem(app.post_auth("/api/v1/enrollment-applications", &t, &body).await, 422, "validation.failed").await;
        let fields: BTreeSet<&str> =
            p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(field), "{body} -> {p}");
    }

    // Everything that was accepted is in the queue, oldest first; nothing else is.
    let all = application_ids(&app, &t, "").await;
    assert_eq!(all, vec![s(&onsite, "id"), s(&online, "id"), s(&import, "id"), s(&purchase, "id"), s(&by_id, "id")]);
    let got = application(&app, &t, &s(&purchase, "id")).await;
    assert_eq!(got["id"], purchase["id"]);
    assert_eq!(got["channel"], "purchase");
    problem(
        app.get_auth(&format!("/api/v1/enrollment-applications/{}", uuid::Uuid::now_v7()), &t).await,
        404,
        "enrollment.not_found",
    )
    .await;
    // No customer and no member is made by submitting.
    assert_eq!(customer_count(&app, &t).await, 1, "only the pushed buyer");
    assert!(items(&app, &t, "/api/v1/members").await.is_empty());
}

async fn retried_submissions_return_the_first_application(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let body = json!({"channel": "online", "name": "李娜", "phone": "13900000002", "source": "wechat", "external_id": "wx-0002"});
    let first = apply(&app, &t, body.clone()).await;

    // The same source and external id: 200, the first application, nothing new.
    let res = app.post_auth("/api/v1/enrollment-applications", &t, &body).await;
    let again = expect(res, 200, "retry").await;
    assert_eq!(again["id"], first["id"]);
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(&s(v, "created_at")).unwrap().timestamp_micros();
    assert_eq!(at(&again), at(&first), "the same creation time");
    // Even when the retry carries other data, the first application answers, unchanged.
    let mut changed = body.clone();
    changed["name"] = json!("李娜娜");
    let again = expect(app.post_auth("/api/v1/enrollment-applications", &t, &changed).await, 200, "retry").await;
    assert_eq!((again["id"].clone(), again["name"].as_str()), (first["id"].clone(), Some("李娜")));
    assert_eq!(application_ids(&app, &t, "").await, vec![s(&first, "id")]);
    // The retry is not a duplicate of itself.
    assert!(is_clean(&first), "{first}");
    assert!(is_clean(&application(&app, &t, &s(&first, "id")).await));

    // Another external id, or the same one from another source, is another application.
    let other_id = apply(&app, &t, json!({"channel": "online", "name": "周杰", "phone": "13900000005", "source": "wechat", "external_id": "wx-0005"})).await;
    let other_source = apply(&app, &t, json!({"channel": "online", "name": "吴磊", "phone": "13900000006", "source": "alipay", "external_id": "wx-0002"})).await;
    assert_eq!(application_ids(&app, &t, "").await, vec![s(&first, "id"), s(&other_id, "id"), s(&other_source, "id")]);

    // A retry after approval still returns the application, now approved, and makes no second member.
    let approved = approve(&app, &t, &s(&first, "id"), json!({})).await;
    let again = expect(app.post_auth("/api/v1/enrollment-applications", &t, &body).await, 200, "retry").await;
    assert_eq!((again["id"].clone(), again["status"].as_str()), (first["id"].clone(), Some("approved")));
    assert_eq!(again["member_id"], approved["member_id"]);
    assert_eq!(items(&app, &t, "/api/v1/members").await.len(), 1);
    assert_eq!(application_ids(&app, &t, "").await.len(), 3);
}

async fn review_reports_findings_with_the_related_ids(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;

    // Required fields (name and phone by default).
    let no_phone = apply(&app, &t, json!({"channel": "onsite", "name": "缺电话"})).await;
    assert!(!is_clean(&no_phone));
    assert_eq!(findings(&no_phone), vec![finding("missing_field", Some("/phone"), None, None)]);
    let nothing = apply(&app, &t, json!({"channel": "import"})).await;
    assert_eq!(
        findings(&nothing),
        vec![finding("missing_field", Some("/name"), None, None), finding("missing_field", Some("/phone"), None, None)]
    );

    // A phone that does not parse is kept as given and reported.
    let bad_phone = apply(&app, &t, json!({"channel": "onsite", "name": "错号", "phone": "12345"})).await;
    assert_eq!(bad_phone["phone"], "12345", "kept as submitted");
    assert_eq!(findings(&bad_phone), vec![finding("invalid_phone", Some("/phone"), None, None)]);

    // A second pending application with the same phone, or the same id number.
    let first = apply(
        &app,
        &t,
        json!({"channel": "onsite", "name": "张伟", "phone": "13812345678", "id_number": "110101199001011234"}),
    )
    .await;
    assert!(is_clean(&first), "{first}");
    let fid = s(&first, "id");
    let same_phone = apply(&app, &t, json!({"channel": "online", "name": "张伟", "phone": "+86 138 1234 5678"})).await;
    assert_eq!(findings(&same_phone), vec![finding("duplicate_application", None, Some(&fid), None)]);
    let same_id_number = apply(
        &app,
        &t,
        json!({"channel": "import", "name": "张伟", "phone": "13812349999", "id_number": "110101199001011234"}),
    )
    .await;
    assert_eq!(findings(&same_id_number), vec![finding("duplicate_application", None, Some(&fid), None)]);

    // Once the first is approved: an active member with that phone, id number or customer.
    approve(&app, &t, &s(&same_phone, "id"), json!({})).await;
    expect(
        app.post_auth(
            &format!("/api/v1/enrollment-applications/{}/reject", s(&same_id_number, "id")),
            &t,
            &json!({"reason": "重复"}),
        )
        .await,
        200,
        "reject",
    )
    .await;
    // Now `first` is the only pending one with that phone; approving it fails: already enrolled.
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{fid}/approve"), &t, &json!({})).await,
        409,
        "member.already_enrolled",
    )
    .await;
    let m = s(&application(&app, &t, &s(&same_phone, "id")).await, "member_id");
    let customer = s(&member(&app, &t, &m).await, "customer_id");
    let by_phone = apply(&app, &t, json!({"channel": "onsite", "name": "张伟", "phone": "13812345678"})).await;
    let f = findings(&by_phone);
    assert!(f.contains(&finding("already_member", None, None, Some(&m))), "{f:?}");
    assert!(f.contains(&finding("duplicate_application", None, Some(&fid), None)), "the first is still pending: {f:?}");
    assert!(!is_clean(&by_phone));
    let by_customer = apply(&app, &t, json!({"channel": "purchase", "customer_id": customer})).await;
    assert!(findings(&by_customer).contains(&finding("already_member", None, None, Some(&m))), "{by_customer}");

    // A rejected or approved application is no longer a duplicate of anything.
    let r = expect(
        app.post_auth(&format!("/api/v1/enrollment-applications/{fid}/reject"), &t, &json!({"reason": "重复申请"}))
            .await,
        200,
        "reject",
    )
    .await;
    assert_eq!(r["status"], "rejected");
    let other = apply(
        &app,
        &t,
        json!({"channel": "onsite", "name": "张伟", "phone": "13812340000", "id_number": "110101199001011234"}),
    )
    .await;
    assert!(is_clean(&other), "the applications with that id number are decided: {other}");

    // The required fields follow the tenant's setting.
    set(&app, &t, json!({"enrollment_required_fields": ["name", "phone", "email"]})).await;
    let no_email = apply(&app, &t, json!({"channel": "onsite", "name": "无邮箱", "phone": "13800000001"})).await;
    assert_eq!(findings(&no_email), vec![finding("missing_field", Some("/email"), None, None)]);
    set(&app, &t, json!({"enrollment_required_fields": ["name"]})).await;
    let name_only = apply(&app, &t, json!({"channel": "onsite", "name": "只有名字"})).await;
    assert!(is_clean(&name_only), "{name_only}");
    let p = problem(
        app.patch_auth("/api/v1/settings", &t, &json!({"enrollment_required_fields": ["name", "shoe_size"]})).await,
        422,
        "validation.failed",
    )
    .await;
    assert!(p["errors"][0]["field"].as_str().unwrap().starts_with("/enrollment_required_fields"), "{p}");
}

async fn the_review_queue_is_listed_and_filtered(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let a = apply(
        &app,
        &t,
        json!({"channel": "onsite", "name": "张伟", "phone": "13812345678", "id_number": "110101199001011234"}),
    )
    .await;
    let b = apply(&app, &t, json!({"channel": "online", "name": "李娜", "phone": "13900000002"})).await;
    let c = apply(&app, &t, json!({"channel": "online", "name": "缺电话"})).await;
    let d = apply(&app, &t, json!({"channel": "import", "name": "王芳", "phone": "12345"})).await;
    let e = apply(&app, &t, json!({"channel": "import", "name": "李娜", "phone": "13900000002"})).await;
    let f = apply(&app, &t, json!({"channel": "onsite", "name": "赵敏", "phone": "13700000009"})).await;
    let [a, b, c, d, e, f] = [&a, &b, &c, &d, &e, &f].map(|x| s(x, "id"));
    approve(&app, &t, &a, json!({})).await;
    expect(
        app.post_auth(&format!("/api/v1/enrollment-applications/{f}/reject"), &t, &json!({"reason": "测试"})).await,
        200,
        "reject",
    )
    .await;

    assert_eq!(
        application_ids(&app, &t, "").await,
        vec![a.clone(), b.clone(), c.clone(), d.clone(), e.clone(), f.clone()],
        "oldest first"
    );
    assert_eq!(application_ids(&app, &t, "status=pending").await, vec![b.clone(), c.clone(), d.clone(), e.clone()]);
    assert_eq!(application_ids(&app, &t, "status=approved").await, vec![a.clone()]);
    assert_eq!(application_ids(&app, &t, "status=rejected").await, vec![f.clone()]);
    assert_eq!(application_ids(&app, &t, "channel=online").await, vec![b.clone(), c.clone()]);
    assert_eq!(application_ids(&app, &t, "channel=import&status=pending").await, vec![d.clone(), e.clone()]);
    assert_eq!(application_ids(&app, &t, "finding=missing_field").await, vec![c.clone()]);
    assert_eq!(application_ids(&app, &t, "finding=invalid_phone").await, vec![d.clone()]);
    assert_eq!(application_ids(&app, &t, "finding=duplicate_application").await, vec![e.clone()]);
    assert_eq!(application_ids(&app, &t, "clean=false").await, vec![c.clone(), d.clone(), e.clone()]);
    assert_eq!(application_ids(&app, &t, "clean=true").await, vec![a.clone(), b.clone(), f.clone()]);
    assert_eq!(application_ids(&app, &t, "clean=true&status=pending").await, vec![b.clone()]);
    assert_eq!(application_ids(&app, &t, &format!("q={}", enc("李娜"))).await, vec![b.clone(), e.clone()]);
    assert_eq!(application_ids(&app, &t, "q=13900000002").await, vec![b.clone(), e.clone()]);
    assert_eq!(application_ids(&app, &t, &format!("q={}", enc("赵敏"))).await, vec![f.clone()]);
    assert!(application_ids(&app, &t, &format!("q={}", enc("不存在"))).await.is_empty());

    // Paging visits each application once, in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page =
            expect(app.get_auth(&format!("/api/v1/enrollment-applications?limit=4{q}"), &t).await, 200, "page").await;
        paged.extend(field_of(page["items"].as_array().unwrap(), "id"));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, vec![a.clone(), b.clone(), c, d, e, f]);

    // Reading the queue takes enrollment:read; the id number is masked without customers:read_pii.
    let reader = app.position(&t, "Enrollment clerk", "all", &["enrollment:read"]).await;
    let (_, rt) = app.user_with(&t, "clerk", None, &[&reader]).await;
    let got = application(&app, &rt, &a).await;
    assert_eq!(got["id_number"], "1101**********1234", "{got}");
    let list = items(&app, &rt, "/api/v1/enrollment-applications").await;
    assert!(!Value::Array(list).to_string().contains("110101199001011234"), "masked in lists");
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{b}/approve"), &rt, &json!({})).await,
        403,
        "permission.denied",
    )
    .await;
    let (_, nobody) = app.user_with(&t, "nobody", None, &[]).await;
    problem(app.get_auth("/api/v1/enrollment-applications", &nobody).await, 403, "permission.denied").await;
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

async fn approval_creates_a_member_with_card_number_and_entry_level(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let admin_id = my_id(&app, &t).await;
    set(&app, &t, json!({"card_prefix": "VIP", "card_serial_width": 6})).await;
    let gold = level(&app, &t, "金卡", 2).await;
    let entry = level(&app, &t, "普卡", 0).await;
    level(&app, &t, "钻石卡", 5).await;

    let a = apply(
        &app,
        &t,
        json!({"channel": "online", "name": "张伟", "phone": "13812345678", "email": "zw@example.com", "gender": "male",
               "birthday": "1990-01-01", "source": "wechat", "external_id": "wx-1"}),
    )
    .await;
    let aid = s(&a, "id");
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let approved = approve(&app, &t, &aid, json!({"reason": "资料齐全"})).await;
    assert_eq!(approved["id"], a["id"]);
    assert_eq!(approved["decided_by"].as_str(), Some(admin_id.as_str()));
    assert!(approved["decided_at"].is_string(), "{approved}");
    assert_eq!(approved["level_id"].as_str(), Some(entry.as_str()));
    let mid = s(&approved, "member_id");
    let cid = s(&approved, "customer_id");

    // The member: active, joined now, the channel and application, a card number, the entry level.
    let m = member(&app, &t, &mid).await;
    assert_eq!((m["id"].as_str(), m["customer_id"].as_str()), (Some(mid.as_str()), Some(cid.as_str())));
    assert_eq!((m["status"].as_str(), m["channel"].as_str()), (Some("active"), Some("online")));
    assert_eq!(m["application_id"].as_str(), Some(aid.as_str()));
    assert_eq!(m["card_no"], "VIP000001");
    assert_eq!(m["level"], json!({"id": entry, "name": "普卡", "level_value": 0}));
    let joined = chrono::DateTime::parse_from_rfc3339(&s(&m, "joined_at")).unwrap();
    assert!(joined >= before && joined <= chrono::Utc::now() + chrono::Duration::seconds(5), "joined_at {joined}");
    assert_eq!((m["cancelled_at"].clone(), m["cancel_reason"].clone()), (Value::Null, Value::Null));
    assert_eq!((m["name"].as_str(), m["phone"].as_str()), (Some("张伟"), Some("+8613812345678")));
    assert_eq!(
        (m["email"].as_str(), m["gender"].as_str(), m["birthday"].as_str()),
        (Some("zw@example.com"), Some("male"), Some("1990-01-01"))
    );

    // A customer was made from the application.
    let c = expect(app.get_auth(&format!("/api/v1/customers/{cid}"), &t).await, 200, "customer").await;
    assert_eq!((c["name"].as_str(), c["phone"].as_str()), (Some("张伟"), Some("+8613812345678")));

    // The level change is recorded with its source.
    let h = items(&app, &t, &format!("/api/v1/members/{mid}/level-history")).await;
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!((h[0]["from_level_id"].clone(), h[0]["to_level_id"].as_str()), (Value::Null, Some(entry.as_str())));
    assert_eq!(h[0]["source"], "enrollment");

    // `member.enrolled` waits in the outbox.
    let events = outbox(&app, &t, "member.enrolled", &mid).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0]["event_type"].as_str(), events[0]["aggregate_type"].as_str(), events[0]["aggregate_id"].as_str()),
        (Some("member.enrolled"), Some("member"), Some(mid.as_str()))
    );
    assert_eq!(events[0]["status"], "pending");
    assert!(events[0]["payload"].to_string().contains(&mid), "the payload names the member: {}", events[0]["payload"]);
    let all = items(&app, &t, "/api/v1/outbox-events?event_type=member.enrolled").await;
    assert_eq!(all.len(), 1);
    // And the enrollment is audited on the member.
    assert!(!audit_actions(&app, &t, "member", &mid).await.is_empty(), "approval is audited");

    // Approving twice: 409, nothing new.
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{aid}/approve"), &t, &json!({})).await,
        409,
        "enrollment.not_pending",
    )
    .await;
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{}/approve", uuid::Uuid::now_v7()), &t, &json!({}))
            .await,
        404,
        "enrollment.not_found",
    )
    .await;

    // Approval may name the level; the next card number follows.
    let b = apply_onsite(&app, &t, "李娜", "13900000002").await;
    let b = approve(&app, &t, &s(&b, "id"), json!({"level_id": gold})).await;
    let mb = member(&app, &t, &s(&b, "member_id")).await;
    assert_eq!(mb["level"], json!({"id": gold, "name": "金卡", "level_value": 2}));
    assert_eq!(mb["card_no"], "VIP000002");
    assert_eq!(mb["channel"], "onsite");
    let members = items(&app, &t, "/api/v1/members").await;
    let mut ids = field_of(&members, "id");
    ids.sort();
    let mut want = vec![mid, s(&mb, "id")];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(items(&app, &t, "/api/v1/outbox-events?event_type=member.enrolled").await.len(), 2);
}

async fn approval_links_an_existing_customer_instead_of_duplicating_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let existing =
        app.create("/api/v1/customers", &t, json!({"name": "老客户", "phone": "13900000001", "city": "杭州"})).await;
    let by_id_number =
        app.create("/api/v1/customers", &t, json!({"name": "证件客户", "id_number": "330102198001011111"})).await;
    assert_eq!(customer_count(&app, &t).await, 2);

    // Same phone (written differently): the existing customer becomes the member.
    let a = apply(&app, &t, json!({"channel": "onsite", "name": "老客户", "phone": "139 0000 0001"})).await;
    let a = approve(&app, &t, &s(&a, "id"), json!({})).await;
    assert_eq!(a["customer_id"], existing["id"]);
    let m = member(&app, &t, &s(&a, "member_id")).await;
    assert_eq!(m["customer_id"], existing["id"]);
    assert_eq!(m["level"], Value::Null, "no level is defined");
    assert_eq!(customer_count(&app, &t).await, 2, "no duplicate customer");
    let c = expect(app.get_auth(&format!("/api/v1/customers/{}", s(&existing, "id")), &t).await, 200, "customer").await;
    assert_eq!(c["city"], "杭州", "the existing record is kept");

    // Same id number.
    let b = apply(
        &app,
        &t,
        json!({"channel": "import", "name": "证件客户", "phone": "13900000002", "id_number": "330102198001011111"}),
    )
    .await;
    let b = approve(&app, &t, &s(&b, "id"), json!({})).await;
    assert_eq!(b["customer_id"], by_id_number["id"]);
    assert_eq!(customer_count(&app, &t).await, 2);

    // Nobody matches: a customer is created.
    let n = apply_onsite(&app, &t, "新客户", "13900000003").await;
    let n = approve(&app, &t, &s(&n, "id"), json!({})).await;
    assert!(n["customer_id"] != existing["id"] && n["customer_id"] != by_id_number["id"]);
    assert_eq!(customer_count(&app, &t).await, 3);

    // The customer of a purchase application is the one linked.
    let pushed =
        upsert_customer(&app, &t, "pos", json!({"external_id": "C-7", "name": "购物客", "phone": "13700000007"})).await;
    let p = apply(&app, &t, json!({"channel": "purchase", "customer": {"source": "pos", "external_id": "C-7"}})).await;
    let p = approve(&app, &t, &s(&p, "id"), json!({})).await;
    assert_eq!(p["customer_id"].as_str(), Some(pushed.as_str()));
    assert_eq!(customer_count(&app, &t).await, 4);

    // Two customers share a phone: approval refuses to guess until told which.
    let twin1 = app.create("/api/v1/customers", &t, json!({"name": "双胞胎甲", "phone": "13600000006"})).await;
    let twin2 = app.create("/api/v1/customers", &t, json!({"name": "双胞胎乙", "phone": "13600000006"})).await;
    let amb = apply_onsite(&app, &t, "双胞胎", "13600000006").await;
    let aid = s(&amb, "id");
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{aid}/approve"), &t, &json!({})).await,
        409,
        "enrollment.customer_ambiguous",
    )
    .await;
    assert_eq!(application(&app, &t, &aid).await["status"], "pending", "nothing changed");
    let amb = approve(&app, &t, &aid, json!({"customer_id": twin2["id"]})).await;
    assert_eq!(amb["customer_id"], twin2["id"]);
    assert_ne!(amb["customer_id"], twin1["id"]);
    assert_eq!(customer_count(&app, &t).await, 6);

    // One membership per customer: another application for the same person cannot be approved.
    let again = apply(&app, &t, json!({"channel": "online", "name": "老客户", "phone": "13900000001"})).await;
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{}/approve", s(&again, "id")), &t, &json!({})).await,
        409,
        "member.already_enrolled",
    )
    .await;
    assert_eq!(items(&app, &t, "/api/v1/members").await.len(), 5);
    assert_eq!(customer_count(&app, &t).await, 6);
}

async fn rejection_needs_a_reason_and_is_final(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let admin_id = my_id(&app, &t).await;
    let a = apply_onsite(&app, &t, "张伟", "13812345678").await;
    let aid = s(&a, "id");
    let url = format!("/api/v1/enrollment-applications/{aid}/reject");
    for body in [json!({}), json!({"reason": ""}), json!({"reason": "x".repeat(501)})] {
        let p = problem(app.post_auth(&url, &t, &body).await, 422, "validation.failed").await;
        assert_eq!(p["errors"][0]["field"], "/reason", "{body}");
    }
    let r = expect(app.post_auth(&url, &t, &json!({"reason": "信息不实"})).await, 200, "reject").await;
    assert_eq!((r["status"].as_str(), r["decision_reason"].as_str()), (Some("rejected"), Some("信息不实")));
    assert_eq!(r["decided_by"].as_str(), Some(admin_id.as_str()));
    assert!(r["decided_at"].is_string());
    assert_eq!((r["member_id"].clone(), r["customer_id"].clone()), (Value::Null, Value::Null));
    let got = application(&app, &t, &aid).await;
    assert_eq!((got["status"].as_str(), got["decision_reason"].as_str()), (Some("rejected"), Some("信息不实")));

    // Decided is decided.
    problem(app.post_auth(&url, &t, &json!({"reason": "again"})).await, 409, "enrollment.not_pending").await;
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{aid}/approve"), &t, &json!({})).await,
        409,
        "enrollment.not_pending",
    )
    .await;
    problem(
        app.patch_auth(&format!("/api/v1/enrollment-applications/{aid}"), &t, &json!({"name": "改名"})).await,
        409,
        "enrollment.not_pending",
    )
    .await;
    assert!(items(&app, &t, "/api/v1/members").await.is_empty());
    assert_eq!(customer_count(&app, &t).await, 0);
    assert!(
        items(&app, &t, "/api/v1/outbox-events?event_type=member.enrolled").await.is_empty(),
        "a rejection enrolls nobody"
    );
    // Rejecting takes enrollment:review.
    let b = apply_onsite(&app, &t, "李娜", "13900000002").await;
    let clerk = app.position(&t, "Clerk", "all", &["enrollment:read", "enrollment:submit"]).await;
    let (_, ct) = app.user_with(&t, "clerk", None, &[&clerk]).await;
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{}/reject", s(&b, "id")), &ct, &json!({"reason": "x"}))
            .await,
        403,
        "permission.denied",
    )
    .await;
    // But a clerk may submit.
    apply_onsite(&app, &ct, "王芳", "13900000003").await;
}

async fn clean_applications_from_auto_approve_channels_are_approved_at_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let entry = level(&app, &t, "普卡", 0).await;
    let s0 = expect(app.get_auth("/api/v1/settings", &t).await, 200, "settings").await;
    assert_eq!(s0["enrollment_auto_approve_channels"], json!([]));
    assert_eq!(s0["enrollment_required_fields"], json!(["name", "phone"]));

    // Off by default.
    let before = apply(&app, &t, json!({"channel": "online", "name": "早到", "phone": "13900000001"})).await;
    assert_eq!(before["status"], "pending");

    let s1 = set(&app, &t, json!({"enrollment_auto_approve_channels": ["online", "purchase"]})).await;
    assert_eq!(s1["enrollment_auto_approve_channels"], json!(["online", "purchase"]));
    let auto = apply(&app, &t, json!({"channel": "online", "name": "自动", "phone": "13900000002"})).await;
    assert_eq!(auto["status"], "approved", "{auto}");
    let mid = s(&auto, "member_id");
    let m = member(&app, &t, &mid).await;
    assert_eq!((m["status"].as_str(), m["channel"].as_str()), (Some("active"), Some("online")));
    assert_eq!(m["application_id"], auto["id"]);
    assert_eq!(m["level"]["id"].as_str(), Some(entry.as_str()));
    assert!(m["card_no"].as_str().is_some_and(|c| !c.is_empty()), "{m}");
    assert_eq!(outbox(&app, &t, "member.enrolled", &mid).await.len(), 1);

    // Not clean, or another channel: waits for review.
    let dirty = apply(&app, &t, json!({"channel": "online", "name": "坏号", "phone": "12345"})).await;
    assert_eq!((dirty["status"].as_str(), dirty["member_id"].clone()), (Some("pending"), Value::Null));
    let dup = apply(&app, &t, json!({"channel": "online", "name": "早到", "phone": "13900000001"})).await;
    assert_eq!(dup["status"], "pending", "a duplicate application is not clean");
    let onsite = apply_onsite(&app, &t, "门店", "13900000003").await;
    assert_eq!(onsite["status"], "pending");
    let already = apply(&app, &t, json!({"channel": "online", "name": "自动", "phone": "13900000002"})).await;
    assert_eq!(already["status"], "pending", "already a member");
    assert!(findings(&already).contains(&finding("already_member", None, None, Some(&mid))));
    assert_eq!(items(&app, &t, "/api/v1/members").await.len(), 1);

    // Back off with null.
    set(&app, &t, json!({"enrollment_auto_approve_channels": null})).await;
    let later = apply(&app, &t, json!({"channel": "online", "name": "晚到", "phone": "13900000004"})).await;
    assert_eq!(later["status"], "pending");
    let p = problem(
        app.patch_auth("/api/v1/settings", &t, &json!({"enrollment_auto_approve_channels": ["carrier-pigeon"]})).await,
        422,
        "validation.failed",
    )
    .await;
    assert!(p["errors"][0]["field"].as_str().unwrap().starts_with("/enrollment_auto_approve_channels"), "{p}");
}

/// `(code, status)` of a failed bulk item.
fn error(item: &Value) -> (String, i64) {
    assert_eq!(item["status"], "failed", "{item}");
    (s(&item["error"], "code"), item["error"]["status"].as_i64().unwrap_or_else(|| panic!("error.status in {item}")))
}

async fn bulk_decisions_report_every_item(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let entry = level(&app, &t, "普卡", 0).await;
    let silver = level(&app, &t, "银卡", 1).await;
    let a = s(&apply_onsite(&app, &t, "甲", "13900000001").await, "id");
    let b = s(&apply_onsite(&app, &t, "乙", "13900000002").await, "id");
    let c = s(&apply_onsite(&app, &t, "丙", "13900000003").await, "id");
    let d = s(&apply_onsite(&app, &t, "丁", "13900000004").await, "id");
    let e = s(&apply_onsite(&app, &t, "戊", "13900000005").await, "id");
    let incomplete = s(&apply(&app, &t, json!({"channel": "onsite", "name": "己"})).await, "id");
    expect(
        app.post_auth(&format!("/api/v1/enrollment-applications/{c}/reject"), &t, &json!({"reason": "已拒"})).await,
        200,
        "reject",
    )
    .await;
    let missing = uuid::Uuid::now_v7().to_string();

    let res = app
        .post_auth(
            "/api/v1/enrollment-applications/bulk-approve",
            &t,
            &json!({"ids": [a, missing, b, c, incomplete], "level_id": silver, "reason": "批量通过"}),
        )
        .await;
    let r = expect(res, 200, "bulk-approve").await;
    let r = r["items"].as_array().unwrap();
    assert_eq!(r.len(), 5);
    let idx: Vec<i64> = r.iter().map(|i| i["index"].as_i64().unwrap()).collect();
    assert_eq!(idx, vec![0, 1, 2, 3, 4]);
    let st: Vec<&str> = r.iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(st, vec!["approved", "failed", "approved", "failed", "failed"]);
    assert_eq!(
        (r[0]["id"].as_str(), r[1]["id"].as_str(), r[3]["id"].as_str()),
        (Some(a.as_str()), Some(missing.as_str()), Some(c.as_str()))
    );
    assert_eq!(error(&r[1]), ("enrollment.not_found".to_owned(), 404));
    assert_eq!(error(&r[3]), ("enrollment.not_pending".to_owned(), 409));
    assert_eq!(error(&r[4]), ("enrollment.incomplete".to_owned(), 409));
    assert!(r[1].get("member_id").is_none_or(Value::is_null), "{}", r[1]);
    let mut cards = BTreeSet::new();
    for (i, appl) in [(0, &a), (2, &b)] {
        let m = member(&app, &t, &s(&r[i], "member_id")).await;
        assert_eq!(m["card_no"], r[i]["card_no"], "the item carries the member's card");
        assert_eq!(m["level"]["id"].as_str(), Some(silver.as_str()), "the named level, not the entry one ({entry})");
        assert_eq!(m["application_id"].as_str(), Some(appl.as_str()));
        cards.insert(s(&m, "card_no"));
        let got = application(&app, &t, appl).await;
        assert_eq!((got["status"].as_str(), got["member_id"].clone()), (Some("approved"), r[i]["member_id"].clone()));
    }
    assert_eq!(cards.len(), 2, "distinct card numbers");
    assert_eq!(application(&app, &t, &incomplete).await["status"], "pending");
    assert_eq!(items(&app, &t, "/api/v1/members").await.len(), 2);

    let res = app
        .post_auth(
            "/api/v1/enrollment-applications/bulk-reject",
            &t,
            &json!({"ids": [d, missing, a, e], "reason": "名额已满"}),
        )
        .await;
    let r = expect(res, 200, "bulk-reject").await;
    let r = r["items"].as_array().unwrap();
    let st: Vec<&str> = r.iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(st, vec!["rejected", "failed", "failed", "rejected"]);
    assert_eq!(error(&r[1]), ("enrollment.not_found".to_owned(), 404));
    assert_eq!(error(&r[2]), ("enrollment.not_pending".to_owned(), 409));
    for id in [&d, &e] {
        let got = application(&app, &t, id).await;
        assert_eq!((got["status"].as_str(), got["decision_reason"].as_str()), (Some("rejected"), Some("名额已满")));
    }
    assert_eq!(application(&app, &t, &a).await["status"], "approved", "an approved one stays approved");

    // The list sizes are bounded and a reason is needed to reject.
    problem(
        app.post_auth("/api/v1/enrollment-applications/bulk-approve", &t, &json!({"ids": []})).await,
        422,
        "validation.failed",
    )
    .await;
    let many: Vec<String> = (0..1001).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    problem(
        app.post_auth("/api/v1/enrollment-applications/bulk-approve", &t, &json!({"ids": many})).await,
        422,
        "validation.failed",
    )
    .await;
    let p = problem(
        app.post_auth("/api/v1/enrollment-applications/bulk-reject", &t, &json!({"ids": [incomplete]})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/reason");
}

async fn an_incomplete_application_is_approved_once_fixed(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let a = apply(&app, &t, json!({"channel": "import", "name": "缺电话", "email": "a@example.com"})).await;
    let aid = s(&a, "id");
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{aid}/approve"), &t, &json!({})).await,
        409,
        "enrollment.incomplete",
    )
    .await;
    assert_eq!(application(&app, &t, &aid).await["status"], "pending");
    assert!(items(&app, &t, "/api/v1/members").await.is_empty());
    assert_eq!(customer_count(&app, &t).await, 0, "nothing made by a refused approval");

    // A bad phone is also incomplete.
    let res = app.patch_auth(&format!("/api/v1/enrollment-applications/{aid}"), &t, &json!({"phone": "12345"})).await;
    let fixed_wrong = expect(res, 200, "patch").await;
    assert_eq!(findings(&fixed_wrong), vec![finding("invalid_phone", Some("/phone"), None, None)]);
    problem(
        app.post_auth(&format!("/api/v1/enrollment-applications/{aid}/approve"), &t, &json!({})).await,
        409,
        "enrollment.incomplete",
    )
    .await;

    // PATCH with the ETag fixes it; the review is redone; the rest stays.
    let res = app.get_auth(&format!("/api/v1/enrollment-applications/{aid}"), &t).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .http
        .patch(app.url(&format!("/api/v1/enrollment-applications/{aid}")))
        .bearer_auth(&t)
        .header("if-match", &etag)
        .json(&json!({"phone": "13812345678", "city": "苏州"}))
        .send()
        .await
        .unwrap();
    let fixed = expect(res, 200, "patch").await;
    assert!(is_clean(&fixed), "{fixed}");
    assert_eq!(fixed["review"]["findings"], json!([]));
    assert!(digits(&s(&fixed, "phone")).ends_with("13812345678"));
    assert_eq!(
        (fixed["email"].as_str(), fixed["city"].as_str(), fixed["channel"].as_str()),
        (Some("a@example.com"), Some("苏州"), Some("import"))
    );
    let stale = app
        .http
        .patch(app.url(&format!("/api/v1/enrollment-applications/{aid}")))
        .bearer_auth(&t)
        .header("if-match", &etag)
        .json(&json!({"city": "无锡"}))
        .send()
        .await
        .unwrap();
    problem(stale, 412, "resource.precondition_failed").await;
    // Channel and keys cannot be changed.
    let p = problem(
        app.patch_auth(&format!("/api/v1/enrollment-applications/{aid}"), &t, &json!({"channel": "online"})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/channel");

    let approved = approve(&app, &t, &aid, json!({})).await;
    let m = member(&app, &t, &s(&approved, "member_id")).await;
    assert_eq!(
        (m["name"].as_str(), m["phone"].as_str(), m["channel"].as_str()),
        (Some("缺电话"), Some("+8613812345678"), Some("import"))
    );
    problem(
        app.patch_auth(&format!("/api/v1/enrollment-applications/{aid}"), &t, &json!({"city": "无锡"})).await,
        409,
        "enrollment.not_pending",
    )
    .await;
}

async fn imports_answer_each_item_and_retry_safely(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let batch = json!({"items": [
        {"name": "李雷", "phone": phone(1), "source": "excel-2026-12", "external_id": "row-2"},
        {"name": "韩梅梅", "phone": phone(2), "email": "not-an-email"},
        {"name": 42},
        {"channel": "online", "name": "王芳", "phone": "12"},
    ]});
    let res = app.post_auth("/api/v1/enrollment-applications/batch", &t, &batch).await;
    let body = expect(res, 200, "import").await;
    let results = body["items"].as_array().unwrap();
    let summary: Vec<(u64, &str)> =
        results.iter().map(|i| (i["index"].as_u64().unwrap(), i["status"].as_str().unwrap())).collect();
    assert_eq!(summary, vec![(0, "created"), (1, "failed"), (2, "failed"), (3, "created")]);
    // The channel is `import` unless the item names another; findings are reviewed per item.
    assert_eq!(results[0]["application"]["channel"], "import");
    assert_eq!(results[0]["application"]["review"]["clean"], true);
    assert_eq!(results[3]["application"]["channel"], "online");
    assert_eq!(results[3]["application"]["review"]["findings"][0]["code"], "invalid_phone");
    // Errors name the item's field.
    assert_eq!(results[1]["error"]["errors"][0]["field"], "/items/1/email", "{body}");
    assert_eq!(results[2]["error"]["errors"][0]["field"], "/items/2/name", "{body}");
    let first = s(&results[0]["application"], "id");

    // Sending the same import again creates nothing new for the keyed row.
    let res = app.post_auth("/api/v1/enrollment-applications/batch", &t, &json!({"items": [batch["items"][0]]})).await;
    let again = expect(res, 200, "import again").await;
    assert_eq!(again["items"][0]["status"], "replayed");
    assert_eq!(again["items"][0]["application"]["id"].as_str(), Some(first.as_str()));
    let queue = items(&app, &t, "/api/v1/enrollment-applications?limit=500").await;
    assert_eq!(queue.len(), 2, "two applications were created in all");
    problem(
        app.post_auth("/api/v1/enrollment-applications/batch", &t, &json!({"items": []})).await,
        422,
        "validation.failed",
    )
    .await;
}
