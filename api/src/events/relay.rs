//! The relay gives committed outbox rows their event number and hands them to the hub and the
//! bus. It wakes after every local commit and on every poll, so rows committed by a process
//! that died before relaying (or by another instance) are sequenced all the same: the poll is
//! the sweeper of ARCHITECTURE.md.
//!
//! Numbers are taken from the one-row `event_sequence` table inside the sequencing
//! transaction, which locks that row (on PostgreSQL `FOR UPDATE` inside
//! `mercato_sequence_events`, migration 10; on SQLite the write lock): sequencing transactions
//! run one at a time across all instances, so numbers are gapless and follow commit order.
//! Replaying "everything after n" therefore never misses an event that commits later with a
//! smaller number.
use super::bus::Bus;
use super::hub::Hub;
use super::{Event, watch_commits};
use crate::db;
use crate::error::AppResult;
use chrono::{Duration as Days, Utc};
use entity::outbox;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Rows sequenced per transaction.
const BATCH: u64 = 500;

/// Passes woken by commits start at least this far apart. Under load commits arrive every few
/// milliseconds, and a pass after each would number one or two rows and pay a round trip and a
/// WAL flush each time (1.6 passes per order placed, measured). Spaced out, a pass takes what
/// committed meanwhile; an event waits at most this much longer, and only under load — a
/// commit after a quiet spell is sequenced at once.
const MIN_GAP: Duration = Duration::from_millis(10);

/// The credit deltas (migration 9) are folded at least this often while orders are written,
/// besides every poll: the credit check sums the unfolded ones of its customer, and a busy
/// customer gathers hundreds a second.
const FOLD_EVERY: Duration = Duration::from_millis(200);

/// Runs until the task is aborted.
pub async fn run(db: DatabaseConnection, hub: Arc<Hub>, bus: Arc<Bus>, poll: Duration) {
    let mut commits = watch_commits();
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_pass = Instant::now();
    let mut last_fold = Instant::now();
    loop {
        let polled = tokio::select! {
            changed = commits.changed() => {
                if changed.is_err() {
                    return;
                }
                false
            }
            _ = tick.tick() => true,
        };
        let since = last_pass.elapsed();
        if !polled && since < MIN_GAP {
            tokio::time::sleep(MIN_GAP - since).await;
            // The pass below sees every commit announced meanwhile.
            commits.borrow_and_update();
        }
        last_pass = Instant::now();
        loop {
            match sequence_pending(&db, BATCH).await {
                Ok(events) if events.is_empty() => break,
                Ok(events) => {
                    let full = events.len() as u64 == BATCH;
                    metrics::counter!("mercato_events_sequenced_total")
                        .increment(events.len() as u64);
                    // Local subscribers first; the echo from Redis is dropped as a duplicate.
                    hub.offer(events.clone()).await;
                    bus.publish(&events).await;
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "sequencing outbox rows failed; retrying at the next poll");
                    break;
                }
            }
        }
        if polled {
            hub.catch_up().await;
        }
        // Housekeeping that rides on the relay: keep the credit check's unfolded deltas few.
        if polled || last_fold.elapsed() >= FOLD_EVERY {
            last_fold = Instant::now();
            if let Err(e) = crate::domain::credit::fold_deltas(&db).await {
                tracing::warn!(error = ?e, "folding credit deltas failed; retrying at the next poll");
            }
        }
        metrics::gauge!("mercato_subscriptions").set(hub.subscribers() as f64);
    }
}

/// Numbers every row committed so far without publishing it (at start-up, before any
/// subscriber exists); returns how many.
pub async fn sequence_all(db: &DatabaseConnection) -> AppResult<usize> {
    let mut n = 0;
    loop {
        let events = sequence_pending(db, BATCH).await?;
        n += events.len();
        if (events.len() as u64) < BATCH {
            return Ok(n);
        }
    }
}

/// Numbers up to `limit` unsequenced outbox rows (oldest first) and returns them as events.
pub async fn sequence_pending(db: &DatabaseConnection, limit: u64) -> AppResult<Vec<Event>> {
    match db.get_database_backend() {
        DbBackend::Postgres => sequence_in_one_statement(db, limit).await,
        _ => sequence_in_steps(db, limit).await,
    }
}

/// PostgreSQL: the whole pass is `mercato_sequence_events` (migration 10), one round trip.
async fn sequence_in_one_statement(db: &DatabaseConnection, limit: u64) -> AppResult<Vec<Event>> {
    let rows = outbox::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT * FROM mercato_sequence_events($1)",
            [i32::try_from(limit).unwrap_or(i32::MAX).into()],
        ))
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(Event::from_row).collect())
}

/// SQLite: the IMMEDIATE transaction holds the write lock while the rows are read, numbered
/// and the last number stored.
async fn sequence_in_steps(db: &DatabaseConnection, limit: u64) -> AppResult<Vec<Event>> {
    // A cheap look through the partial index before taking any lock.
    let pending = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Seq.is_null())
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if pending.is_none() {
        return Ok(vec![]);
    }
    let tx = db::write_tx(db).await?;
    let backend = tx.get_database_backend();
    let last: i64 = match tx
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT last_seq FROM event_sequence WHERE id = 1",
        ))
        .await?
    {
        Some(r) => r.try_get("", "last_seq")?,
        None => 0,
    };
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Seq.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(&*tx)
        .await?;
    if rows.is_empty() {
        tx.commit_unannounced().await?;
        return Ok(vec![]);
    }
    let now = Utc::now();
    let mut case = CaseStatement::new();
    let mut row_ids = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    for (i, mut row) in rows.into_iter().enumerate() {
        let seq = last + 1 + i as i64;
        case = case.case(Expr::col(outbox::Column::Id).eq(row.id), seq);
        row_ids.push(row.id);
        row.seq = Some(seq);
        row.published_at = Some(now);
        events.extend(Event::from_row(row));
    }
    let next = last + events.len() as i64;
    let update = Query::update()
        .table(outbox::Entity)
        .value(outbox::Column::Seq, case)
        .value(outbox::Column::PublishedAt, now)
        .and_where(Expr::col(outbox::Column::Id).is_in(row_ids))
        .to_owned();
    tx.execute(&update).await?;
    tx.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE event_sequence SET last_seq = ? WHERE id = 1",
        [next.into()],
    ))
    .await?;
    tx.commit_unannounced().await?;
    Ok(events)
}

/// Deletes sequenced events older than `retention_days`; subscribers asking to replay from
/// before the oldest kept event are told so (`subscribe`).
pub async fn prune(db: &DatabaseConnection, retention_days: i64) -> AppResult<u64> {
    let before = Utc::now() - Days::days(retention_days);
    Ok(outbox::Entity::delete_many()
        .filter(outbox::Column::Seq.is_not_null())
        .filter(outbox::Column::OccurredAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
