pub mod list;
pub mod new;
pub mod edit;
mod lifecycle;
