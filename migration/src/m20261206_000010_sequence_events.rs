//! The relay's sequencing pass in one round trip, on PostgreSQL (ARCHITECTURE.md § Events).
//!
//! A pass used to be six round trips (look for pending rows, BEGIN, lock the sequence, read
//! the rows, number them, store the last number, COMMIT), and under load the relay runs a
//! pass after nearly every commit. `mercato_sequence_events(batch)` does the same work as one
//! statement. It is a PL/pgSQL function on purpose: in READ COMMITTED each statement inside a
//! volatile function takes a fresh snapshot, so the rows it numbers are read *after* the lock
//! on `event_sequence` is granted and include everything the pass that held the lock before
//! committed. One SQL statement with the lock in a CTE would read with the snapshot taken
//! before it waited for the lock and number rows that the other pass had just numbered.
//!
//! The function runs in the caller's transaction (one statement sent alone is its own), so
//! the lock is held until that commits: passes still run one at a time across instances and
//! the numbers stay gapless and in commit order of sequencing. SQLite keeps the statements of
//! `events::relay` (its IMMEDIATE transaction holds the write lock throughout).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000010_sequence_events"
    }
}

const UP: &str = r#"CREATE FUNCTION mercato_sequence_events(batch integer) RETURNS SETOF outbox
LANGUAGE plpgsql AS $$
DECLARE
  last bigint;
BEGIN
  -- Nothing pending: no lock, no write (the partial index outbox_unsequenced answers).
  IF NOT EXISTS (SELECT 1 FROM outbox WHERE seq IS NULL) THEN
    RETURN;
  END IF;
  SELECT last_seq INTO last FROM event_sequence WHERE id = 1 FOR UPDATE;
  RETURN QUERY
  WITH picked AS (
    SELECT p.id, last + row_number() OVER (ORDER BY p.id) AS seq
    FROM (SELECT id FROM outbox WHERE seq IS NULL ORDER BY id LIMIT batch) p
  ), numbered AS (
    UPDATE outbox o SET seq = picked.seq, published_at = now()
    FROM picked WHERE o.id = picked.id
    RETURNING o.*
  ), moved AS (
    UPDATE event_sequence SET last_seq = last + (SELECT count(*) FROM picked)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM picked)
  )
  SELECT * FROM numbered ORDER BY seq;
END $$"#;

const DOWN: &str = "DROP FUNCTION mercato_sequence_events(integer)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, DOWN).await
    }
}

/// PostgreSQL only; on SQLite the migration is recorded and does nothing.
async fn run(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if m.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    m.get_connection().execute_unprepared(sql).await?;
    Ok(())
}
