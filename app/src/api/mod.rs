//! Typed server functions. Each is thin: session → permission → one domain call.

pub mod activity;
pub mod api_clients;
pub mod auth;
pub mod billing;
pub mod customers;
pub mod outbox;
pub mod pbx_templates;
pub mod users;
pub mod webhooks;
