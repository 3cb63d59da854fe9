//! Shipments in preparation (R-ORD-16): a delivery note is `PREPARING` (its lines earmark
//! reservations of the order, nothing leaves stock), then `SHIPPED` or `CANCELLED`. Every
//! delivery note before this migration was shipped.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000013_shipment_preparation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("shipments")
                .add_column(
                    ColumnDef::new("status")
                        .string()
                        .not_null()
                        .default("SHIPPED")
                        .take(),
                )
                .take(),
        )
        .await?;
        // The reservation a line of a shipment in preparation earmarks.
        m.alter_table(
            Table::alter()
                .table("shipment_lines")
                .add_column(fk_null("reservation_id"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("shipment_lines")
                .drop_column("reservation_id")
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("shipments")
                .drop_column("status")
                .take(),
        )
        .await
    }
}
