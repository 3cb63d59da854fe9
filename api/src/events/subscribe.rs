//! A subscription: replay from the outbox after the client's last event, then the hub's live
//! broadcast, with no gap and no duplicate, filtered by `auth::visibility` (R-ACC-8).
use super::Event;
use super::hub::{self, Hub};
use crate::auth::Principal;
use crate::auth::visibility::{self, Audience, EventOwner};
use crate::domain::outbox::{self, AgreementEvent, OrderEvent};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::AgreementKind;
use futures_util::Stream;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Events replayed per statement.
const REPLAY_PAGE: u64 = 500;

/// Which events a subscription follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Everything that happens to orders (R-ORD-17 and fulfilment).
    Orders,
    /// Backorders recorded, confirmed, cancelled, fulfilled (R-BO-*).
    Backorders,
    /// Availability changes of stock slots (R-STK-1).
    Stock,
    /// Sales agreements created, changed, fulfilled (R-AGR-1…3).
    SalesAgreements,
    /// The same for purchase agreements.
    PurchaseAgreements,
}

impl Topic {
    fn holds(self, e: &Event) -> bool {
        match self {
            Topic::Orders => e.order_id.is_some(),
            Topic::Backorders => OrderEvent::parse(&e.kind).is_some_and(OrderEvent::is_backorder),
            Topic::Stock => e.kind == outbox::STOCK_CHANGED,
            Topic::SalesAgreements => e
                .kind
                .starts_with(AgreementEvent::prefix(AgreementKind::Sales)),
            Topic::PurchaseAgreements => e
                .kind
                .starts_with(AgreementEvent::prefix(AgreementKind::Purchase)),
        }
    }
}

/// What the client narrowed the topic to; `None` fields match everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub item_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    /// Agreement events carry their agreement in the payload.
    pub agreement_id: Option<i64>,
    /// Stored kinds (`OrderEvent::as_str`, `AgreementEvent::stored`).
    pub kinds: Option<Vec<String>>,
}

impl Filter {
    fn matches(&self, e: &Event) -> bool {
        let eq = |want: Option<i64>, got: Option<i64>| want.is_none() || want == got;
        eq(self.order_id, e.order_id)
            && eq(self.customer_id, e.customer_id)
            && eq(self.item_id, e.item_id)
            && eq(self.warehouse_id, e.warehouse_id)
            && eq(
                self.agreement_id,
                e.payload.as_ref().and_then(|p| p["agreementId"].as_i64()),
            )
            && self.kinds.as_ref().is_none_or(|k| k.contains(&e.kind))
    }
}

pub fn owner(e: &Event) -> EventOwner {
    EventOwner {
        company_id: e.company_id,
        customer_id: e.customer_id,
        customer_rep_id: e.customer_rep_id,
        order_rep_id: e.order_rep_id,
    }
}

/// Re-reads the caller's access (the token may have expired, the user been deactivated, a
/// zone manager's reps changed): WebSocket connections outlive the moment they authenticated.
pub struct Recheck {
    pub every: std::time::Duration,
    pub principal: Box<dyn FnMut() -> BoxFuture<'static, AppResult<Principal>> + Send>,
}

fn audience_for(p: &Principal, topic: Topic) -> AppResult<Audience> {
    match topic {
        Topic::Orders | Topic::Backorders => visibility::order_events(p),
        Topic::Stock => visibility::stock_events(p),
        Topic::SalesAgreements => visibility::agreement_events(p, AgreementKind::Sales),
        Topic::PurchaseAgreements => visibility::agreement_events(p, AgreementKind::Purchase),
    }
}

/// Counts open subscriptions in `/metrics` for as long as it lives.
struct Open;

impl Open {
    fn new() -> Open {
        metrics::gauge!("mercato_subscriptions").increment(1.0);
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!("mercato_subscriptions").decrement(1.0);
    }
}

