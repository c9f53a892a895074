//! The points ledger as raw SQL, for the `ledger` benchmarks' baselines: a purchase's transaction
//! (the purchase, its two pending entries, the two balance upserts, two outbox events, an audit
//! entry), a batch of entries with its balance upserts, and a plan's carry-over batch by batch;
//! and the carry-over fixture: members with reward balances in past plans, inserted directly
//! (customers, members, one entry and one balance row per member and plan).

use crate::raw::{Raw, insert_customers, insert_members, insert_rows, rows_statement};
use anyhow::bail;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;
use uuid::Uuid;

/// Rows per multi-row statement and members per carry-over transaction (the server's batch).
/// An entry is 17 values wide: 17,000 variables, within SQLite's 32,766.
pub const ROWS: usize = 1000;

const PURCHASES: &str = "purchases (tenant_id, id, source, external_id, member_id, plan_id, amount_fen, currency, \
    occurred_at, business_date, description, request_hash, status, effective_when, reward_points, upgrade_points, \
    paid_fen, refunded_fen, effective_at, cancelled_at, cancel_reason, created_by, created_at, updated_at)";
const ENTRIES: &str = "points_entries (tenant_id, id, member_id, plan_id, kind, status, delta, source_type, source_id, \
    item, purchase_id, reason, business_date, actor_type, actor_id, request_id, created_at)";
const BALANCES: &str = "points_balances (tenant_id, member_id, plan_key, kind, available, pending, updated_at)";
/// The server's balance upsert: deltas added to the row, which is returned.
const ADD_TO_BALANCES: &str = "ON CONFLICT (tenant_id, member_id, plan_key, kind) DO UPDATE SET \
    available = points_balances.available + excluded.available, pending = points_balances.pending + excluded.pending, \
    updated_at = excluded.updated_at RETURNING available, pending";
const OUTBOX: &str = "outbox_events (tenant_id, id, event_type, event_version, aggregate_type, aggregate_id, payload, \
    occurred_at, actor_type, actor_id, request_id, status, attempts, next_attempt_at, delivered_at, last_error)";
const AUDIT: &str = "audit_log (tenant_id, id, occurred_at, actor_type, actor_id, request_id, action, entity_type, \
    entity_id, changes)";
const RUNS: &str = "carry_over_runs (tenant_id, id, plan_id, status, cursor, members, points, value_fen, lease_until, \
    started_by, started_at, finished_at, reversed_at)";
const REWARDS: &str = "rewards (tenant_id, id, run_id, member_id, plan_id, points, value_fen, kind, status, note, \
    redeemed_on, created_at, updated_at)";

/// The reason an activity entry of the batch workload carries (the API's items say the same).
pub const ACTIVITY_REASON: &str = "压测活动签到";

/// One ledger entry to write.
struct Entry<'a> {
    id: Uuid,
    member: Uuid,
    plan: Uuid,
    kind: &'a str,
    status: &'a str,
    delta: i64,
    source_type: &'a str,
    source_id: String,
    item: Option<&'a str>,
    purchase: Option<Uuid>,
    reason: String,
    business_date: NaiveDate,
}

