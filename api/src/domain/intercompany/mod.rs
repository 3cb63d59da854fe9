//! Trade between the companies of one deployment (R-IC-1…4): links, intercompany agreements,
//! and the chain of an order for an external customer delivered directly by the sister
//! company. Whatever one side's change does to the other side's documents happens in the same
//! transaction, acting in the other company as the link ([`Principal::intercompany`]), so the
//! documents can never drift apart.
//!
//! [`Principal::intercompany`]: crate::auth::Principal::intercompany
pub mod agreements;
pub mod chain;
pub mod links;
pub mod posting;
