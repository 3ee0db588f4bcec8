//! Demo mode's outbox: the emails the portal queued, shown instead of being sent.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
pub use model::outbox::OutboxEmail;

/// How many emails the demo outbox lists.
pub const OUTBOX_LIMIT: u64 = 100;

/// Whether the portal runs in demo mode (the navigation then shows the outbox).
#[server(input = Postcard, output = Postcard)]
pub async fn demo_mode() -> Result<bool, AppError> {
    Ok(crate::ssr::context()?.demo)
}

/// The signed-in reseller's newest emails, newest first. Only in demo mode: otherwise
/// `NotFound`, as if the page did not exist. Needs Manage Users: the emails hold activation
/// and invitation links.
#[server(input = Postcard, output = Postcard)]
pub async fn list_outbox() -> Result<Vec<OutboxEmail>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    if !ctx.demo {
        return Err(domain::Error::NotFound.into());
    }
    actor.require(model::Permission::ManageUsers)?;
    Ok(domain::outbox::list_for_demo(&ctx.db, &actor, OUTBOX_LIMIT).await?)
}
