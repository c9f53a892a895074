//! The outbox over HTTP: every event carries its type, payload version and a payload that is the
//! public contract (ids, card numbers, levels, channel; no audit diff), the payload schemas are in
//! the OpenAPI document, and the list refuses unknown or invalid query parameters by name.

use crate::helpers::{Db, TestApp, problem};
use crate::membership_enrollment::{apply_onsite, enroll, expect, items, level, outbox, phone, s};
use crate::on_both_dbs;
use serde_json::{Value, json};

on_both_dbs!(integration_events_carry_the_contract, integration_outbox_list_refuses_bad_parameters);

/// The one event of `event_type` about `id`.
async fn one(app: &TestApp, t: &str, event_type: &str, id: &str) -> Value {
    let mut events = outbox(app, t, event_type, id).await;
    assert_eq!(events.len(), 1, "{event_type}: {events:?}");
    let e = events.remove(0);
    assert_eq!((e["event_type"].as_str(), e["event_version"].as_i64()), (Some(event_type), Some(1)), "{e}");
    e
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

async fn integration_events_carry_the_contract(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let m = enroll(&app, &t, "张伟", &phone(1)).await;
    let mid = s(&m, "id");

    let e = one(&app, &t, "member.enrolled", &mid).await;
    assert_eq!((e["aggregate_type"].as_str(), e["aggregate_id"].as_str()), (Some("member"), Some(mid.as_str())));
    let p = &e["payload"];
    assert_eq!(keys(p), ["application_id", "card_no", "channel", "customer_id", "joined_at", "level_id", "member_id"]);
    assert_eq!(
        (p["member_id"].as_str(), p["card_no"].clone(), p["channel"].as_str()),
        (Some(mid.as_str()), m["card_no"].clone(), Some("onsite"))
    );
    assert_eq!(p["customer_id"], m["customer_id"]);
    assert!(p["application_id"].is_string() && p["joined_at"].is_string(), "{p}");

    let submitted = items(&app, &t, "/api/v1/outbox-events?event_type=enrollment_application.submitted").await;
    assert_eq!(submitted.len(), 1, "{submitted:?}");
    assert_eq!(submitted[0]["aggregate_type"], "enrollment_application");
    assert_eq!(submitted[0]["payload"]["application_id"], p["application_id"]);
    assert_eq!(
        (submitted[0]["payload"]["channel"].as_str(), submitted[0]["payload"]["clean"].as_bool()),
        (Some("onsite"), Some(true))
    );

    // A level change names both levels and why.
    let gold = level(&app, &t, "金卡", 10).await;
    let body = json!({"level_id": gold, "reason": "贵宾"});
    expect(app.post_auth(&format!("/api/v1/members/{mid}/level"), &t, &body).await, 200, "change level").await;
    let e = one(&app, &t, "member.level_changed", &mid).await;
    assert_eq!(
        (e["payload"]["from_level_id"].clone(), e["payload"]["to_level_id"].as_str()),
        (Value::Null, Some(gold.as_str()))
    );
    assert_eq!((e["payload"]["source"].as_str(), e["payload"]["reason"].as_str()), (Some("manual"), Some("贵宾")));
    assert!(e["payload"].get("level_id").is_none(), "not the audit diff: {e}");

    // A replaced card names the old and the new number.
    let old = s(&m, "card_no");
    let replaced =
        expect(app.post_auth(&format!("/api/v1/members/{mid}/replace-card"), &t, &json!({})).await, 200, "replace")
            .await;
    let e = one(&app, &t, "member.card_replaced", &mid).await;
    assert_eq!(e["payload"]["previous_card_no"].as_str(), Some(old.as_str()));
    assert_eq!(e["payload"]["card_no"], replaced["card_no"]);
    assert!(e["payload"].get("status").is_none(), "not the audit diff: {e}");

    // A rejected application says why.
    let a = apply_onsite(&app, &t, "李娜", &phone(2)).await;
    let aid = s(&a, "id");
    let res = app
        .post_auth(&format!("/api/v1/enrollment-applications/{aid}/reject"), &t, &json!({"reason": "资料不全"}))
        .await;
    expect(res, 200, "reject").await;
    let e = one(&app, &t, "enrollment_application.rejected", &aid).await;
    assert_eq!(keys(&e["payload"]), ["application_id", "reason"]);

    // The payload schemas are part of the document, and the outbox's payload is one of them.
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    for name in ["MemberEnrolledV1", "MemberCardReplacedV1", "EnrollmentApplicationRejectedV1"] {
        assert!(schemas[name]["properties"].is_object(), "{name} in the components");
    }
    let enrolled = &schemas["MemberEnrolledV1"];
    assert!(enrolled["required"].as_array().unwrap().contains(&json!("card_no")), "{enrolled}");
    let payload = &schemas["OutboxEventView"]["properties"]["payload"];
    assert!(
        payload["anyOf"]
            .as_array()
            .is_some_and(|a| a.contains(&json!({"$ref": "#/components/schemas/MemberEnrolledV1"}))),
        "{payload}"
    );
    assert!(doc["tags"].as_array().unwrap().iter().any(|t| t["name"] == "integration"));
}

async fn integration_outbox_list_refuses_bad_parameters(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.admin_token().await;
    let p = problem(
        app.get_auth("/api/v1/outbox-events?evnt_type=member.enrolled", &t).await,
        400,
        "request.invalid_query",
    )
    .await;
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("/evnt_type"), Some("unknown_field")),
        "{p}"
    );
    let p = problem(app.get_auth("/api/v1/outbox-events?status=sent", &t).await, 400, "request.invalid_query").await;
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("/status"), Some("invalid_value")),
        "{p}"
    );
    assert!(p["errors"][0]["message"].as_str().is_some_and(|m| m.contains("parked")), "the allowed values: {p}");
    let p = problem(
        app.get_auth("/api/v1/outbox-events?event_type=member.enroled", &t).await,
        400,
        "request.invalid_query",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/event_type", "{p}");
    // Valid filters still answer.
    assert!(items(&app, &t, "/api/v1/outbox-events?event_type=member.enrolled&status=pending").await.is_empty());
}
