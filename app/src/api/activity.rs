//! The reseller-wide activity log (the Activity page): every event of the signed-in user's
//! reseller, filtered and paged on the server. Website Access is enough to read it.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::events::{EventFilter, EventPage};

/// A page of the reseller's log, newest first, matching `filter`, older than the cursor
/// `before` (from the newest when `None`). A filter that cannot be applied is refused with
/// field errors (`actor`, `customer`, `types`, `from`, `to`).
#[server(input = Postcard, output = Postcard)]
pub async fn activity_page(filter: EventFilter, before: Option<String>) -> Result<EventPage, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::activity::page(&ctx.db, &actor, &filter, before.as_deref(), crate::api::customers::ACTIVITY_PAGE).await?)
}
