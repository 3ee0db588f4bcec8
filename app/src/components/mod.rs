//! Reusable widgets shared by the pages.

pub mod error_panel;
pub mod form;
pub mod roles;
pub mod shell;
