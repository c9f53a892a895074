//! The outbox's delivery side, as a dispatcher uses it (`crm_store::integration::delivery`), on
//! both databases: a claim leases what is due, an expired lease is claimable again, delivered and
//! parked messages are never claimed, an attempt's outcome is written only by its own claimer,
//! and concurrent claimers never get the same message.

use crate::helpers::{Db, TestApp};
use crate::on_both_dbs;
use chrono::{DateTime, Duration, Utc};
use crm_domain::ids::{EventId, TenantId};
use crm_domain::integration::OutboxStatus;
use crm_domain::integration::events::{AggregateType, EventType};
use crm_store::integration::delivery::{self, MAX_ERROR_CHARS};
use crm_store::integration::outbox::{self, NewOutboxEvent, OutboxMessage};
use crm_store::{ConnectionTrait, Store};
use sea_orm::Statement;
use serde_json::json;
use std::collections::HashSet;

on_both_dbs!(integration_claims_lease_and_settle_messages, integration_concurrent_claimers_never_share_a_message);

async fn tenant(store: &Store) -> TenantId {
    let c = store.conn();
    let row = c
        .query_one_raw(Statement::from_string(
            c.get_database_backend(),
            "SELECT id FROM tenants WHERE code = 'default'",
        ))
        .await
        .unwrap()
        .expect("the default tenant");
    TenantId(row.try_get("", "id").unwrap())
}

/// Appends `n` events written at `at`; returns their ids in order.
async fn append(store: &Store, tenant: TenantId, n: usize, at: DateTime<Utc>) -> Vec<EventId> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = EventId::new();
        outbox::append(
            store.conn(),
            NewOutboxEvent {
                tenant_id: tenant,
                id,
                event_type: EventType::MemberUpdated,
                event_version: 1,
                aggregate_type: AggregateType::Member,
                aggregate_id: uuid::Uuid::now_v7(),
                payload: json!({"n": i}),
                occurred_at: at,
                actor_type: "system".to_owned(),
                actor_id: None,
                request_id: None,
            },
        )
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

fn ids(ms: &[OutboxMessage]) -> Vec<EventId> {
    ms.iter().map(|m| m.id).collect()
}

