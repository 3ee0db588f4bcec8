//! One module per route.

pub mod account;
pub mod billing;
pub mod customers;
pub mod login;
pub mod not_found;
pub mod outbox;
pub mod pbx_templates;
pub mod upcoming;
pub mod users;
