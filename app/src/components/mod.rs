//! Reusable widgets shared by the pages.

pub mod busy;
pub mod confirm;
pub mod copy;
pub mod customer_fields;
pub mod draft;
pub mod event_log;
pub mod error_panel;
pub mod focus;
pub mod form;
pub mod form_state;
pub mod on_demand;
pub mod request;
pub mod roles;
pub mod shell;
pub mod unsaved;
