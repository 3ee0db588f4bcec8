//! Reusable widgets shared by the pages.

pub mod error_panel;
pub mod shell;
