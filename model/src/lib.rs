//! Plain types and validation rules shared by the browser (wasm) and the server.
//!
//! Everything here compiles to wasm: the same function checks a field as the user types and
//! again inside the service that stores it, so the messages always agree.

pub mod api;
pub mod billing;
pub mod country;
pub mod customer;
pub mod customer_form;
pub mod events;
pub mod field;
pub mod outbox;
pub mod permission;
pub mod pbx;
pub mod roles;
pub mod session;
pub mod sync;
pub mod url;
pub mod users;
pub mod webhooks;

pub use field::{FieldError, FieldErrors};
pub use permission::{Permission, Permissions};
pub use session::CurrentUser;
