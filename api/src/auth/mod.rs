//! Who is calling: JWT users and partner API tokens both become a [`Principal`], the only input
//! to access decisions (`visibility`).
pub mod jwt;
pub mod password;
pub mod principal;
pub mod throttle;
pub mod tokens;
pub mod visibility;

pub use principal::{Actor, Principal, Scope};
pub use visibility::Permission;
