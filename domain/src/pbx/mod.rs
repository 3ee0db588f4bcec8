//! Connectors to the PBX platforms a customer's users live on: one client per platform over
//! its documented HTTP API, behind one [`Connector`] with the few operations a sync needs
//! (test the credentials, list an account's users, list its sub-accounts).
//!
//! Only Kazoo exists so far ([`kazoo::KazooClient`]); 3CX and Microsoft Teams become further
//! variants of [`Connector`]. Every request has a timeout ([`DEFAULT_TIMEOUT`] unless set), and
//! every failure is a [`PbxError`] whose message can be shown to the reseller as it is.

pub mod kazoo;

pub use kazoo::KazooClient;

use std::time::Duration;

/// How long one request to a PBX may take (connect, send, and read the whole body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A user found on a PBX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxUser {
    /// The PBX's own id of the user (stable across renames; the sync matches on it first).
    pub pbx_id: String,
    pub display_name: String,
    pub email: Option<String>,
    /// Whether the PBX marks the user as a call-centre agent.
    pub is_agent: bool,
    /// The PBX account (tenant) the user belongs to.
    pub account_id: String,
}

/// An account (tenant) on a PBX, e.g. a child account under the customer's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxAccount {
    pub id: String,
    pub name: String,
}

/// Why talking to a PBX failed. The messages are meant for the reseller's eyes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PbxError {
    /// The credentials (API key, client secret) were refused.
    #[error("The PBX rejected the API key")]
    Rejected,
    /// No connection could be made (DNS, refused, TLS, invalid URL).
    #[error("The PBX could not be reached: {0}")]
    Unreachable(String),
    /// The PBX did not answer completely within the timeout.
    #[error("The PBX did not answer in time")]
    Timeout,
    /// The PBX answered with an HTTP error status (5xx, or a 4xx the connector does not expect).
    #[error("The PBX answered with an error (HTTP {0})")]
    Server(u16),
    /// The answer was not JSON, or not the shape the platform documents.
    #[error("The PBX sent a response the portal could not read: {0}")]
    Malformed(String),
    /// The account does not exist on the PBX, or the credentials may not see it.
    #[error("The PBX has no account {0} that this API key can see")]
    NotFound(String),
}

impl PbxError {
    /// Whether trying again later may help (the sync retries these with backoff).
    pub fn is_transient(&self) -> bool {
        match self {
            PbxError::Unreachable(_) | PbxError::Timeout => true,
            PbxError::Server(status) => *status >= 500 || *status == 429,
            PbxError::Rejected | PbxError::Malformed(_) | PbxError::NotFound(_) => false,
        }
    }
}

/// One PBX, whatever its platform.
#[derive(Debug, Clone)]
pub enum Connector {
    Kazoo(KazooClient),
}

impl Connector {
    /// Checks that the PBX answers and accepts the credentials.
    pub async fn test(&self) -> Result<(), PbxError> {
        match self {
            Connector::Kazoo(client) => client.authenticate().await.map(|_| ()),
        }
    }

    /// Every user of `account_id` (all pages).
    pub async fn users(&self, account_id: &str) -> Result<Vec<PbxUser>, PbxError> {
        match self {
            Connector::Kazoo(client) => client.users(account_id).await,
        }
    }

    /// The direct sub-accounts of `account_id` (all pages).
    pub async fn sub_accounts(&self, account_id: &str) -> Result<Vec<PbxAccount>, PbxError> {
        match self {
            Connector::Kazoo(client) => client.children(account_id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_the_issue_asks() {
        assert_eq!(
            PbxError::Rejected.to_string(),
            "The PBX rejected the API key"
        );
        assert_eq!(
            PbxError::Server(503).to_string(),
            "The PBX answered with an error (HTTP 503)"
        );
        assert!(
            PbxError::Unreachable("connection refused".into())
                .to_string()
                .starts_with("The PBX could not be reached: ")
        );
        assert!(
            PbxError::Malformed("x".into())
                .to_string()
                .starts_with("The PBX sent a response the portal could not read: ")
        );
        assert!(PbxError::Timeout.is_transient() && PbxError::Server(502).is_transient());
        assert!(!PbxError::Rejected.is_transient() && !PbxError::Server(400).is_transient());
    }
}
