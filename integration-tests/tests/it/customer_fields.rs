//! Custom fields (definitions, validation, required, visibility by permission, filters), the list's
//! filters on every listed field, and tenant settings.

use crate::helpers::{Db, TestApp, problem};
use crate::on_both_dbs;
use serde_json::{Value, json};
use std::collections::BTreeSet;

on_both_dbs!(
    custom_fields_are_validated_stored_and_filterable,
    custom_fields_are_visible_only_with_their_permission,
    list_filters_cover_every_listed_field,
    unknown_list_parameters_are_refused_by_name,
    settings_have_defaults_and_changes_are_audited,
);

async fn names(app: &TestApp, token: &str, query: &str) -> BTreeSet<String> {
    let res = app.get_auth(&format!("/api/v1/customers?{query}"), token).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {v}");
    v["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

fn set(n: &[&str]) -> BTreeSet<String> {
    n.iter().map(|s| (*s).to_owned()).collect()
}

async fn custom_fields_are_validated_stored_and_filterable(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let house = app
        .create(
            "/api/v1/custom-fields",
            &t,
            json!({"object_type": "customer", "key": "house_type", "label": "户型", "field_type": "select", "options": ["apartment", "villa"], "required": true}),
        )
        .await;
    app.create(
        "/api/v1/custom-fields",
        &t,
        json!({"object_type": "customer", "key": "area", "label": "面积", "field_type": "number"}),
    )
    .await;
    app.create(
        "/api/v1/custom-fields",
        &t,
        json!({"object_type": "customer", "key": "visit_on", "label": "到访日", "field_type": "date"}),
    )
    .await;
    app.create("/api/v1/custom-fields", &t, json!({"object_type": "customer", "key": "hobbies", "label": "爱好", "field_type": "multi_select", "options": ["golf", "tea", "wine"]})).await;
    app.create(
        "/api/v1/custom-fields",
        &t,
        json!({"object_type": "customer", "key": "vip", "label": "VIP", "field_type": "bool"}),
    )
    .await;

    // Definitions are validated and keys are unique per object type.
    let res = app
        .post_auth(
            "/api/v1/custom-fields",
            &t,
            &json!({"object_type": "lead", "key": "Bad Key", "label": "", "field_type": "select", "options": []}),
        )
        .await;
    let p = problem(res, 422, "validation.failed").await;
    let fields: BTreeSet<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["/object_type", "/key", "/label", "/options"]));
    let res = app
        .post_auth(
            "/api/v1/custom-fields",
            &t,
            &json!({"object_type": "customer", "key": "area", "label": "x", "field_type": "text"}),
        )
        .await;
    problem(res, 409, "custom_field.key_taken").await;

    // Values are checked against their definition; a required field is required on create.
    let res = app.post_auth("/api/v1/customers", &t, &json!({"name": "无户型"})).await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["field"], "/custom_fields/house_type");
    assert_eq!(p["errors"][0]["code"], "required");
    let res = app
        .post_auth(
            "/api/v1/customers",
            &t,
            &json!({"name": "坏值", "custom_fields": {"house_type": "castle", "area": "big", "visit_on": "2026-13-01", "hobbies": ["golf", "chess"], "nope": 1}}),
        )
        .await;
    let p = problem(res, 422, "validation.failed").await;
    let codes: BTreeSet<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("/custom_fields/house_type", "invalid_option"),
        ("/custom_fields/area", "invalid_type"),
        ("/custom_fields/visit_on", "invalid_date"),
        ("/custom_fields/hobbies/1", "invalid_option"),
        ("/custom_fields/nope", "unknown_field"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(codes, want);

    let a = app
        .create(
            "/api/v1/customers",
            &t,
            json!({"name": "甲", "custom_fields": {"house_type": "villa", "area": 180.5, "visit_on": "2026-03-01", "hobbies": ["wine", "golf"], "vip": true}}),
        )
        .await;
    assert_eq!(
        a["custom_fields"],
        json!({"house_type": "villa", "area": 180.5, "visit_on": "2026-03-01", "hobbies": ["golf", "wine"], "vip": true})
    );
    app.create("/api/v1/customers", &t, json!({"name": "乙", "custom_fields": {"house_type": "apartment", "area": 90, "visit_on": "2026-01-15", "hobbies": ["tea"]}})).await;
    let c = app
        .create(
            "/api/v1/customers",
            &t,
            json!({"name": "丙", "custom_fields": {"house_type": "apartment", "area": 120}}),
        )
        .await;

    assert_eq!(names(&app, &t, "custom[house_type]=villa").await, set(&["甲"]));
    assert_eq!(names(&app, &t, "custom[house_type]=apartment").await, set(&["乙", "丙"]));
    assert_eq!(names(&app, &t, "custom[area]=100..").await, set(&["甲", "丙"]));
    assert_eq!(names(&app, &t, "custom[area]=90..120").await, set(&["乙", "丙"]));
    assert_eq!(names(&app, &t, "custom[area]=90").await, set(&["乙"]));
    assert_eq!(names(&app, &t, "custom[visit_on]=..2026-02-01").await, set(&["乙"]));
    assert_eq!(names(&app, &t, "custom[hobbies]=golf").await, set(&["甲"]));
    assert_eq!(names(&app, &t, "custom[vip]=true").await, set(&["甲"]));
    assert_eq!(names(&app, &t, "custom[house_type]=apartment&custom[area]=..100").await, set(&["乙"]));
    let res = app.get_auth("/api/v1/customers?custom[nope]=1", &t).await;
    let p = problem(res, 400, "request.invalid_query").await;
    assert_eq!(p["errors"][0]["field"], "/custom[nope]");
    let res = app.get_auth("/api/v1/customers?custom[house_type]=castle", &t).await;
    problem(res, 400, "request.invalid_query").await;

    // PATCH: absent keys stay, null clears; a required field cannot be cleared; the filter follows.
    let id = c["id"].as_str().unwrap();
    let res = app
        .patch_auth(&format!("/api/v1/customers/{id}"), &t, &json!({"custom_fields": {"area": null, "vip": false}}))
        .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["custom_fields"], json!({"house_type": "apartment", "vip": false}));
    assert_eq!(names(&app, &t, "custom[area]=100..").await, set(&["甲"]));
    let res =
        app.patch_auth(&format!("/api/v1/customers/{id}"), &t, &json!({"custom_fields": {"house_type": null}})).await;
    problem(res, 422, "validation.failed").await;

    // An option in use cannot be withdrawn; an unused one can. Changes are audited.
    let hid = house["id"].as_str().unwrap();
    let res = app.patch_auth(&format!("/api/v1/custom-fields/{hid}"), &t, &json!({"options": ["apartment"]})).await;
    problem(res, 409, "custom_field.option_in_use").await;
    let res = app
        .patch_auth(
            &format!("/api/v1/custom-fields/{hid}"),
            &t,
            &json!({"options": ["apartment", "villa", "loft"], "label": "房型"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let audit: Value = app
        .get_auth(&format!("/api/v1/audit-log?entity_type=custom_field&entity_id={hid}"), &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");

    // Batch upsert takes custom fields too, per item.
    let res = app
        .post_auth(
            "/api/v1/customers/batch-upsert",
            &t,
            &json!({"source": "sales", "items": [
                {"external_id": "1", "name": "丁", "custom_fields": {"house_type": "loft"}},
                {"external_id": "2", "name": "戊"},
            ]}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["items"][0]["status"], "created");
    assert_eq!(v["items"][1]["status"], "failed");
    assert_eq!(v["items"][1]["error"]["errors"][0]["field"], "/items/1/custom_fields/house_type");

    // Deleting the definition removes its values and its filter.
    let list: Value = app.get_auth("/api/v1/custom-fields?object_type=customer", &t).await.json().await.unwrap();
    let area = list["items"].as_array().unwrap().iter().find(|f| f["key"] == "area").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete_auth(&format!("/api/v1/custom-fields/{area}"), &t).await.status(), 204);
    let got: Value =
        app.get_auth(&format!("/api/v1/customers/{}", a["id"].as_str().unwrap()), &t).await.json().await.unwrap();
    assert!(got["custom_fields"].get("area").is_none(), "{got}");
    let res = app.get_auth("/api/v1/customers?custom[area]=1..", &t).await;
    problem(res, 400, "request.invalid_query").await;
}

async fn custom_fields_are_visible_only_with_their_permission(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    app.create(
        "/api/v1/custom-fields",
        &t,
        json!({"object_type": "customer", "key": "income", "label": "收入", "field_type": "number", "permission": "customers:read_pii", "required": true}),
    )
    .await;
    app.create(
        "/api/v1/custom-fields",
        &t,
        json!({"object_type": "customer", "key": "note2", "label": "备注", "field_type": "text"}),
    )
    .await;
    let c = app
        .create("/api/v1/customers", &t, json!({"name": "富", "custom_fields": {"income": 1000000, "note2": "x"}}))
        .await;
    assert_eq!(c["custom_fields"]["income"], 1000000.0);

    let sales = app.position(&t, "Sales", "all", &["customers:read", "customers:write"]).await;
    let (_, ann) = app.user_with(&t, "ann", None, &[&sales]).await;
    let got: Value =
        app.get_auth(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()), &ann).await.json().await.unwrap();
    assert_eq!(got["custom_fields"], json!({"note2": "x"}), "the hidden field is not shown");
    // Ann cannot write or filter it, and its `required` does not bind her.
    let res = app.post_auth("/api/v1/customers", &ann, &json!({"name": "试", "custom_fields": {"income": 5}})).await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"][0]["code"], "unknown_field");
    app.create("/api/v1/customers", &ann, json!({"name": "无收入"})).await;
    let res = app.get_auth("/api/v1/customers?custom[income]=1..", &ann).await;
    problem(res, 400, "request.invalid_query").await;
    // Her change keeps the hidden value.
    let res = app
        .patch_auth(
            &format!("/api/v1/customers/{}", c["id"].as_str().unwrap()),
            &ann,
            &json!({"custom_fields": {"note2": "y"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(names(&app, &t, "custom[income]=1000000").await, set(&["富"]));
}

async fn list_filters_cover_every_listed_field(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let me: Value = app.get_auth("/api/v1/me", &t).await.json().await.unwrap();
    app.create(
        "/api/v1/customers",
        &t,
        json!({"name": "一", "province": "上海", "city": "上海", "district": "浦东", "industry": "金融", "gender": "male", "birthday": "1990-05-01", "company": "明珠", "level": "A", "grade": "deal", "kind": "person"}),
    )
    .await;
    app.create(
        "/api/v1/customers",
        &t,
        json!({"name": "二", "province": "浙江", "city": "杭州", "district": "西湖", "industry": "地产", "gender": "female", "birthday": "1985-12-31", "kind": "organization", "owner_id": null}),
    )
    .await;
    let three = app
        .create("/api/v1/customers", &t, json!({"name": "三", "province": "上海", "city": "上海", "district": "静安"}))
        .await;
    app.post_auth(
        &format!("/api/v1/customers/{}/interactions", three["id"].as_str().unwrap()),
        &t,
        &json!({"kind": "call", "summary": "hi"}),
    )
    .await;

    for (q, want) in [
        ("province=上海", vec!["一", "三"]),
        ("city=杭州", vec!["二"]),
        ("district=静安", vec!["三"]),
        ("industry=金融", vec!["一"]),
        ("gender=female", vec!["二"]),
        ("company=明珠", vec!["一"]),
        ("level=A", vec!["一"]),
        ("grade=deal", vec!["一"]),
        ("kind=organization", vec!["二"]),
        ("birthday_from=1986-01-01", vec!["一"]),
        ("birthday_to=1989-12-31", vec!["二"]),
        ("birthday_from=1980-01-01&birthday_to=1999-01-01", vec!["一", "二"]),
        ("in_pool=true", vec!["二"]),
        ("in_pool=false", vec!["一", "三"]),
        ("inactive_days=1", vec!["一", "二"]),
        ("active_days=1", vec!["三"]),
        ("created_from=2000-01-01&province=上海", vec!["一", "三"]),
        ("created_to=2000-01-01", vec![]),
        ("province=上海&district=浦东", vec!["一"]),
    ] {
        assert_eq!(names(&app, &t, q).await, set(&want), "{q}");
    }
    assert_eq!(names(&app, &t, &format!("owner_id={}", me["id"].as_str().unwrap())).await, set(&["一", "三"]));
    let res = app.get_auth("/api/v1/customers?gender=robot", &t).await;
    let p = problem(res, 400, "request.invalid_query").await;
    assert_eq!(p["errors"][0]["field"], "/gender");
}

/// A parameter a list does not know is a 400 naming it, never silently ignored: a custom field
/// filter sent as `key=value` instead of the documented `custom[key]=value` (what a generated
/// client that flattens the deepObject sends) would otherwise answer every customer.
async fn unknown_list_parameters_are_refused_by_name(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let def = json!({"object_type": "customer", "key": "house_type", "label": "户型", "field_type": "select", "options": ["villa", "apartment"]});
    app.create("/api/v1/custom-fields", &t, def).await;
    app.create("/api/v1/customers", &t, json!({"name": "甲", "custom_fields": {"house_type": "villa"}})).await;
    app.create("/api/v1/customers", &t, json!({"name": "乙", "custom_fields": {"house_type": "apartment"}})).await;

    // The documented form filters.
    assert_eq!(names(&app, &t, "custom[house_type]=villa").await, set(&["甲"]));
    assert_eq!(names(&app, &t, "custom%5Bhouse_type%5D=villa&limit=10").await, set(&["甲"]));
    let pool: Value = app.get_auth("/api/v1/customers/pool?custom[house_type]=villa", &t).await.json().await.unwrap();
    assert!(pool["items"].as_array().is_some(), "{pool}");

    // The flattened form, or any other unknown parameter, is refused by name.
    for (path, field) in [
        ("/api/v1/customers?house_type=villa", "/house_type"),
        ("/api/v1/customers?q=甲&colour=red", "/colour"),
        ("/api/v1/customers/pool?house_type=villa", "/house_type"),
        ("/api/v1/customers/changes?since_seq=1", "/since_seq"),
        ("/api/v1/customers/duplicates?reasons=phone", "/reasons"),
        ("/api/v1/tags?kind=region", "/kind"),
        ("/api/v1/segments/00000000-0000-7000-8000-000000000000/members?page=2", "/page"),
    ] {
        let p = problem(app.get_auth(path, &t).await, 400, "request.invalid_query").await;
        let got = (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str());
        assert_eq!(got, (Some(field), Some("unknown_field")), "{path}: {p}");
    }
    // A NUL character in a custom filter is refused like one in any parameter.
    let p =
        problem(app.get_auth("/api/v1/customers?custom[house_type]=vi%00lla", &t).await, 400, "request.invalid_query")
            .await;
    assert_eq!(p["errors"][0]["field"], "/custom[house_type]");
}

async fn settings_have_defaults_and_changes_are_audited(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    // The customer settings (the membership ones are tested with membership).
    let customers = |s: &Value| {
        json!({"duplicate_policy": s["duplicate_policy"], "pool_return_days": s["pool_return_days"],
               "pool_claim_limit": s["pool_claim_limit"]})
    };
    let s: Value = app.get_auth("/api/v1/settings", &t).await.json().await.unwrap();
    assert_eq!(customers(&s), json!({"duplicate_policy": "warn", "pool_return_days": null, "pool_claim_limit": null}));
    let res =
        app.patch_auth("/api/v1/settings", &t, &json!({"duplicate_policy": "refuse", "pool_return_days": 30})).await;
    let s: Value = res.json().await.unwrap();
    assert_eq!(customers(&s), json!({"duplicate_policy": "refuse", "pool_return_days": 30, "pool_claim_limit": null}));
    let res =
        app.patch_auth("/api/v1/settings", &t, &json!({"duplicate_policy": "ignore", "pool_return_days": 0})).await;
    let p = problem(res, 422, "validation.failed").await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 2);
    let res = app.patch_auth("/api/v1/settings", &t, &json!({"pool_return_days": null})).await;
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["pool_return_days"], Value::Null);
    assert_eq!(s["duplicate_policy"], "refuse", "absent fields stay");
    let audit: Value = app.get_auth("/api/v1/audit-log?entity_type=tenant_settings", &t).await.json().await.unwrap();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{audit}");
    // Another tenant's settings are its own.
    app.create(
        "/api/v1/tenants",
        &t,
        json!({"code": "acme", "name": "Acme", "admin_username": "boss", "admin_password": "boss-pass-1234"}),
    )
    .await;
    let other = app.login_in("acme", "boss", "boss-pass-1234").await;
    let s: Value = app.get_auth("/api/v1/settings", &other).await.json().await.unwrap();
    assert_eq!(s["duplicate_policy"], "warn");
}
