//! Members: reading, listing and filtering, look-ups, profile changes with If-Match, the card
//! life cycle (lost, found, replaced, cancelled) with its audit trail and events, member levels,
//! manual level changes and their history, external identities per tenant, data scope and
//! masking.

use crate::helpers::{Db, TestApp, problem};
use crate::membership_enrollment::{
    apply, approve, audit_actions, enroll, expect, field_of, items, level, member, my_id, outbox, phone, s, set,
};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    members_are_listed_and_filtered,
    members_are_looked_up_by_phone_card_number_and_identity,
    profile_changes_need_a_fresh_etag_and_reach_the_customer,
    card_state_changes_are_checked_audited_and_published,
    member_levels_are_managed_with_their_conflicts,
    manual_level_changes_single_and_bulk_are_recorded,
    external_identities_are_unique_per_tenant_and_source,
    self_scoped_users_see_only_members_of_their_customers,
    member_phones_are_masked_without_read_pii,
    customers_are_found_by_card_number,
    list_parameters_are_checked_by_name_and_value,
);

fn id(v: &Value) -> String {
    s(v, "id")
}

fn set_of(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

fn one(id: &str) -> BTreeSet<String> {
    BTreeSet::from([id.to_owned()])
}

fn ids_of(members: &[&Value]) -> BTreeSet<String> {
    members.iter().map(|m| id(m)).collect()
}

/// The ids of the members a query lists.
async fn listed(app: &TestApp, token: &str, query: &str) -> BTreeSet<String> {
    set_of(&field_of(&items(app, token, &format!("/api/v1/members?limit=500&{query}")).await, "id"))
}

/// A card action on a member; returns the raw response.
async fn act(app: &TestApp, token: &str, member_id: &str, action: &str, body: Value) -> reqwest::Response {
    app.post_auth(&format!("/api/v1/members/{member_id}/{action}"), token, &body).await
}

/// A card action that must succeed; returns the member.
async fn act_ok(app: &TestApp, token: &str, member_id: &str, action: &str, body: Value) -> Value {
    expect(act(app, token, member_id, action, body).await, 200, action).await
}

async fn lookup(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.get_auth(&format!("/api/v1/members/lookup?{query}"), token).await
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// A JSON object without its `created_at` / `updated_at`.
fn without_times(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("created_at");
        o.remove("updated_at");
    }
    v
}

/// A timestamp field to the microsecond (what both databases store).
fn micros(v: &Value, key: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&s(v, key)).unwrap_or_else(|e| panic!("{key} in {v}: {e}")).timestamp_micros()
}

fn date(days_from_today: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days_from_today)).format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------------------------------------

