//! One per process: turns events heard from the relay and the bus (in any order, possibly
//! twice, possibly with holes when Redis dropped a message) into one ordered, gapless
//! broadcast. A hole is filled from the outbox, which holds every sequenced event.
use super::Event;
use crate::error::AppResult;
use entity::outbox;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::{Mutex, broadcast};

/// Events read from the outbox per statement when filling a hole or catching up.
const PAGE: u64 = 500;

pub struct Hub {
    db: DatabaseConnection,
    /// The last event broadcast; the lock also orders broadcasts.
    last: Mutex<i64>,
    last_seen: AtomicI64,
    sender: broadcast::Sender<Arc<Event>>,
}

impl Hub {
    /// Starts after the last event already sequenced: subscribers replay older ones with
    /// `after`. `capacity` bounds what a slow subscriber may fall behind before it is dropped.
    pub async fn new(db: DatabaseConnection, capacity: usize) -> AppResult<Arc<Hub>> {
        let last = last_sequenced(&db).await?;
        Ok(Arc::new(Hub {
            db,
            last: Mutex::new(last),
            last_seen: AtomicI64::new(last),
            sender: broadcast::channel(capacity.max(1)).0,
        }))
    }

    /// A receiver of every event after the returned id (taken under the broadcast lock, so
    /// nothing falls between a replay up to that id and the live stream).
    pub async fn subscribe(&self) -> (broadcast::Receiver<Arc<Event>>, i64) {
        let last = self.last.lock().await;
        (self.sender.subscribe(), *last)
    }

    /// The last event broadcast by this process.
    pub fn last(&self) -> i64 {
        self.last_seen.load(Ordering::Relaxed)
    }

    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Broadcasts `events` in sequence order, skipping those already broadcast and reading
    /// any hole before them from the outbox.
    pub async fn offer(&self, mut events: Vec<Event>) {
        events.sort_by_key(|e| e.seq);
        let mut last = self.last.lock().await;
        for e in events {
            if e.seq <= *last {
                continue;
            }
            if e.seq > *last + 1 && self.fill(&mut last, Some(e.seq - 1)).await.is_err() {
                // The database is unreachable: leave the rest to the next catch-up.
                return;
            }
            self.send(&mut last, Arc::new(e));
        }
    }

    /// Broadcasts whatever was sequenced after the last event broadcast (after a Redis
    /// reconnect, and on every poll as a safety net).
    pub async fn catch_up(&self) {
        let mut last = self.last.lock().await;
        if let Err(e) = self.fill(&mut last, None).await {
            tracing::warn!(error = ?e, "event catch-up failed");
        }
    }

    async fn fill(&self, last: &mut i64, upto: Option<i64>) -> AppResult<()> {
        loop {
            let rows = range(&self.db, *last, upto, PAGE).await?;
            let n = rows.len() as u64;
            for e in rows {
                self.send(last, Arc::new(e));
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    fn send(&self, last: &mut i64, e: Arc<Event>) {
        *last = e.seq;
        self.last_seen.store(e.seq, Ordering::Relaxed);
        // No receiver is fine: nobody listens.
        let _ = self.sender.send(e);
    }
}

/// Sequenced events after `after` (and up to `upto`), oldest first, at most `limit`.
pub async fn range<C: ConnectionTrait>(
    db: &C,
    after: i64,
    upto: Option<i64>,
    limit: u64,
) -> AppResult<Vec<Event>> {
    let mut q = outbox::Entity::find().filter(outbox::Column::Seq.gt(after));
    if let Some(upto) = upto {
        q = q.filter(outbox::Column::Seq.lte(upto));
    }
    let rows = q
        .order_by_asc(outbox::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(Event::from_row).collect())
}

/// The last number the relay handed out.
pub async fn last_sequenced<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT last_seq FROM event_sequence WHERE id = 1",
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "last_seq")?,
        None => 0,
    })
}

/// The oldest event still kept (older ones were pruned), if any.
pub async fn oldest_kept<C: ConnectionTrait>(db: &C) -> AppResult<Option<i64>> {
    Ok(outbox::Entity::find()
        .select_only()
        .column_as(outbox::Column::Seq.min(), "m")
        .filter(outbox::Column::Seq.is_not_null())
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten())
}
