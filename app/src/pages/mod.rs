//! One module per route.

pub mod login;
pub mod not_found;
pub mod upcoming;