async fn members_are_listed_and_filtered(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    set(&app, &t, json!({"card_prefix": "VIP", "card_serial_width": 4})).await;
    let normal = level(&app, &t, "普卡", 0).await;
    let gold = level(&app, &t, "金卡", 2).await;
    let sales = app.position(&t, "Sales", "self", &["customers:read", "customers:write"]).await;
    let (ann_id, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let ann_customer = app.create("/api/v1/customers", &ann, json!({"name": "安客户", "phone": phone(10)})).await;

    let m1 = enroll(&app, &t, "张伟", "13812345678").await;
    let a2 = apply(&app, &t, json!({"channel": "online", "name": "李娜", "phone": phone(2)})).await;
    let m2 = member(&app, &t, &s(&approve(&app, &t, &id(&a2), json!({"level_id": gold})).await, "member_id")).await;
    let a3 = apply(&app, &t, json!({"channel": "import", "name": "王芳", "phone": phone(3)})).await;
    let m3 = member(&app, &t, &s(&approve(&app, &t, &id(&a3), json!({})).await, "member_id")).await;
    let m4 = enroll(&app, &t, "安客户", &phone(10)).await;
    assert_eq!(m4["customer_id"], ann_customer["id"]);
    assert_eq!(
        [&m1, &m2, &m3, &m4].map(|m| s(m, "card_no")),
        ["VIP0001", "VIP0002", "VIP0003", "VIP0004"].map(str::to_owned)
    );
    let tag = app.create("/api/v1/tags", &t, json!({"name": "高净值", "category": "attribute"})).await;
    let res = app
        .patch_auth(&format!("/api/v1/customers/{}", s(&m1, "customer_id")), &t, &json!({"tag_ids": [id(&tag)]}))
        .await;
    assert_eq!(res.status(), 200);

    // One member, read back with an ETag.
    let res = app.get_auth(&format!("/api/v1/members/{}", id(&m1)), &t).await;
    assert!(res.headers().get("etag").is_some(), "members carry an ETag");
    let got: Value = res.json().await.unwrap();
    assert_eq!(
        (got["name"].as_str(), got["card_no"].as_str(), got["status"].as_str()),
        (Some("张伟"), Some("VIP0001"), Some("active"))
    );
    assert_eq!(got["identities"], json!([]));
    problem(app.get_auth(&format!("/api/v1/members/{}", uuid::Uuid::now_v7()), &t).await, 404, "member.not_found")
        .await;

    let all = ids_of(&[&m1, &m2, &m3, &m4]);
    assert_eq!(listed(&app, &t, "").await, all);
    assert_eq!(listed(&app, &t, &format!("level_id={gold}")).await, ids_of(&[&m2]));
    assert_eq!(listed(&app, &t, &format!("level_id={normal}")).await, ids_of(&[&m1, &m3, &m4]));
    assert_eq!(listed(&app, &t, "channel=online").await, ids_of(&[&m2]));
    assert_eq!(listed(&app, &t, "channel=import").await, ids_of(&[&m3]));
    assert_eq!(listed(&app, &t, &format!("channel=onsite&level_id={normal}")).await, ids_of(&[&m1, &m4]));
    assert!(listed(&app, &t, "channel=purchase").await.is_empty());
    assert_eq!(listed(&app, &t, &format!("owner_id={ann_id}")).await, ids_of(&[&m4]));
    assert_eq!(listed(&app, &t, &format!("tag_id={}", id(&tag))).await, ids_of(&[&m1]));
    // Everyone joined today.
    assert_eq!(listed(&app, &t, &format!("joined_from={}", date(-2))).await, all);
    assert_eq!(listed(&app, &t, &format!("joined_from={}&joined_to={}", date(-2), date(2))).await, all);
    assert!(listed(&app, &t, &format!("joined_to={}", date(-2))).await.is_empty());
    assert!(listed(&app, &t, &format!("joined_from={}", date(2))).await.is_empty());
    // Free text: card number (prefix), name, pinyin, phone.
    assert_eq!(listed(&app, &t, "q=VIP0003").await, ids_of(&[&m3]));
    assert_eq!(listed(&app, &t, "q=VIP000").await, all);
    assert_eq!(listed(&app, &t, &format!("q={}", enc("张伟"))).await, ids_of(&[&m1]));
    assert_eq!(listed(&app, &t, "q=zhangwei").await, ids_of(&[&m1]));
    assert_eq!(listed(&app, &t, "q=13812345678").await, ids_of(&[&m1]));
    assert_eq!(listed(&app, &t, &format!("q={}", phone(2))).await, ids_of(&[&m2]));
    assert!(listed(&app, &t, &format!("q={}", enc("不存在"))).await.is_empty());

    // Paging visits each member once.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = expect(app.get_auth(&format!("/api/v1/members?limit=3{q}"), &t).await, 200, "page").await;
        paged.extend(field_of(page["items"].as_array().unwrap(), "id"));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged.len(), 4);
    assert_eq!(set_of(&paged), all);

    // By status.
    act_ok(&app, &t, &id(&m2), "report-lost", json!({})).await;
    act_ok(&app, &t, &id(&m3), "cancel", json!({"reason": "退会"})).await;
    assert_eq!(listed(&app, &t, "status=active").await, ids_of(&[&m1, &m4]));
    assert_eq!(listed(&app, &t, "status=card_lost").await, ids_of(&[&m2]));
    assert_eq!(listed(&app, &t, "status=cancelled").await, ids_of(&[&m3]));
    assert_eq!(listed(&app, &t, "status=active&channel=onsite").await, ids_of(&[&m1, &m4]));
}

async fn members_are_looked_up_by_phone_card_number_and_identity(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let m1 = enroll(&app, &t, "张伟", "13812345678").await;
    let m2 = enroll(&app, &t, "李娜", &phone(2)).await;
    let m1id = id(&m1);
    let found = |v: Value| v["id"].as_str().map(str::to_owned);

    // By phone, written either way.
    for q in ["phone=13812345678", "phone=%2B8613812345678"] {
        let v = expect(lookup(&app, &t, q).await, 200, q).await;
        assert_eq!(found(v), Some(m1id.clone()), "{q}");
    }
    let v = expect(lookup(&app, &t, &format!("phone={}", phone(2))).await, 200, "phone").await;
    assert_eq!(found(v), Some(id(&m2)));
    problem(lookup(&app, &t, "phone=13700000000").await, 404, "member.not_found").await;

    // By card number.
    let v = expect(lookup(&app, &t, &format!("card_no={}", s(&m1, "card_no"))).await, 200, "card").await;
    assert_eq!((found(v.clone()), v["status"].as_str()), (Some(m1id.clone()), Some("active")));
    problem(lookup(&app, &t, "card_no=NOPE0001").await, 404, "member.not_found").await;

    // By an external identity.
    let res = app
        .post_auth(
            &format!("/api/v1/members/{m1id}/identities"),
            &t,
            &json!({"source": "wechat", "external_id": "oA1"}),
        )
        .await;
    expect(res, 201, "identity").await;
    let v = expect(lookup(&app, &t, "source=wechat&external_id=oA1").await, 200, "identity").await;
    assert_eq!(found(v), Some(m1id.clone()));
    problem(lookup(&app, &t, "source=alipay&external_id=oA1").await, 404, "member.not_found").await;
    problem(lookup(&app, &t, "source=wechat&external_id=oA2").await, 404, "member.not_found").await;

    // A lost card still finds its member, marked lost; a replaced one finds nobody.
    act_ok(&app, &t, &m1id, "report-lost", json!({"reason": "钱包丢了"})).await;
    let old = s(&m1, "card_no");
    let v = expect(lookup(&app, &t, &format!("card_no={old}")).await, 200, "lost card").await;
    assert_eq!((found(v.clone()), v["status"].as_str()), (Some(m1id.clone()), Some("card_lost")));
    let v = expect(lookup(&app, &t, "phone=13812345678").await, 200, "phone").await;
    assert_eq!(v["status"], "card_lost");
    let replaced = act_ok(&app, &t, &m1id, "replace-card", json!({})).await;
    let new = s(&replaced, "card_no");
    assert_ne!(new, old);
    problem(lookup(&app, &t, &format!("card_no={old}")).await, 404, "member.not_found").await;
    let v = expect(lookup(&app, &t, &format!("card_no={new}")).await, 200, "new card").await;
    assert_eq!((found(v.clone()), v["status"].as_str()), (Some(m1id), Some("active")));
}

