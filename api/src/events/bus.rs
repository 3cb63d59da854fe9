//! Carries sequenced events between instances: one Redis pub/sub channel per database when
//! `REDIS_URL` is set; nothing to carry without it (the relay hands events to the local hub
//! directly). Losing a message costs latency, never an event: the hub fills holes from the
//! outbox, and catches up after every reconnect.
use super::Event;
use super::hub::Hub;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

pub struct Bus {
    redis: Option<RedisBus>,
}

struct RedisBus {
    client: redis::Client,
    channel: String,
    /// Opened on first use; the manager reconnects by itself after that.
    conn: Mutex<Option<ConnectionManager>>,
}

impl Bus {
    /// In-process only.
    pub fn local() -> Bus {
        Bus { redis: None }
    }

    pub fn redis(client: redis::Client, channel: String) -> Bus {
        Bus {
            redis: Some(RedisBus {
                client,
                channel,
                conn: Mutex::new(None),
            }),
        }
    }

    /// Publishes one batch as one message. Failures are logged: the other instances fill the
    /// hole from the outbox when their next message or poll arrives.
    pub async fn publish(&self, events: &[Event]) {
        let Some(r) = &self.redis else {
            return;
        };
        let message = match serde_json::to_string(events) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "event batch not serialisable");
                return;
            }
        };
        let mut guard = r.conn.lock().await;
        // A connection that broke (Redis restarted) fails once; the second try reconnects.
        for attempt in 0..2 {
            if guard.is_none() {
                match tokio::time::timeout(
                    Duration::from_secs(2),
                    ConnectionManager::new(r.client.clone()),
                )
                .await
                {
                    Ok(Ok(c)) => *guard = Some(c),
                    _ => {
                        tracing::warn!("Redis unreachable; events travel by the outbox poll");
                        break;
                    }
                }
            }
            let conn = guard.as_mut().expect("connected above");
            let sent = tokio::time::timeout(
                Duration::from_secs(2),
                redis::cmd("PUBLISH")
                    .arg(&r.channel)
                    .arg(&message)
                    .query_async::<i64>(conn),
            )
            .await;
            if let Ok(Ok(_)) = sent {
                metrics::counter!("mercato_events_published_total").increment(1);
                return;
            }
            *guard = None;
            if attempt == 1 {
                tracing::warn!("publishing events to Redis failed; they travel by the outbox poll");
            }
        }
        metrics::counter!("mercato_events_publish_failures_total").increment(1);
    }

    /// With Redis: one subscriber connection for the process, feeding the hub; reconnects
    /// with back-off and catches up from the outbox after each (re)subscription. Without
    /// Redis there is nothing to listen to.
    pub async fn listen(self: Arc<Self>, hub: Arc<Hub>) {
        let Some(r) = &self.redis else {
            return;
        };
        let mut backoff = Duration::from_millis(100);
        loop {
            match r.client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(&r.channel).await {
                    Ok(()) => {
                        tracing::info!(channel = %r.channel, "listening for events on Redis");
                        metrics::gauge!("mercato_event_bus_connected").set(1.0);
                        backoff = Duration::from_millis(100);
                        // Whatever was published while this process was not listening.
                        hub.catch_up().await;
                        let mut messages = pubsub.into_on_message();
                        while let Some(msg) = messages.next().await {
                            let Ok(text) = msg.get_payload::<String>() else {
                                continue;
                            };
                            match serde_json::from_str::<Vec<Event>>(&text) {
                                Ok(events) => hub.offer(events).await,
                                Err(e) => tracing::warn!(error = %e, "unreadable event message"),
                            }
                        }
                        metrics::gauge!("mercato_event_bus_connected").set(0.0);
                        tracing::warn!("Redis event subscription lost; reconnecting");
                    }
                    Err(e) => tracing::warn!(error = %e, "subscribing to Redis failed"),
                },
                Err(e) => tracing::debug!(error = %e, "Redis unreachable"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

/// The channel of one database: instances that share a database share a channel, and
/// unrelated deployments (or tests) sharing one Redis never hear each other.
pub fn channel_for(database_url: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(database_url.as_bytes());
    format!("mercato:events:{}", &hex::encode(digest)[..16])
}
