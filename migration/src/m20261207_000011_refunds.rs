//! Refunds of unallocated money (R-PAY-6): a payment's money is allocated, refunded to the
//! customer, or unallocated — `amount = allocated + refunded + unallocated` at every step.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000011_refunds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        for col in [dec(b, "refunded_amount"), dec(b, "company_refunded_amount")] {
            m.alter_table(Table::alter().table("payments").add_column(col).take())
                .await?;
        }
        m.create_table(
            Table::create()
                .table("payment_refunds")
                .col(id())
                .col(fk("company_id"))
                .col(fk("payment_id"))
                .col(date("refund_date"))
                // In the payment's currency, and in the company's at the payment's rate.
                .col(dec(b, "amount"))
                .col(dec(b, "company_amount"))
                .col(text("reason"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("payment_refunds", "payment_id", "payments"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("payment_refunds_payment")
                .table("payment_refunds")
                .col("payment_id")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("payment_refunds").take())
            .await?;
        for col in ["refunded_amount", "company_refunded_amount"] {
            m.alter_table(Table::alter().table("payments").drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
