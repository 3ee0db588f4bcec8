//! One module per route.

pub mod account;
pub mod activity;
pub mod api_access;
pub mod billing;
pub mod customers;
pub mod login;
pub mod not_found;
pub mod outbox;
pub mod pbx_templates;
pub mod users;
pub mod webhooks;
