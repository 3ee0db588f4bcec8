//! Client credentials for the REST provisioning API, as the API Access page shows them.

use crate::field::required_text;
use serde::{Deserialize, Serialize};

/// The longest name a set of credentials may have.
pub const CLIENT_NAME_MAX: usize = 100;

/// A set of client credentials in the list. Never carries the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiClientView {
    pub id: i64,
    pub name: String,
    /// The public half of the credentials, sent with every token request.
    pub client_id: String,
    /// Local date and time in the reseller's time zone.
    pub created_at: String,
    pub created_by: String,
    /// When a token was last issued or used (local), if ever.
    pub last_used_at: Option<String>,
    pub revoked: bool,
    /// Why credentials that are not revoked do not work (their creator was deactivated, or is
    /// not on record), in the product's words; `None` when they work.
    #[serde(default)]
    pub stopped: Option<String>,
    /// What calls made with these credentials may do.
    pub permissions: crate::Permissions,
}

/// The permissions credentials can be given: what the REST API offers. Website Access comes
/// with either; Manage Users and REST API Administrator never (a client cannot change portal
/// users or mint credentials).
pub const API_PERMISSIONS: [crate::Permission; 3] =
    [crate::Permission::CustomerAdministrator, crate::Permission::BillingAdministrator, crate::Permission::WebhooksAdministrator];

/// Credentials just created: the only time the secret is available.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiClient {
    pub client: ApiClientView,
    pub secret: String,
}

/// The rule of a credentials' name (uniqueness is checked by the service).
pub fn client_name(value: &str) -> Result<(), String> {
    required_text("Name", value, CLIENT_NAME_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_required_and_at_most_100_characters() {
        assert!(client_name("  ").is_err());
        assert!(client_name("Billing system").is_ok());
        assert!(client_name(&"x".repeat(100)).is_ok());
        assert!(client_name(&"x".repeat(101)).is_err());
        assert!(client_name("two\nlines").is_err());
    }
}
