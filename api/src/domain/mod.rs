//! Business rules, one module per area. No GraphQL types here: resolvers convert their inputs
//! into these plain structs and call these functions.
pub mod api_tokens;
pub mod backorders;
pub mod companies;
pub mod credit;
pub mod customers;
pub mod demo;
pub mod documents;
pub mod idempotency;
pub mod invoices;
pub mod items;
pub mod numbering;
pub mod order_rows;
pub mod orders;
pub mod outbox;
pub mod page;
pub mod payments;
pub mod pricing;
pub mod principals;
pub mod proformas;
pub mod purchasing;
pub mod quantities;
pub mod receipts;
pub mod reports;
pub mod reservations;
pub mod rows;
pub mod sales_reps;
pub mod sales_setup;
pub mod schedules;
pub mod shipments;
pub mod stock;
pub mod suppliers;
pub mod taxes;
pub mod users;
pub mod validate;
pub mod warehouses;

pub use page::{Page, PageArgs};
