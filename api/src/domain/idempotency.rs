//! Idempotent requests: partners retry, and a retried mutation must not place a second order.
//!
//! A request carrying `Idempotency-Key` runs once per (principal, key) for 24 hours. The key
//! is claimed by inserting a row under a unique index *before* the request runs, so of two
//! racing requests (on any instance) exactly one runs; the other waits for its response and
//! replays it. The same key with a different body is a CONFLICT. A claim whose response never
//! arrived (the process died mid-request) stays a CONFLICT rather than risk a second run.
use crate::error::{AppError, AppResult};
use chrono::{Duration, Utc};
use entity::idempotency_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TryInsertResult,
};

pub const TTL_HOURS: i64 = 24;
/// How long a replay waits for the first request to finish before answering CONFLICT.
const WAIT: std::time::Duration = std::time::Duration::from_secs(15);

pub enum Claim {
    /// Run the request, then [`complete`] this row with its response.
    Fresh(i64),
    /// The stored response of the first request.
    Replay(String),
}

pub fn check_key(key: &str) -> AppResult<&str> {
    let key = key.trim();
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::validation(
            "Idempotency-Key",
            "an Idempotency-Key is 1 to 255 visible ASCII characters",
        ));
    }
    Ok(key)
}

pub async fn claim(
    db: &DatabaseConnection,
    principal: &str,
    key: &str,
    request_hash: &str,
) -> AppResult<Claim> {
    let key = check_key(key)?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            principal: Set(principal.to_owned()),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            response: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            idempotency_key::Column::Principal,
            idempotency_key::Column::Key,
        ])
        .exec(db)
        .await?;
        if let TryInsertResult::Inserted(r) = inserted {
            return Ok(Claim::Fresh(r.last_insert_id));
        }
        let Some(row) = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Principal.eq(principal))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(db)
            .await?
        else {
            continue; // expired and removed meanwhile: claim again
        };
        if row.created_at < Utc::now() - Duration::hours(TTL_HOURS) {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::Id.eq(row.id))
                .filter(idempotency_key::Column::CreatedAt.eq(row.created_at))
                .exec(db)
                .await?;
            continue;
        }
        if row.request_hash != request_hash {
            return Err(AppError::Conflict(
                "this Idempotency-Key was already used for a different request".into(),
            ));
        }
        if let Some(response) = row.response {
            return Ok(Claim::Replay(response));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AppError::Conflict(
                "a request with this Idempotency-Key is still running; retry later".into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Largest response kept for replay. A mutation's payload is small; one larger than this is
/// replaced by an error that says the mutation ran, so a retry still never runs it twice and
/// no client can make the server keep megabytes per key.
pub const MAX_STORED_BYTES: usize = 64 * 1024;

/// What is kept for a response over [`MAX_STORED_BYTES`].
pub fn too_large_to_keep() -> String {
    serde_json::json!({
        "data": null,
        "errors": [{
            "message": format!(
                "this Idempotency-Key's request already ran; its response was over {MAX_STORED_BYTES} bytes and was not kept: read the result with a query"
            ),
            "extensions": { "code": "CONFLICT" }
        }]
    })
    .to_string()
}

pub async fn complete(db: &DatabaseConnection, id: i64, response: &str) -> AppResult<()> {
    let kept = if response.len() > MAX_STORED_BYTES {
        too_large_to_keep()
    } else {
        response.to_owned()
    };
    idempotency_key::ActiveModel {
        id: Set(id),
        response: Set(Some(kept)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Deletes keys past their 24 hours; returns how many.
pub async fn prune(db: &DatabaseConnection) -> AppResult<u64> {
    let cutoff = Utc::now() - Duration::hours(TTL_HOURS);
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