async fn integration_claims_lease_and_settle_messages(db: Db) {
    let app = TestApp::spawn(db).await;
    let store = app.store().await;
    let c = store.conn();
    let t = tenant(&store).await;
    let now = Utc::now();
    let lease = Duration::seconds(30);
    let written = append(&store, t, 5, now).await;

    // Oldest first, leased, one attempt counted; what is leased is not claimed again.
    let first = delivery::claim(c, now, 3, lease).await.unwrap();
    assert_eq!(ids(&first), written[..3]);
    assert!(first.iter().all(|m| m.attempts == 1 && m.status == OutboxStatus::Pending), "{first:?}");
    assert!(first.iter().all(|m| m.next_attempt_at > now + Duration::seconds(29)), "leased: {first:?}");
    let rest = delivery::claim(c, now, 10, lease).await.unwrap();
    assert_eq!(ids(&rest), written[3..]);
    assert!(delivery::claim(c, now, 10, lease).await.unwrap().is_empty(), "everything is leased");

    // Delivered: settled once; its key no longer settles anything.
    let delivered = first[0].claim_key();
    assert!(delivery::mark_delivered(c, delivered, now).await.unwrap());
    assert!(!delivery::mark_delivered(c, delivered, now).await.unwrap());
    assert!(!delivery::park(c, delivered, "late").await.unwrap(), "a delivered message is never parked");

    // Retried later: due again then, as the next attempt.
    let retried = first[1].claim_key();
    assert!(delivery::retry_later(c, retried, now + Duration::seconds(1), "503 from the endpoint").await.unwrap());
    assert!(delivery::claim(c, now, 10, lease).await.unwrap().is_empty(), "not due yet");
    let again = delivery::claim(c, now + Duration::seconds(2), 10, lease).await.unwrap();
    assert_eq!(ids(&again), [written[1]]);
    assert_eq!((again[0].attempts, again[0].last_error.as_deref()), (2, Some("503 from the endpoint")));
    // The first attempt's claimer is too late to settle it.
    assert!(!delivery::mark_delivered(c, retried, now).await.unwrap());
    assert!(!delivery::retry_later(c, retried, now, "stale").await.unwrap());

    // A lease that expires (its claimer died) is claimable again; the delivered one never is.
    let expired = delivery::claim(c, now + Duration::seconds(31), 10, lease).await.unwrap();
    assert_eq!(ids(&expired), [written[2], written[3], written[4]]);
    assert!(expired.iter().all(|m| m.attempts == 2), "{expired:?}");

    // Parked: kept with its (clipped) error for operators, never claimed again.
    let long = "x".repeat(MAX_ERROR_CHARS + 500);
    assert!(delivery::park(c, expired[0].claim_key(), &long).await.unwrap());
    let parked = delivery::parked(c, t, None, 10).await.unwrap();
    assert_eq!(ids(&parked), [written[2]]);
    assert_eq!(parked[0].status, OutboxStatus::Parked);
    assert_eq!(parked[0].last_error.as_ref().map(|e| e.chars().count()), Some(MAX_ERROR_CHARS));
    for m in &expired[1..] {
        assert!(delivery::mark_delivered(c, m.claim_key(), now).await.unwrap());
    }
    assert!(delivery::mark_delivered(c, again[0].claim_key(), now).await.unwrap());
    let later = delivery::claim(c, now + Duration::days(365), 10, lease).await.unwrap();
    assert!(later.is_empty(), "delivered and parked messages are never claimed: {later:?}");

    // Operators see the delivery state through the API as well.
    let token = app.admin_token().await;
    let body: serde_json::Value =
        app.get_auth("/api/v1/outbox-events?status=parked", &token).await.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(
        (items[0]["id"].as_str(), items[0]["status"].as_str()),
        (Some(written[2].to_string().as_str()), Some("parked"))
    );
    assert_eq!(items[0]["attempts"], 2);
    let delivered_ones: serde_json::Value =
        app.get_auth("/api/v1/outbox-events?status=delivered", &token).await.json().await.unwrap();
    assert_eq!(delivered_ones["items"].as_array().unwrap().len(), 4, "{delivered_ones}");
    assert!(delivered_ones["items"].as_array().unwrap().iter().all(|e| e["delivered_at"].is_string()));
}

async fn integration_concurrent_claimers_never_share_a_message(db: Db) {
    const ROUNDS: usize = 5;
    const PER_ROUND: usize = 60;
    let app = TestApp::spawn(db).await;
    let store = app.store().await;
    let t = tenant(&store).await;
    for round in 0..ROUNDS {
        let now = Utc::now();
        let written: HashSet<EventId> = append(&store, t, PER_ROUND, now).await.into_iter().collect();
        // Four claimers, small batches, each settling what it took, until nothing is due.
        let claimer = |store: Store| async move {
            let mut got = Vec::new();
            loop {
                let batch = delivery::claim(store.conn(), now, 4, Duration::minutes(5)).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                for m in &batch {
                    assert!(delivery::mark_delivered(store.conn(), m.claim_key(), now).await.unwrap(), "{m:?}");
                }
                got.extend(ids(&batch));
                tokio::task::yield_now().await;
            }
        };
        let runs = (0..4).map(|_| tokio::spawn(claimer(store.clone())));
        let mut all = Vec::new();
        for r in futures_util::future::join_all(runs).await {
            all.extend(r.unwrap());
        }
        let distinct: HashSet<EventId> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len(), "round {round}: a message was claimed twice");
        assert_eq!(distinct, written, "round {round}: every message was claimed");
    }
}
