//! The portal's server-only core: entities, migrations and the services both doors (the
//! browser's server functions and, later, the REST API) call. Rules live here once.
//!
//! This crate is never compiled to wasm: `app` depends on it only under its `ssr` feature.

pub mod activity;
pub mod api_clients;
pub mod auth;
pub mod billing;
pub mod common;
pub mod connections;
pub mod customer_change;
pub mod customer_users;
pub mod customers;
pub mod db;
pub mod egress;
pub mod entity;
pub mod error;
pub mod idempotency;
pub mod lifecycle;
pub mod migration;
pub mod operator;
pub mod outbox;
pub mod paging;
pub mod password;
pub mod pbx;
pub mod pbx_templates;
pub mod provisioning;
pub mod reseller_users;
pub mod scope;
pub mod search;
pub mod secret;
pub mod seed;
pub mod sweep;
pub mod sync;
pub mod webhooks;

pub use error::{Error, Result};
