//! Demo mode's outbox: the emails the portal queued, shown instead of being sent.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
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

/// How many emails the demo outbox lists.
pub const OUTBOX_LIMIT: u64 = 100;

/// Whether the portal runs in demo mode (the navigation then shows the outbox).
#[server]
pub async fn demo_mode() -> Result<bool, AppError> {
    Ok(crate::ssr::context()?.demo)
}

/// The signed-in reseller's newest emails, newest first. Only in demo mode: otherwise
/// `NotFound`, as if the page did not exist. Needs Manage Users: the emails hold activation
/// and invitation links.
#[server(input = Json)]
pub async fn list_outbox() -> Result<Vec<OutboxEmail>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    if !ctx.demo {
        return Err(domain::Error::NotFound.into());
    }
    actor.require(model::Permission::ManageUsers)?;
    let listed = domain::outbox::list_for_demo(&ctx.db, actor.reseller_id, OUTBOX_LIMIT).await?;
    Ok(listed
        .into_iter()
        .map(|l| OutboxEmail {
            id: l.email.id,
            to_name: l.email.to_name,
            to_address: l.email.to_address,
            subject: l.email.subject,
            body: l.email.body,
            status: l.email.status,
            queued_at: l.queued_at,
            sent_at: l.sent_at,
        })
        .collect())
}
