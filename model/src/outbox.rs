//! The demo outbox: emails the portal queued, shown instead of being sent.

use serde::{Deserialize, Serialize};

/// One queued (or sent) email as the demo outbox shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: i64,
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// When it was queued, in the reseller's time zone.
    pub queued_at: String,
    pub sent_at: Option<String>,
}