impl<'a> Entry<'a> {
    /// Available reward points from `source` (type and id) outside any purchase.
    fn reward(member: Uuid, plan: Uuid, delta: i64, source: (&'a str, String), reason: String, day: NaiveDate) -> Self {
        Self {
            id: Uuid::now_v7(),
            member,
            plan,
            kind: "reward",
            status: "available",
            delta,
            source_type: source.0,
            source_id: source.1,
            item: None,
            purchase: None,
            reason,
            business_date: day,
        }
    }
}

/// Deltas per balance row `(member, plan, kind)`: `(available, pending)`, in key order (one
/// upsert may not touch a row twice; every writer takes the rows in the same order).
type Deltas = BTreeMap<(Uuid, Uuid, &'static str), (i64, i64)>;

/// A purchase for [`RawLedger::purchase`]: pushed now, earning `points` reward and upgrade
/// points (pending) in `plan`.
pub struct Purchase {
    pub plan: Uuid,
    pub member: Uuid,
    pub external_id: String,
    pub amount_fen: i64,
    pub points: i64,
    pub business_date: NaiveDate,
}

/// A past plan to carry over, as created through the API.
#[derive(Debug, Clone, Copy)]
pub struct PastPlan {
    pub id: Uuid,
    pub ends_on: NaiveDate,
    pub min_points: i64,
    pub point_value_fen: i64,
}

/// What a carry-over did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carried {
    pub members: i64,
    pub points: i64,
}

/// The raw pool writing ledger rows as the bench's administrator (`actor`), like the server does.
#[derive(Clone)]
pub struct RawLedger {
    raw: Raw,
    actor: Uuid,
}

fn money(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

impl RawLedger {
    pub fn new(raw: Raw, actor: Uuid) -> Self {
        Self { raw, actor }
    }

    fn backend(&self) -> DbBackend {
        self.raw.db().get_database_backend()
    }

    fn entry_row(&self, e: Entry<'_>, at: DateTime<Utc>) -> Vec<Value> {
        vec![
            self.raw.tenant().into(),
            e.id.into(),
            e.member.into(),
            Some(e.plan).into(),
            e.kind.into(),
            e.status.into(),
            e.delta.into(),
            e.source_type.into(),
            e.source_id.into(),
            e.item.map(str::to_owned).into(),
            e.purchase.into(),
            Some(e.reason).into(),
            e.business_date.into(),
            "user".into(),
            Some(self.actor).into(),
            Option::<String>::None.into(),
            at.into(),
        ]
    }

    fn outbox_row(
        &self,
        (event_type, aggregate_type): (&str, &str),
        aggregate: Uuid,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Vec<Value> {
        vec![
            self.raw.tenant().into(),
            Uuid::now_v7().into(),
            event_type.into(),
            1i32.into(),
            aggregate_type.into(),
            aggregate.into(),
            payload.to_string().into(),
            at.into(),
            "user".into(),
            Some(self.actor).into(),
            Option::<String>::None.into(),
            "pending".into(),
            0i32.into(),
            at.into(),
            Option::<DateTime<Utc>>::None.into(),
            Option::<String>::None.into(),
        ]
    }

    fn audit_row(&self, (action, entity_type): (&str, &str), entity: Uuid, changes: serde_json::Value) -> Vec<Value> {
        vec![
            self.raw.tenant().into(),
            Uuid::now_v7().into(),
            Utc::now().into(),
            "user".into(),
            Some(self.actor).into(),
            Option::<String>::None.into(),
            action.into(),
            entity_type.into(),
            entity.into(),
            changes.to_string().into(),
        ]
    }

    /// Adds `deltas` to their balance rows (inserted when missing), `ROWS` rows per upsert, each
    /// returning the rows as they are now.
    async fn add_to_balances(&self, c: &impl ConnectionTrait, deltas: Deltas, at: DateTime<Utc>) -> anyhow::Result<()> {
        let rows: Vec<Vec<Value>> = deltas
            .into_iter()
            .map(|((member, plan, kind), (available, pending))| -> Vec<Value> {
                vec![
                    self.raw.tenant().into(),
                    member.into(),
                    plan.into(),
                    kind.into(),
                    available.into(),
                    pending.into(),
                    at.into(),
                ]
            })
            .collect();
        for chunk in rows.chunks(ROWS) {
            let upsert = rows_statement(self.backend(), BALANCES, chunk.to_vec(), ADD_TO_BALANCES);
            let back = c.query_all_raw(upsert).await?;
            if back.len() != chunk.len() {
                bail!("balance upsert returned {} rows of {}", back.len(), chunk.len());
            }
        }
        Ok(())
    }

    /// Appends `rows` to `table`, `ROWS` per statement.
    async fn append(c: &impl ConnectionTrait, table: &str, rows: Vec<Vec<Value>>) -> anyhow::Result<()> {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            insert_rows(c, table, rows.by_ref().take(ROWS).collect(), "").await?;
        }
        Ok(())
    }

    /// A purchase push's writes, in the server's order, in one transaction: the purchase
    /// (`ON CONFLICT (tenant_id, source, external_id) DO NOTHING`), its reward and upgrade
    /// entries (pending; one 2-row insert), their balances (one 2-row upsert), the
    /// `purchase.recorded` and `points.credited` events, the audit entry.
    pub async fn purchase(&self, p: &Purchase) -> anyhow::Result<()> {
        let tenant = self.raw.tenant();
        let now = Utc::now();
        let id = Uuid::now_v7();
        let hash = format!("{}{}", Uuid::now_v7().simple(), Uuid::now_v7().simple());
        let amount = money(p.amount_fen);
        let tx = self.raw.begin().await?;
        let purchase: Vec<Value> = vec![
            tenant.into(),
            id.into(),
            "bench-raw".into(),
            p.external_id.clone().into(),
            p.member.into(),
            Some(p.plan).into(),
            p.amount_fen.into(),
            "CNY".into(),
            now.into(),
            p.business_date.into(),
            Some("压测认购".to_owned()).into(),
            hash.into(),
            "pending".into(),
            Some("paid_in_full".to_owned()).into(),
            p.points.into(),
            p.points.into(),
            0i64.into(),
            0i64.into(),
            Option::<DateTime<Utc>>::None.into(),
            Option::<DateTime<Utc>>::None.into(),
            Option::<String>::None.into(),
            Some(self.actor).into(),
            now.into(),
            now.into(),
        ];
        let tail = "ON CONFLICT (tenant_id, source, external_id) DO NOTHING";
        if insert_rows(&tx, PURCHASES, vec![purchase], tail).await? != 1 {
            bail!("purchase {} was there already", p.external_id);
        }
        let reason = format!(
            "purchase of {amount} CNY: 1 reward and 1 upgrade points per 100.00, rounded down; reward points x 1 (level multiplier)"
        );
        let entry = |kind| Entry {
            id: Uuid::now_v7(),
            member: p.member,
            plan: p.plan,
            kind,
            status: "pending",
            delta: p.points,
            source_type: "purchase",
            source_id: id.to_string(),
            item: Some("purchase"),
            purchase: Some(id),
            reason: reason.clone(),
            business_date: p.business_date,
        };
        let entries = vec![self.entry_row(entry("reward"), now), self.entry_row(entry("upgrade"), now)];
        insert_rows(&tx, ENTRIES, entries, "").await?;
        let deltas: Deltas = [("reward", (0, p.points)), ("upgrade", (0, p.points))]
            .into_iter()
            .map(|(kind, d)| ((p.member, p.plan, kind), d))
            .collect();
        self.add_to_balances(&tx, deltas, now).await?;
        let recorded = json!({
            "purchase_id": id, "member_id": p.member, "source": "bench-raw", "external_id": p.external_id,
            "amount": amount, "currency": "CNY", "occurred_at": now, "status": "pending", "plan_id": p.plan,
            "reward_points": p.points, "upgrade_points": p.points,
        });
        insert_rows(&tx, OUTBOX, vec![self.outbox_row(("purchase.recorded", "purchase"), id, recorded, now)], "")
            .await?;
        let credited = json!({
            "member_id": p.member, "source_type": "purchase", "source_id": id.to_string(), "purchase_id": id,
            "reason": reason, "entries": [
                {"kind": "reward", "status": "pending", "delta": p.points, "plan_id": p.plan},
                {"kind": "upgrade", "status": "pending", "delta": p.points, "plan_id": p.plan},
            ],
        });
        insert_rows(&tx, OUTBOX, vec![self.outbox_row(("points.credited", "member"), p.member, credited, now)], "")
            .await?;
        let changes = json!({
            "source": "bench-raw", "external_id": p.external_id, "member_id": p.member, "amount": amount,
            "currency": "CNY", "plan_id": p.plan, "reward_points": p.points, "upgrade_points": p.points,
        });
        insert_rows(&tx, AUDIT, vec![self.audit_row(("create", "purchase"), id, changes)], "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// A batch of activity entries (`delta` reward points, available, in `plan`) for `members`
    /// (source ids `{tag}-{i}`) in one transaction: one multi-row insert of the entries, one
    /// multi-row upsert of their balances (per `ROWS`).
    pub async fn entries_batch(
        &self,
        plan: Uuid,
        day: NaiveDate,
        members: &[Uuid],
        tag: &str,
        delta: i64,
    ) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut deltas = Deltas::new();
        let mut rows = Vec::with_capacity(members.len());
        for (i, &member) in members.iter().enumerate() {
            deltas.entry((member, plan, "reward")).or_default().0 += delta;
            let source = ("activity", format!("{tag}-{i}"));
            let e = Entry::reward(member, plan, delta, source, ACTIVITY_REASON.to_owned(), day);
            rows.push(self.entry_row(e, now));
        }
        let tx = self.raw.begin().await?;
        Self::append(&tx, ENTRIES, rows).await?;
        self.add_to_balances(&tx, deltas, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Carries `plan` over as the server does, as raw SQL: a run row (and its audit entry), then
    /// per transaction the next [`ROWS`] reward balances of at least the minimum in member order
    /// (locked on PostgreSQL, as the run row is), their debit entries, the balance upserts, the
    /// rewards and their `reward.created` events, and the run's cursor and totals; the last
    /// batch completes the run.
    pub async fn carry_over(&self, plan: &PastPlan) -> anyhow::Result<Carried> {
        let tenant = self.raw.tenant();
        let run = Uuid::now_v7();
        let started = Utc::now();
        let lease = || Utc::now() + chrono::Duration::seconds(60);
        let value_fen = |done: Carried| done.points * plan.point_value_fen;
        let row: Vec<Value> = vec![
            tenant.into(),
            run.into(),
            plan.id.into(),
            "running".into(),
            Option::<Uuid>::None.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            Some(lease()).into(),
            Some(self.actor).into(),
            started.into(),
            Option::<DateTime<Utc>>::None.into(),
            Option::<DateTime<Utc>>::None.into(),
        ];
        let tx = self.raw.begin().await?;
        insert_rows(&tx, RUNS, vec![row], "").await?;
        let a = json!({"plan_id": plan.id, "min_points": plan.min_points, "point_value": money(plan.point_value_fen)});
        insert_rows(&tx, AUDIT, vec![self.audit_row(("start", "carry_over_run"), run, a)], "").await?;
        tx.commit().await?;

        let lock = if self.backend() == DbBackend::Postgres { " FOR UPDATE" } else { "" };
        let (mut cursor, mut done) = (None::<Uuid>, Carried::default());
        loop {
            let tx = self.raw.begin().await?;
            let status = tx
                .query_one_raw(self.raw.stmt(
                    &format!("SELECT status FROM carry_over_runs WHERE tenant_id = $1 AND id = $2{lock}"),
                    vec![tenant.into(), run.into()],
                ))
                .await?;
            if status.map(|r| r.try_get::<String>("", "status")).transpose()?.as_deref() != Some("running") {
                bail!("raw carry-over run {run} is not running");
            }
            let batch = tx
                .query_all_raw(self.raw.stmt(
                    &format!(
                        "SELECT member_id, available FROM points_balances WHERE tenant_id = $1 AND plan_key = $2 \
                         AND kind = 'reward' AND available >= $3 AND member_id > $4 ORDER BY member_id LIMIT {ROWS}{lock}"
                    ),
                    vec![tenant.into(), plan.id.into(), plan.min_points.max(1).into(), cursor.unwrap_or_default().into()],
                ))
                .await?;
            let now = Utc::now();
            let (mut debits, mut rewards, mut events, mut deltas) = (Vec::new(), Vec::new(), Vec::new(), Deltas::new());
            for row in &batch {
                let member: Uuid = row.try_get("", "member_id")?;
                let points: i64 = row.try_get("", "available")?;
                let value = money(points * plan.point_value_fen);
                let (entry, reward) = (Uuid::now_v7(), Uuid::now_v7());
                let source = ("carry_over", format!("{run}:{member}"));
                let reason = format!("carried over into a cash reward worth {value}");
                let debit =
                    Entry { id: entry, ..Entry::reward(member, plan.id, -points, source, reason, plan.ends_on) };
                debits.push(self.entry_row(debit, now));
                deltas.insert((member, plan.id, "reward"), (-points, 0));
                rewards.push(vec![
                    tenant.into(),
                    reward.into(),
                    run.into(),
                    member.into(),
                    plan.id.into(),
                    points.into(),
                    (points * plan.point_value_fen).into(),
                    "cash".into(),
                    "issued".into(),
                    Option::<String>::None.into(),
                    Option::<NaiveDate>::None.into(),
                    now.into(),
                    now.into(),
                ]);
                let created = json!({
                    "reward_id": reward, "run_id": run, "member_id": member, "plan_id": plan.id, "points": points,
                    "value": value, "kind": "cash", "entry_id": entry,
                });
                events.push(self.outbox_row(("reward.created", "reward"), reward, created, now));
                done.members += 1;
                done.points += points;
            }
            Self::append(&tx, ENTRIES, debits).await?;
            self.add_to_balances(&tx, deltas, now).await?;
            Self::append(&tx, REWARDS, rewards).await?;
            Self::append(&tx, OUTBOX, events).await?;
            cursor = batch.last().map(|r| r.try_get::<Uuid>("", "member_id")).transpose()?.or(cursor);
            let last = batch.len() < ROWS;
            let update = "UPDATE carry_over_runs SET status = $1, cursor = $2, members = $3, points = $4, \
                          value_fen = $5, lease_until = $6, finished_at = $7 WHERE tenant_id = $8 AND id = $9";
            let values: Vec<Value> = vec![
                (if last { "completed" } else { "running" }).into(),
                cursor.into(),
                done.members.into(),
                done.points.into(),
                value_fen(done).into(),
                (!last).then(lease).into(),
                last.then_some(now).into(),
                tenant.into(),
                run.into(),
            ];
            tx.execute_raw(self.raw.stmt(update, values)).await?;
            if last {
                let a = json!({"members": done.members, "points": done.points, "value": money(value_fen(done))});
                insert_rows(&tx, AUDIT, vec![self.audit_row(("complete", "carry_over_run"), run, a)], "").await?;
            }
            tx.commit().await?;
            if last {
                return Ok(done);
            }
        }
    }

    /// The carry-over fixture: `n` members (customers [`crate::customer`]`(first + k)`, cards
    /// `L` + k), each with `100 + k % 900` available reward points in every plan of `plans` (one
    /// `activity` entry dated the plan's last day and its balance row), [`ROWS`] members per
    /// transaction; then `ANALYZE`, as autovacuum would.
    pub async fn seed_carry_over(&self, plans: &[PastPlan], first: u64, n: u64) -> anyhow::Result<()> {
        if self.raw.db().get_database_backend() == DbBackend::Postgres {
            return self.seed_carry_over_in_postgres(plans, n).await;
        }
        let tenant = self.raw.tenant();
        let (started, mut reported) = (Instant::now(), Instant::now());
        let chunk = ROWS as u64;
        for c in 0..n.div_ceil(chunk) {
            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(n));
            let now = Utc::now();
            let tx = self.raw.begin().await?;
            let customers = insert_customers(&tx, tenant, first + lo..first + hi).await?;
            let members = insert_members(&tx, tenant, "L", lo, &customers).await?;
            for plan in plans {
                let (mut entries, mut balances) = (Vec::new(), Vec::new());
                for (k, &member) in (lo..hi).zip(&members) {
                    let points = 100 + (k % 900) as i64;
                    let source = ("activity", format!("seed:{}:{k}", plan.id));
                    let e = Entry::reward(member, plan.id, points, source, "压测结转数据".to_owned(), plan.ends_on);
                    entries.push(self.entry_row(e, now));
                    let b: Vec<Value> = vec![
                        tenant.into(),
                        member.into(),
                        plan.id.into(),
                        "reward".into(),
                        points.into(),
                        0i64.into(),
                        now.into(),
                    ];
                    balances.push(b);
                }
                Self::append(&tx, ENTRIES, entries).await?;
                Self::append(&tx, BALANCES, balances).await?;
            }
            tx.commit().await?;
            if reported.elapsed().as_secs() >= 30 {
                eprintln!("carry-over fixture: {hi} / {n} members in {:.0} s", started.elapsed().as_secs_f64());
                reported = Instant::now();
            }
        }
        self.raw.db().execute_unprepared("ANALYZE").await?;
        Ok(())
    }
}

impl RawLedger {
    /// [`Self::seed_carry_over`] on PostgreSQL, generated by the server (`generate_series`, one
    /// `INSERT ... SELECT` per table): sent from the client 1000 per transaction, a million members
    /// took hours here (from about 930 members/s at the start to 130/s after 80,000). The same
    /// rows: member `k` has
    /// `100 + k % 900` available reward points in every plan, one `activity` entry dated the
    /// plan's last day and its balance row (customers get generated names and `+8619...` phones).
    async fn seed_carry_over_in_postgres(&self, plans: &[PastPlan], n: u64) -> anyhow::Result<()> {
        let t = Instant::now();
        let tenant = self.raw.tenant();
        let db = self.raw.db();
        let run = |sql: String, values: Vec<Value>| {
            let stmt = sea_orm::Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
            async move { db.execute_raw(stmt).await }
        };
        // `k` travels as the customer's change number (above every real one).
        const SEQ: i64 = 50_000_000_000;
        run(
            format!(
                "INSERT INTO customers (tenant_id, id, kind, name, name_norm, name_pinyin, name_initials, phone, \
                 phone_last4, grade, custom_fields, created_at, updated_at, change_seq) \
                 SELECT $1, gen_random_uuid(), 'person', 'co' || k, 'co' || k, 'co' || k, 'co', \
                 '+86' || (19000000000 + k), right((19000000000 + k)::text, 4), 'prospect', '{{}}', now(), now(), {SEQ} + k \
                 FROM generate_series(0, $2::bigint - 1) AS k"
            ),
            vec![tenant.into(), (n as i64).into()],
        )
        .await?;
        run(
            format!(
                "INSERT INTO members (tenant_id, id, customer_id, card_no, status, channel, joined_at, created_at, updated_at) \
                 SELECT c.tenant_id, gen_random_uuid(), c.id, 'L' || lpad((c.change_seq - {SEQ})::text, 8, '0'), \
                 'active', 'import', now(), now(), now() \
                 FROM customers c WHERE c.tenant_id = $1 AND c.change_seq >= {SEQ}"
            ),
            vec![tenant.into()],
        )
        .await?;
        for plan in plans {
            let members = format!(
                "FROM members m JOIN customers c ON c.tenant_id = m.tenant_id AND c.id = m.customer_id \
                 WHERE m.tenant_id = $1 AND c.change_seq >= {SEQ}"
            );
            let points = format!("(100 + (c.change_seq - {SEQ}) % 900)");
            run(
                format!(
                    "INSERT INTO points_entries (tenant_id, id, member_id, plan_id, kind, status, delta, source_type, \
                     source_id, item, purchase_id, reason, business_date, actor_type, actor_id, request_id, created_at) \
                     SELECT m.tenant_id, gen_random_uuid(), m.id, $2, 'reward', 'available', {points}, 'activity', \
                     'seed:' || $2::text || ':' || (c.change_seq - {SEQ}), NULL, NULL, $3, $4, 'system', NULL, NULL, now() \
                     {members}"
                ),
                vec![tenant.into(), plan.id.into(), "压测结转数据".into(), plan.ends_on.into()],
            )
            .await?;
            run(
                format!(
                    "INSERT INTO points_balances (tenant_id, member_id, plan_key, kind, available, pending, updated_at) \
                     SELECT m.tenant_id, m.id, $2, 'reward', {points}, 0, now() {members}"
                ),
                vec![tenant.into(), plan.id.into()],
            )
            .await?;
        }
        db.execute_unprepared("ANALYZE").await?;
        eprintln!("carry-over fixture: {n} members generated by PostgreSQL in {:.0} s", t.elapsed().as_secs_f64());
        Ok(())
    }
}

/// The points a carry-over of the fixture's members `0..n` moves: `100 + k % 900` each.
pub fn fixture_points(n: u64) -> i64 {
    (0..n).map(|k| 100 + (k % 900) as i64).sum()
}
