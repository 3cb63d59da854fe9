//! sea-orm entities, one module per table. No business logic here: rules live in `api::domain`.
mod dec;
mod enums;

pub use dec::Dec;
pub use enums::*;

pub mod api_token;
pub mod company;
pub mod customer;
pub mod customer_address;
pub mod item;
pub mod item_barcode;
pub mod item_description;
pub mod rep_association;
pub mod sales_rep;
pub mod stock_level;
pub mod stock_movement;
pub mod supplier;
pub mod user;
pub mod warehouse;
