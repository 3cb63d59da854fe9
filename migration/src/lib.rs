//! Schema migrations, one file each; a landed migration is never edited.
pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261122_000001_foundation;
mod m20261122_000002_order_entry;
mod m20261123_000003_fulfilment;
mod m20261123_000004_events;
mod m20261201_000005_codes_ignore_case;
mod m20261202_000006_invoicing;
mod m20261203_000007_agreements;
mod m20261204_000008_setup_version;
mod m20261205_000009_credit_totals;
mod m20261206_000010_sequence_events;
mod m20261207_000011_refunds;
mod m20261207_000012_returns;
mod m20261207_000013_shipment_preparation;
mod m20261207_000014_intercompany;
mod m20261207_000015_purchase_invoices;
mod m20261208_000016_documents;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_order_entry::Migration),
            Box::new(m20261123_000003_fulfilment::Migration),
            Box::new(m20261123_000004_events::Migration),
            Box::new(m20261201_000005_codes_ignore_case::Migration),
            Box::new(m20261202_000006_invoicing::Migration),
            Box::new(m20261203_000007_agreements::Migration),
            Box::new(m20261204_000008_setup_version::Migration),
            Box::new(m20261205_000009_credit_totals::Migration),
            Box::new(m20261206_000010_sequence_events::Migration),
            Box::new(m20261207_000011_refunds::Migration),
            Box::new(m20261207_000012_returns::Migration),
            Box::new(m20261207_000013_shipment_preparation::Migration),
            Box::new(m20261207_000014_intercompany::Migration),
            Box::new(m20261207_000015_purchase_invoices::Migration),
            Box::new(m20261208_000016_documents::Migration),
        ]
    }
}