async fn profile_changes_need_a_fresh_etag_and_reach_the_customer(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let m = enroll(&app, &t, "张伟", "13812345678").await;
    let mid = id(&m);
    let cid = s(&m, "customer_id");
    let audit_before =
        audit_actions(&app, &t, "member", &mid).await.len() + audit_actions(&app, &t, "customer", &cid).await.len();

    let res = app.get_auth(&format!("/api/v1/members/{mid}"), &t).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let patch = |tag: &str, body: Value| {
        app.http
            .patch(app.url(&format!("/api/v1/members/{mid}")))
            .bearer_auth(&t)
            .header("if-match", tag.to_owned())
            .json(&body)
            .send()
    };
    let res = patch(&etag, json!({"name": "张伟伟", "email": "ZWW@example.com", "city": "杭州", "phone": "139 0000 0009", "gender": "male", "birthday": "1991-02-03"}))
        .await
        .unwrap();
    let new_etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    let changed = expect(res, 200, "patch").await;
    assert_eq!(
        (changed["name"].as_str(), changed["email"].as_str(), changed["phone"].as_str()),
        (Some("张伟伟"), Some("zww@example.com"), Some("+8613900000009"))
    );
    assert_eq!((changed["gender"].as_str(), changed["birthday"].as_str()), (Some("male"), Some("1991-02-03")));
    assert_eq!((changed["card_no"].clone(), changed["status"].as_str()), (m["card_no"].clone(), Some("active")));
    assert_ne!(new_etag.as_deref(), Some(etag.as_str()), "the ETag changes with the member");

    // The customer record is what changed.
    let c = expect(app.get_auth(&format!("/api/v1/customers/{cid}"), &t).await, 200, "customer").await;
    assert_eq!(
        (c["name"].as_str(), c["email"].as_str(), c["city"].as_str(), c["phone"].as_str()),
        (Some("张伟伟"), Some("zww@example.com"), Some("杭州"), Some("+8613900000009"))
    );
    // Look-ups follow the new phone.
    let v = expect(lookup(&app, &t, "phone=13900000009").await, 200, "new phone").await;
    assert_eq!(v["id"].as_str(), Some(mid.as_str()));
    problem(lookup(&app, &t, "phone=13812345678").await, 404, "member.not_found").await;

    // A stale ETag is refused and changes nothing.
    problem(patch(&etag, json!({"name": "过期"})).await.unwrap(), 412, "resource.precondition_failed").await;
    assert_eq!(member(&app, &t, &mid).await["name"], "张伟伟");
    // Bad values and fields that are not the profile's are 422.
    for (body, field) in [
        (json!({"email": "nope"}), "/email"),
        (json!({"phone": "12"}), "/phone"),
        (json!({"card_no": "X1"}), "/card_no"),
        (json!({"status": "active"}), "/status"),
    ] {
        let p =
            problem(app.patch_auth(&format!("/api/v1/members/{mid}"), &t, &body).await, 422, "validation.failed").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let audit_after =
        audit_actions(&app, &t, "member", &mid).await.len() + audit_actions(&app, &t, "customer", &cid).await.len();
    assert!(audit_after > audit_before, "the change is audited ({audit_before} -> {audit_after} entries)");
    problem(
        app.patch_auth(&format!("/api/v1/members/{}", uuid::Uuid::now_v7()), &t, &json!({"name": "x"})).await,
        404,
        "member.not_found",
    )
    .await;
}

async fn card_state_changes_are_checked_audited_and_published(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let m = enroll(&app, &t, "张伟", "13812345678").await;
    let mid = id(&m);
    let first_card = s(&m, "card_no");
    let invalid = |res: reqwest::Response| async move { problem(res, 409, "member.invalid_transition").await };

    invalid(act(&app, &t, &mid, "unreport-lost", json!({})).await).await;
    let lost = act_ok(&app, &t, &mid, "report-lost", json!({"reason": "钱包丢了"})).await;
    assert_eq!((lost["status"].as_str(), lost["card_no"].as_str()), (Some("card_lost"), Some(first_card.as_str())));
    invalid(act(&app, &t, &mid, "report-lost", json!({})).await).await;
    let found = act_ok(&app, &t, &mid, "unreport-lost", json!({})).await;
    assert_eq!((found["status"].as_str(), found["card_no"].as_str()), (Some("active"), Some(first_card.as_str())));
    act_ok(&app, &t, &mid, "report-lost", json!({})).await;
    let replaced = act_ok(&app, &t, &mid, "replace-card", json!({"reason": "补卡"})).await;
    let second_card = s(&replaced, "card_no");
    assert_eq!(replaced["status"], "active");
    assert_ne!(second_card, first_card);
    // An active card can be replaced too.
    let replaced = act_ok(&app, &t, &mid, "replace-card", json!({"reason": "换新卡面"})).await;
    let third_card = s(&replaced, "card_no");
    assert!(third_card != first_card && third_card != second_card);
    assert_eq!(member(&app, &t, &mid).await["card_no"], third_card.as_str());

    // Cancelling needs a reason and is the end.
    let p = problem(act(&app, &t, &mid, "cancel", json!({})).await, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["field"], "/reason");
    let cancelled = act_ok(&app, &t, &mid, "cancel", json!({"reason": "本人申请退会"})).await;
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["cancel_reason"].as_str()),
        (Some("cancelled"), Some("本人申请退会"))
    );
    assert!(cancelled["cancelled_at"].is_string());
    for (action, body) in [
        ("report-lost", json!({})),
        ("unreport-lost", json!({})),
        ("replace-card", json!({})),
        ("cancel", json!({"reason": "再次"})),
    ] {
        invalid(act(&app, &t, &mid, action, body).await).await;
    }
    assert_eq!(member(&app, &t, &mid).await["status"], "cancelled");
    problem(act(&app, &t, &uuid::Uuid::now_v7().to_string(), "report-lost", json!({})).await, 404, "member.not_found")
        .await;

    // Every change is in the member's audit log, newest first; refused ones are not.
    let card_actions: Vec<String> = audit_actions(&app, &t, "member", &mid)
        .await
        .into_iter()
        .filter(|a| ["report_lost", "unreport_lost", "replace_card", "cancel"].contains(&a.as_str()))
        .collect();
    assert_eq!(
        card_actions,
        ["cancel", "replace_card", "replace_card", "report_lost", "unreport_lost", "report_lost"].map(str::to_owned)
    );
    let entries = items(&app, &t, &format!("/api/v1/audit-log?entity_type=member&entity_id={mid}&limit=500")).await;
    let admin_id = my_id(&app, &t).await;
    for e in entries.iter().filter(|e| e["action"] == "cancel" || e["action"] == "report_lost") {
        assert_eq!((e["actor_type"].as_str(), e["actor_id"].as_str()), (Some("user"), Some(admin_id.as_str())), "{e}");
    }

    // And each is published.
    for (event, n) in
        [("member.card_lost", 2), ("member.card_unreported", 1), ("member.card_replaced", 2), ("member.cancelled", 1)]
    {
        let events = outbox(&app, &t, event, &mid).await;
        assert_eq!(events.len(), n, "{event}: {events:?}");
        assert!(events.iter().all(|e| e["aggregate_id"] == mid.as_str() && e["status"] == "pending"), "{events:?}");
    }
    // The member's whole story, newest first.
    let story = items(&app, &t, &format!("/api/v1/outbox-events?aggregate_id={mid}")).await;
    assert_eq!(
        field_of(&story, "event_type"),
        [
            "member.cancelled",
            "member.card_replaced",
            "member.card_replaced",
            "member.card_lost",
            "member.card_unreported",
            "member.card_lost",
            "member.enrolled",
        ]
        .map(str::to_owned)
    );
    // The outbox takes outbox:read.
    let (_, plain) = app.user_with(&t, "plain", None, &[]).await;
    problem(app.get_auth("/api/v1/outbox-events", &plain).await, 403, "permission.denied").await;

    // Card actions take members:write.
    let reader = app.position(&t, "Reader", "all", &["members:read"]).await;
    let (_, rt) = app.user_with(&t, "reader", None, &[&reader]).await;
    let other = enroll(&app, &t, "李娜", &phone(2)).await;
    problem(act(&app, &rt, &id(&other), "report-lost", json!({})).await, 403, "permission.denied").await;
    assert_eq!(member(&app, &t, &id(&other)).await["status"], "active");
}

