//! crm-integrations: outbound delivery, the only place a provider is called. It depends on
//! `crm-domain` and `crm-store` only; `crm-server` runs it beside the API.
//!
//! What belongs here (with the webhook issue): the outbox dispatcher, webhooks signed as Standard
//! Webhooks (`webhook-id` = the event id, body `{type, version, timestamp, data}` with `data` the
//! event's versioned payload from `crm_domain::integration::events`), SMS (Aliyun, Tencent) and
//! email (lettre). The dispatcher works on what `crm_store::integration::delivery` offers:
//! `claim` due messages under a lease (any number of instances; `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), then per message `mark_delivered`, `retry_later` with its backoff, or `park` after
//! the last attempt, each fenced by the attempt it claimed; operators read `parked` messages.