/// The stream of `topic` events the principal may see. With `after`, first every such event
/// after it that the outbox still keeps (INVALID_STATE when some were pruned), then live ones.
/// A subscriber that falls more than the hub's capacity behind gets an error and is dropped,
/// rather than letting memory grow; it resubscribes with the `after` the error names. With
/// `recheck`, the caller's access is read again periodically: the stream ends with the error
/// when it is gone, and follows changes of what the caller may see.
pub async fn subscribe(
    hub: Arc<Hub>,
    db: DatabaseConnection,
    p: &Principal,
    topic: Topic,
    filter: Filter,
    after: Option<i64>,
    recheck: Option<Recheck>,
) -> AppResult<impl Stream<Item = AppResult<Arc<Event>>> + Send + use<>> {
    let mut audience = audience_for(p, topic)?;
    let (mut live, upto) = hub.subscribe().await;
    if let Some(after) = after {
        if after < 0 {
            return Err(AppError::validation("after", "an event id is not negative"));
        }
        if after < upto {
            let oldest = hub::oldest_kept(&db).await?;
            if oldest.is_none_or(|o| after + 1 < o) {
                return Err(AppError::InvalidState(format!(
                    "events after {after} are no longer kept; reload the data and subscribe without `after`"
                )));
            }
        }
    }
    let wanted = move |audience: &Audience, e: &Event| {
        topic.holds(e) && filter.matches(e) && audience.admits(&owner(e))
    };
    let (every, mut reread) = match recheck {
        Some(r) => (r.every, Some(r.principal)),
        None => (std::time::Duration::from_secs(3600), None),
    };
    let open = Open::new();
    Ok(async_stream::stream! {
        let _open = open;
        let mut cursor = after.unwrap_or(upto);
        while cursor < upto {
            match hub::range(&db, cursor, Some(upto), REPLAY_PAGE).await {
                Ok(page) if page.is_empty() => break,
                Ok(page) => {
                    for e in page {
                        cursor = e.seq;
                        if wanted(&audience, &e) {
                            yield Ok(Arc::new(e));
                        }
                    }
                }
                Err(e) => {
                    yield Err(e);
                    return;
                }
            }
        }
        cursor = cursor.max(upto);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            let received = tokio::select! {
                r = live.recv() => r,
                _ = tick.tick() => {
                    let Some(reread) = reread.as_mut() else { continue };
                    match reread().await.and_then(|p| audience_for(&p, topic)) {
                        Ok(a) => audience = a,
                        Err(e) => {
                            yield Err(e);
                            return;
                        }
                    }
                    continue;
                }
            };
            match received {
                Ok(e) => {
                    if e.seq <= cursor {
                        continue;
                    }
                    cursor = e.seq;
                    if wanted(&audience, &e) {
                        let lag = (Utc::now() - e.occurred_at).num_microseconds().unwrap_or(0);
                        metrics::histogram!("mercato_event_delivery_lag_seconds")
                            .record(lag as f64 / 1e6);
                        yield Ok(e);
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    metrics::counter!("mercato_subscriptions_dropped_total").increment(1);
                    yield Err(AppError::InvalidState(format!(
                        "this subscription fell {missed} events behind and was dropped; \
                         subscribe again with after: \"{cursor}\""
                    )));
                    return;
                }
                Err(RecvError::Closed) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Actor;
    use entity::Role;
    use futures_util::StreamExt;
    use migration::MigratorTrait;
    use sea_orm::{ActiveModelTrait, Set};

    async fn fresh_db() -> DatabaseConnection {
        let path =
            std::env::temp_dir().join(format!("mercato-unit-{}.db", uuid::Uuid::new_v4().simple()));
        let (db, _) = crate::db::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        migration::Migrator::up(&db, None).await.unwrap();
        db
    }

    fn admin() -> Principal {
        Principal {
            actor: Actor::User(1),
            company_id: 1,
            role: Some(Role::Admin),
            scopes: vec![],
            rep_id: None,
            visible_rep_ids: vec![],
            customer_id: None,
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_the_buffer_is_dropped() {
        let db = fresh_db().await;
        let hub = Hub::new(db.clone(), 4).await.unwrap();
        let stream = subscribe(
            hub.clone(),
            db,
            &admin(),
            Topic::Orders,
            Filter::default(),
            None,
            None,
        )
        .await
        .unwrap();
        futures_util::pin_mut!(stream);
        // Ten events arrive while the subscriber reads nothing; it may fall four behind.
        hub.offer((1..=10).map(|s| event(s, "ORDER_CREATED")).collect())
            .await;
        match stream.next().await {
            Some(Err(AppError::InvalidState(m))) => assert!(m.contains("after: \"0\""), "{m}"),
            other => panic!("expected the drop notice, got {other:?}"),
        }
        assert!(stream.next().await.is_none(), "the subscription ends");
    }

    #[tokio::test]
    async fn pruning_removes_sequenced_events_past_retention_only() {
        let db = fresh_db().await;
        let row = |seq: Option<i64>, days_ago: i64| entity::outbox::ActiveModel {
            company_id: Set(1),
            kind: Set("SHIPPED".into()),
            occurred_at: Set(Utc::now() - chrono::Duration::days(days_ago)),
            seq: Set(seq),
            ..Default::default()
        };
        row(Some(1), 40).insert(&db).await.unwrap();
        row(Some(2), 10).insert(&db).await.unwrap();
        // Not yet relayed: kept whatever its age, or it would never be delivered.
        row(None, 40).insert(&db).await.unwrap();
        assert_eq!(super::super::relay::prune(&db, 30).await.unwrap(), 1);
        assert_eq!(hub::oldest_kept(&db).await.unwrap(), Some(2));
    }

    #[tokio::test]
    async fn the_hub_delivers_in_order_once_and_fills_holes_from_the_outbox() {
        let db = fresh_db().await;
        let hub = Hub::new(db.clone(), 64).await.unwrap();
        let stream = subscribe(
            hub.clone(),
            db.clone(),
            &admin(),
            Topic::Orders,
            Filter::default(),
            None,
            None,
        )
        .await
        .unwrap();
        futures_util::pin_mut!(stream);
        // Event 5 reached the outbox but its message was lost on the way.
        entity::outbox::ActiveModel {
            company_id: Set(1),
            kind: Set("SHIPPED".into()),
            order_id: Set(Some(10)),
            customer_id: Set(Some(3)),
            occurred_at: Set(Utc::now()),
            seq: Set(Some(5)),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        hub.offer(vec![event(3, "A"), event(1, "A"), event(2, "A")])
            .await;
        hub.offer(vec![event(2, "A"), event(4, "A")]).await;
        hub.offer(vec![event(6, "A")]).await;
        let mut got = vec![];
        for _ in 0..6 {
            let e = stream.next().await.unwrap().unwrap();
            got.push((e.seq, e.kind.clone()));
        }
        let kinds: Vec<i64> = got.iter().map(|g| g.0).collect();
        assert_eq!(kinds, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(got[4].1, "SHIPPED", "read from the outbox");
    }

    fn event(seq: i64, kind: &str) -> Event {
        Event {
            seq,
            company_id: 1,
            kind: kind.into(),
            order_id: Some(10),
            customer_id: Some(3),
            customer_rep_id: None,
            order_rep_id: None,
            item_id: None,
            warehouse_id: None,
            status: None,
            financial_status: None,
            payload: None,
            occurred_at: Utc::now(),
        }
    }

    #[test]
    fn topics_and_filters_select_events() {
        let e = event(1, "BACKORDERED");
        assert!(Topic::Orders.holds(&e));
        assert!(Topic::Backorders.holds(&e));
        assert!(!Topic::Stock.holds(&e));
        assert!(!Topic::Backorders.holds(&event(2, "SHIPPED")));
        let f = Filter {
            kinds: Some(vec![OrderEvent::Shipped.as_str().to_owned()]),
            ..Default::default()
        };
        assert!(!f.matches(&e));
        let f = Filter {
            order_id: Some(10),
            customer_id: Some(3),
            ..Default::default()
        };
        assert!(f.matches(&e));
        assert!(
            !Filter {
                order_id: Some(11),
                ..Default::default()
            }
            .matches(&e)
        );
    }
}