async fn member_levels_are_managed_with_their_conflicts(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let normal =
        app.create("/api/v1/member-levels", &t, json!({"name": "普卡", "level_value": 0, "upgrade_points": 0})).await;
    assert_eq!(
        (
            normal["name"].as_str(),
            normal["level_value"].as_i64(),
            normal["upgrade_points"].as_i64(),
            normal["points_multiplier"].as_str()
        ),
        (Some("普卡"), Some(0), Some(0), Some("1.00"))
    );
    assert!(normal["id"].is_string() && normal["created_at"].is_string() && normal["updated_at"].is_string());
    let gold = app
        .create(
            "/api/v1/member-levels",
            &t,
            json!({"name": "金卡", "level_value": 2, "upgrade_points": 5000, "points_multiplier": "1.5"}),
        )
        .await;
    assert_eq!(gold["points_multiplier"], "1.50");
    let silver = app
        .create(
            "/api/v1/member-levels",
            &t,
            json!({"name": "银卡", "level_value": 1, "upgrade_points": 1000, "points_multiplier": 1.25}),
        )
        .await;
    assert_eq!(silver["points_multiplier"], "1.25");

    problem(
        app.post_auth(
            "/api/v1/member-levels",
            &t,
            &json!({"name": "钻石卡", "level_value": 2, "upgrade_points": 9000}),
        )
        .await,
        409,
        "member_level.value_taken",
    )
    .await;
    for (body, field) in [
        (json!({"name": "x", "level_value": -1, "upgrade_points": 0}), "/level_value"),
        (json!({"name": "x", "level_value": 7, "upgrade_points": -5}), "/upgrade_points"),
        (json!({"name": "x", "level_value": 7, "upgrade_points": 0, "points_multiplier": "0"}), "/points_multiplier"),
        (
            json!({"name": "x", "level_value": 7, "upgrade_points": 0, "points_multiplier": "100.01"}),
            "/points_multiplier",
        ),
        (
            json!({"name": "x", "level_value": 7, "upgrade_points": 0, "points_multiplier": "1.234"}),
            "/points_multiplier",
        ),
        (json!({"name": "", "level_value": 7, "upgrade_points": 0}), "/name"),
    ] {
        let p = problem(app.post_auth("/api/v1/member-levels", &t, &body).await, 422, "validation.failed").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let names = |list: Vec<Value>| field_of(&list, "name");
    assert_eq!(names(items(&app, &t, "/api/v1/member-levels").await), ["普卡", "银卡", "金卡"].map(str::to_owned));

    let (nid, gid, sid) = (id(&normal), id(&gold), id(&silver));
    let got = expect(app.get_auth(&format!("/api/v1/member-levels/{gid}"), &t).await, 200, "get").await;
    assert_eq!(without_times(&got), without_times(&gold));
    assert_eq!(micros(&got, "created_at"), micros(&gold, "created_at"));
    problem(
        app.get_auth(&format!("/api/v1/member-levels/{}", uuid::Uuid::now_v7()), &t).await,
        404,
        "member_level.not_found",
    )
    .await;

    // PATCH: absent stays.
    let res = app
        .patch_auth(
            &format!("/api/v1/member-levels/{gid}"),
            &t,
            &json!({"points_multiplier": "2", "upgrade_points": 8000}),
        )
        .await;
    let g = expect(res, 200, "patch").await;
    assert_eq!(
        (g["name"].as_str(), g["level_value"].as_i64(), g["upgrade_points"].as_i64(), g["points_multiplier"].as_str()),
        (Some("金卡"), Some(2), Some(8000), Some("2.00"))
    );
    problem(
        app.patch_auth(&format!("/api/v1/member-levels/{gid}"), &t, &json!({"level_value": 1})).await,
        409,
        "member_level.value_taken",
    )
    .await;
    let g = expect(
        app.patch_auth(&format!("/api/v1/member-levels/{gid}"), &t, &json!({"level_value": 5})).await,
        200,
        "patch",
    )
    .await;
    assert_eq!(g["level_value"], 5);

    // A level in use cannot be deleted; its new name shows on the member.
    let m = enroll(&app, &t, "张伟", "13812345678").await;
    assert_eq!(m["level"]["id"].as_str(), Some(nid.as_str()));
    problem(app.delete_auth(&format!("/api/v1/member-levels/{nid}"), &t).await, 409, "member_level.in_use").await;
    expect(
        app.patch_auth(&format!("/api/v1/member-levels/{nid}"), &t, &json!({"name": "普通卡"})).await,
        200,
        "rename",
    )
    .await;
    assert_eq!(member(&app, &t, &id(&m)).await["level"], json!({"id": nid, "name": "普通卡", "level_value": 0}));
    assert_eq!(app.delete_auth(&format!("/api/v1/member-levels/{sid}"), &t).await.status(), 204);
    problem(app.get_auth(&format!("/api/v1/member-levels/{sid}"), &t).await, 404, "member_level.not_found").await;
    problem(app.delete_auth(&format!("/api/v1/member-levels/{sid}"), &t).await, 404, "member_level.not_found").await;
    assert_eq!(names(items(&app, &t, "/api/v1/member-levels").await), ["普通卡", "金卡"].map(str::to_owned));

    // Reading takes members:read; writing member_levels:write.
    let reader = app.position(&t, "Reader", "all", &["members:read"]).await;
    let (_, rt) = app.user_with(&t, "reader", None, &[&reader]).await;
    assert_eq!(items(&app, &rt, "/api/v1/member-levels").await.len(), 2);
    problem(
        app.post_auth("/api/v1/member-levels", &rt, &json!({"name": "x", "level_value": 9, "upgrade_points": 0})).await,
        403,
        "permission.denied",
    )
    .await;
    problem(app.delete_auth(&format!("/api/v1/member-levels/{gid}"), &rt).await, 403, "permission.denied").await;

    // Names are unique too (checked last so a failure here does not hide the checks above).
    problem(
        app.post_auth("/api/v1/member-levels", &t, &json!({"name": "金卡", "level_value": 9, "upgrade_points": 9000}))
            .await,
        409,
        "member_level.name_taken",
    )
    .await;
    problem(
        app.patch_auth(&format!("/api/v1/member-levels/{gid}"), &t, &json!({"name": "普通卡"})).await,
        409,
        "member_level.name_taken",
    )
    .await;
    assert_eq!(names(items(&app, &t, "/api/v1/member-levels").await), ["普通卡", "金卡"].map(str::to_owned));
}

async fn manual_level_changes_single_and_bulk_are_recorded(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let admin_id = my_id(&app, &t).await;
    let normal = level(&app, &t, "普卡", 0).await;
    let gold = level(&app, &t, "金卡", 2).await;
    let m1 = id(&enroll(&app, &t, "甲", &phone(1)).await);
    let m2 = id(&enroll(&app, &t, "乙", &phone(2)).await);
    let m3 = id(&enroll(&app, &t, "丙", &phone(3)).await);

    let res = app
        .post_auth(&format!("/api/v1/members/{m1}/level"), &t, &json!({"level_id": gold, "reason": "消费达标"}))
        .await;
    let changed = expect(res, 200, "level").await;
    assert_eq!(changed["level"], json!({"id": gold, "name": "金卡", "level_value": 2}));
    assert_eq!(member(&app, &t, &m1).await["level"]["id"].as_str(), Some(gold.as_str()));
    let p = problem(
        app.post_auth(&format!("/api/v1/members/{m1}/level"), &t, &json!({"level_id": normal})).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/reason");

    let h = items(&app, &t, &format!("/api/v1/members/{m1}/level-history")).await;
    let steps: Vec<(Value, Value, Value, Value)> = h
        .iter()
        .map(|e| (e["from_level_id"].clone(), e["to_level_id"].clone(), e["source"].clone(), e["reason"].clone()))
        .collect();
    assert_eq!(steps.len(), 2, "{h:?}");
    assert_eq!((&steps[0].0, &steps[0].1, &steps[0].2), (&Value::Null, &json!(normal), &json!("enrollment")));
    assert_eq!(steps[1], (json!(normal), json!(gold), json!("manual"), json!("消费达标")));
    assert_eq!((h[1]["actor_type"].as_str(), h[1]["actor_id"].as_str()), (Some("user"), Some(admin_id.as_str())));
    assert!(h[1]["changed_at"].is_string());

    // In bulk: each member on its own.
    let missing = uuid::Uuid::now_v7().to_string();
    let res = app
        .post_auth(
            "/api/v1/members/bulk-level",
            &t,
            &json!({"member_ids": [m1, m2, missing, m3], "level_id": gold, "reason": "年度调整"}),
        )
        .await;
    let r = expect(res, 200, "bulk-level").await;
    let r = r["items"].as_array().unwrap();
    let got: Vec<(i64, String, String)> =
        r.iter().map(|i| (i["index"].as_i64().unwrap(), s(i, "id"), s(i, "status"))).collect();
    assert_eq!(
        got,
        vec![
            (0, m1.clone(), "unchanged".to_owned()),
            (1, m2.clone(), "changed".to_owned()),
            (2, missing.clone(), "failed".to_owned()),
            (3, m3.clone(), "changed".to_owned()),
        ]
    );
    assert_eq!(r[2]["error"]["code"], "member.not_found", "{}", r[2]);
    for m in [&m2, &m3] {
        assert_eq!(member(&app, &t, m).await["level"]["id"].as_str(), Some(gold.as_str()));
        let h = items(&app, &t, &format!("/api/v1/members/{m}/level-history")).await;
        assert_eq!(h.len(), 2);
        assert_eq!(
            (
                h[1]["from_level_id"].as_str(),
                h[1]["to_level_id"].as_str(),
                h[1]["source"].as_str(),
                h[1]["reason"].as_str()
            ),
            (Some(normal.as_str()), Some(gold.as_str()), Some("manual"), Some("年度调整"))
        );
    }
    assert_eq!(
        items(&app, &t, &format!("/api/v1/members/{m1}/level-history")).await.len(),
        2,
        "unchanged adds nothing"
    );
    assert_eq!(listed(&app, &t, &format!("level_id={gold}")).await, set_of(&[m1.clone(), m2.clone(), m3.clone()]));
    problem(
        app.post_auth("/api/v1/members/bulk-level", &t, &json!({"member_ids": [], "level_id": gold, "reason": "x"}))
            .await,
        422,
        "validation.failed",
    )
    .await;

    // Changing levels takes members:level, not just members:write.
    let clerk = app.position(&t, "Clerk", "all", &["members:read", "members:write"]).await;
    let (_, ct) = app.user_with(&t, "clerk", None, &[&clerk]).await;
    problem(
        app.post_auth(&format!("/api/v1/members/{m1}/level"), &ct, &json!({"level_id": normal, "reason": "x"})).await,
        403,
        "permission.denied",
    )
    .await;
    problem(
        app.post_auth(
            "/api/v1/members/bulk-level",
            &ct,
            &json!({"member_ids": [m1], "level_id": normal, "reason": "x"}),
        )
        .await,
        403,
        "permission.denied",
    )
    .await;
    assert_eq!(member(&app, &t, &m1).await["level"]["id"].as_str(), Some(gold.as_str()));
}

async fn external_identities_are_unique_per_tenant_and_source(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let m1 = id(&enroll(&app, &t, "甲", &phone(1)).await);
    let m2 = id(&enroll(&app, &t, "乙", &phone(2)).await);
    let link = |token: &str, member: &str, source: &str, ext: &str| {
        let (token, url, body) = (
            token.to_owned(),
            format!("/api/v1/members/{member}/identities"),
            json!({"source": source, "external_id": ext}),
        );
        let app = &app;
        async move { app.post_auth(&url, &token, &body).await }
    };
    let idents = |m: &Value| -> BTreeSet<(String, String)> {
        m["identities"].as_array().unwrap().iter().map(|i| (s(i, "source"), s(i, "external_id"))).collect()
    };
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());

    let v = expect(link(&t, &m1, "wechat", "oA1").await, 201, "link").await;
    assert_eq!(idents(&v), BTreeSet::from([pair("wechat", "oA1")]));
    assert!(v["identities"][0]["linked_at"].is_string());
    let v = expect(link(&t, &m1, "alipay", "oA1").await, 201, "same id, other source").await;
    assert_eq!(idents(&v), BTreeSet::from([pair("wechat", "oA1"), pair("alipay", "oA1")]));
    problem(link(&t, &m2, "wechat", "oA1").await, 409, "member_identity.taken").await;
    expect(link(&t, &m2, "wechat", "oB2").await, 201, "link").await;
    assert_eq!(idents(&member(&app, &t, &m2).await), BTreeSet::from([pair("wechat", "oB2")]));
    let v = expect(lookup(&app, &t, "source=wechat&external_id=oA1").await, 200, "lookup").await;
    assert_eq!(v["id"].as_str(), Some(m1.as_str()));

    // Unlinked, it is free for another member.
    assert_eq!(app.delete_auth(&format!("/api/v1/members/{m1}/identities/wechat/oA1"), &t).await.status(), 204);
    assert_eq!(idents(&member(&app, &t, &m1).await), BTreeSet::from([pair("alipay", "oA1")]));
    problem(lookup(&app, &t, "source=wechat&external_id=oA1").await, 404, "member.not_found").await;
    expect(link(&t, &m2, "wechat", "oA1").await, 201, "relink").await;
    let v = expect(lookup(&app, &t, "source=wechat&external_id=oA1").await, 200, "lookup").await;
    assert_eq!(v["id"].as_str(), Some(m2.as_str()));

    // Another tenant has its own key space.
    app.create(
        "/api/v1/tenants",
        &t,
        json!({"code": "beta", "name": "Beta", "admin_username": "boss", "admin_password": "beta-pass-1234"}),
    )
    .await;
    let beta = app.login_in("beta", "boss", "beta-pass-1234").await;
    let b1 = id(&enroll(&app, &beta, "丙", &phone(1)).await);
    let v = expect(link(&beta, &b1, "wechat", "oA1").await, 201, "same identity in another tenant").await;
    assert_eq!(idents(&v), BTreeSet::from([pair("wechat", "oA1")]));
    let v = expect(lookup(&app, &beta, "source=wechat&external_id=oA1").await, 200, "beta lookup").await;
    assert_eq!(v["id"].as_str(), Some(b1.as_str()));
    let v = expect(lookup(&app, &t, "source=wechat&external_id=oA1").await, 200, "default lookup").await;
    assert_eq!(v["id"].as_str(), Some(m2.as_str()));
    // And its members are invisible here, and ours there.
    problem(app.get_auth(&format!("/api/v1/members/{b1}"), &t).await, 404, "member.not_found").await;
    problem(app.get_auth(&format!("/api/v1/members/{m1}"), &beta).await, 404, "member.not_found").await;
    problem(link(&beta, &m1, "wechat", "oZ9").await, 404, "member.not_found").await;
    assert_eq!(listed(&app, &beta, "").await, one(&b1));
    assert_eq!(listed(&app, &t, "").await, set_of(&[m1, m2]));
}

async fn self_scoped_users_see_only_members_of_their_customers(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let sales = app
        .position(
            &t,
            "Sales",
            "self",
            &["customers:read", "customers:write", "members:read", "members:write", "customers:read_pii"],
        )
        .await;
    let (ann_id, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let (_, bob) = app.user_with(&t, "bob", None, &[&sales]).await;
    app.create("/api/v1/customers", &ann, json!({"name": "安的客户", "phone": phone(1)})).await;
    app.create("/api/v1/customers", &bob, json!({"name": "博的客户", "phone": phone(2)})).await;
    let mine = enroll(&app, &t, "安的客户", &phone(1)).await;
    let theirs = enroll(&app, &t, "博的客户", &phone(2)).await;
    let (mid, tid) = (id(&mine), id(&theirs));

    assert_eq!(listed(&app, &ann, "").await, one(&mid));
    assert_eq!(listed(&app, &bob, "").await, one(&tid));
    assert_eq!(listed(&app, &t, "").await, set_of(&[mid.clone(), tid.clone()]), "the admin sees all");
    assert!(listed(&app, &ann, &format!("q={}", phone(2))).await.is_empty(), "search stays in scope");
    assert!(listed(&app, &ann, &format!("q={}", s(&theirs, "card_no"))).await.is_empty());
    assert_eq!(listed(&app, &ann, &format!("owner_id={ann_id}")).await, one(&mid));

    assert_eq!(member(&app, &ann, &mid).await["name"], "安的客户");
    problem(app.get_auth(&format!("/api/v1/members/{tid}"), &ann).await, 404, "member.not_found").await;
    problem(app.get_auth(&format!("/api/v1/members/{tid}/level-history"), &ann).await, 404, "member.not_found").await;
    problem(lookup(&app, &ann, &format!("phone={}", phone(2))).await, 404, "member.not_found").await;
    problem(lookup(&app, &ann, &format!("card_no={}", s(&theirs, "card_no"))).await, 404, "member.not_found").await;
    problem(act(&app, &ann, &tid, "report-lost", json!({})).await, 404, "member.not_found").await;
    problem(
        app.patch_auth(&format!("/api/v1/members/{tid}"), &ann, &json!({"name": "改别人的"})).await,
        404,
        "member.not_found",
    )
    .await;
    assert_eq!(member(&app, &t, &tid).await["status"], "active");
    assert_eq!(member(&app, &t, &tid).await["name"], "博的客户");
    // Her own member she can act on.
    assert_eq!(act_ok(&app, &ann, &mid, "report-lost", json!({})).await["status"], "card_lost");
}

async fn member_phones_are_masked_without_read_pii(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let m = enroll(&app, &t, "王五", "13812345678").await;
    let mid = id(&m);
    assert_eq!(m["phone"], "+8613812345678", "the admin reads personal data");

    let reader = app.position(&t, "Reader", "all", &["members:read"]).await;
    let (_, rt) = app.user_with(&t, "reader", None, &[&reader]).await;
    assert_eq!(member(&app, &rt, &mid).await["phone"], "+86 138****5678");
    let list = items(&app, &rt, "/api/v1/members").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["phone"], "+86 138****5678");
    assert!(!Value::Array(list).to_string().contains("12345678"), "masked in lists");
    // The full number still finds the member; the answer stays masked.
    let v = expect(lookup(&app, &rt, "phone=13812345678").await, 200, "lookup").await;
    assert_eq!((v["id"].as_str(), v["phone"].as_str()), (Some(mid.as_str()), Some("+86 138****5678")));
    assert_eq!(listed(&app, &rt, "q=13812345678").await, one(&mid));

    let pii = app.position(&t, "PII reader", "all", &["members:read", "customers:read_pii"]).await;
    let (_, pt) = app.user_with(&t, "pii", None, &[&pii]).await;
    assert_eq!(member(&app, &pt, &mid).await["phone"], "+8613812345678");
    let (_, nobody) = app.user_with(&t, "nobody", None, &[]).await;
    problem(app.get_auth("/api/v1/members", &nobody).await, 403, "permission.denied").await;
    problem(app.get_auth(&format!("/api/v1/members/{mid}"), &nobody).await, 403, "permission.denied").await;

    // Applications too: a valid phone and an invalid one as given are masked without the permission.
    let good = apply(&app, &t, json!({"channel": "onsite", "name": "赵六", "phone": "13912345678"})).await;
    let bad = apply(&app, &t, json!({"channel": "onsite", "name": "钱七", "phone": "1391234567"})).await;
    assert_eq!((good["phone"].as_str(), bad["phone"].as_str()), (Some("+8613912345678"), Some("1391234567")));
    let clerk = app.position(&t, "Clerk", "all", &["enrollment:read"]).await;
    let (_, ct) = app.user_with(&t, "clerk", None, &[&clerk]).await;
    let seen = |a: &Value| {
        let (app, ct, id) = (&app, &ct, s(a, "id"));
        async move {
            let v = expect(app.get_auth(&format!("/api/v1/enrollment-applications/{id}"), ct).await, 200, "get").await;
            v["phone"].as_str().unwrap_or_default().to_owned()
        }
    };
    assert_eq!(seen(&good).await, "+86 139****5678");
    assert_eq!(seen(&bad).await, "********67");
}

async fn customers_are_found_by_card_number(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    set(&app, &t, json!({"card_prefix": "VIP", "card_serial_width": 6})).await;
    let a = enroll(&app, &t, "周杰", &phone(41)).await;
    let b = enroll(&app, &t, "周迅", &phone(42)).await;
    assert_eq!((s(&a, "card_no").as_str(), s(&b, "card_no").as_str()), ("VIP000001", "VIP000002"));
    let found = |q: &'static str| {
        let app = &app;
        let t = &t;
        async move {
            let list = items(app, t, &format!("/api/v1/customers?q={q}")).await;
            list.iter().map(|c| s(c, "id")).collect::<BTreeSet<String>>()
        }
    };
    // The whole number, its beginning, lowercase: the customer of that membership.
    assert_eq!(found("VIP000002").await, one(&s(&b, "customer_id")));
    assert_eq!(found("vip000001").await, one(&s(&a, "customer_id")));
    assert_eq!(found("VIP0000").await, set_of(&[s(&a, "customer_id"), s(&b, "customer_id")]));
    // Names still search as before, and a number no card has finds nothing.
    assert_eq!(found("zhoujie").await, one(&s(&a, "customer_id")));
    assert!(found("VIP9999").await.is_empty());
}

async fn list_parameters_are_checked_by_name_and_value(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    // An unknown query parameter is refused, named, not ignored.
    for path in
        ["/api/v1/members?bogus=1", "/api/v1/enrollment-applications?limit=5&sort=name", "/api/v1/card-numbers?x="]
    {
        let p = problem(app.get_auth(path, &t).await, 400, "request.invalid_query").await;
        let (field, code) = (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str());
        let name = path.rsplit(['?', '&']).next().and_then(|kv| kv.split('=').next()).unwrap_or_default();
        assert_eq!((field, code), (Some(format!("/{name}").as_str()), Some("unknown_field")), "{path}: {p}");
    }
    // Every bad value at once, each naming the values it may take.
    let p = problem(
        app.get_auth("/api/v1/enrollment-applications?status=open&channel=fax", &t).await,
        400,
        "request.invalid_query",
    )
    .await;
    let errors = p["errors"].as_array().cloned().unwrap_or_default();
    let fields: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, vec!["/status", "/channel"], "{p}");
    assert!(errors[0]["message"].as_str().is_some_and(|m| m.contains("pending, approved, rejected")), "{p}");
    assert!(errors[1]["message"].as_str().is_some_and(|m| m.contains("onsite, online, purchase, import")), "{p}");
}
