//! Live events (ARCHITECTURE.md § Events): the outbox gets a gapless, commit-ordered event
//! sequence assigned by the relay, and the columns stock and backorder events need for
//! visibility and filters.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000004_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in ["seq", "item_id", "warehouse_id"] {
            m.alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(fk_null(col))
                    .take(),
            )
            .await?;
        }
        // The last event number handed out; one row. Sequencing locks it, so numbers follow
        // the order in which sequencing transactions commit (no gaps for replay to miss).
        m.create_table(
            Table::create()
                .table("event_sequence")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("last_seq").big_integer().not_null())
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("INSERT INTO event_sequence (id, last_seq) VALUES (1, 0)")
            .await?;
        create_indexes(
            m,
            [
                ("outbox_seq", "outbox", vec!["seq"], true),
                ("outbox_occurred_at", "outbox", vec!["occurred_at"], false),
            ],
        )
        .await?;
        // What the relay has still to sequence: a partial index stays tiny.
        m.get_connection()
            .execute_unprepared("CREATE INDEX outbox_unsequenced ON outbox (id) WHERE seq IS NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["outbox_unsequenced", "outbox_occurred_at", "outbox_seq"] {
            m.drop_index(Index::drop().name(name).table("outbox").to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("event_sequence").take())
            .await?;
        for col in ["warehouse_id", "item_id", "seq"] {
            m.alter_table(Table::alter().table("outbox").drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
