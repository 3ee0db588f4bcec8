//! What the browser may know about the signed-in reseller user.

use crate::Permissions;
use serde::{Deserialize, Serialize};

/// The signed-in reseller user, as resolved from the session cookie on every request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub user_id: i64,
    pub reseller_id: i64,
    pub reseller_name: String,
    pub display_name: String,
    pub email: String,
    pub permissions: Permissions,
}

/// What the frame around every signed-in page needs, in one answer: who is signed in, and
/// whether the portal runs in demo mode (its navigation then links the outbox).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: CurrentUser,
    pub demo: bool,
}
