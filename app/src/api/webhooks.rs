//! Webhook endpoints (the Webhooks page). Each needs Webhooks Administrator, which the domain
//! checks, and finds endpoints only among the signed-in user's reseller's.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::webhooks::{DeliveryPage, DeliveryView, EndpointForm, EndpointView, WithSecret};

#[cfg(feature = "ssr")]
fn env(ctx: &crate::ssr::AppContext) -> domain::webhooks::Env<'_> {
    domain::webhooks::Env { secrets: &ctx.secrets, policy: ctx.http.policy(), allow_http: ctx.demo }
}

#[cfg(feature = "ssr")]
const TIMES: domain::activity::Times = domain::activity::Times::ResellerLocal;

/// Deliveries per page of an endpoint's log.
pub const DELIVERY_PAGE: u64 = 25;

#[server(input = Postcard, output = Postcard)]
pub async fn list_webhooks() -> Result<Vec<EndpointView>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::list(&ctx.db, &actor, TIMES).await?)
}

/// Adds an endpoint; the answer holds its signing secret, which is never shown again.
#[server(input = Postcard, output = Postcard)]
pub async fn create_webhook(form: EndpointForm) -> Result<WithSecret, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::create(&ctx.db, env(&ctx), &actor, &form, TIMES).await?)
}

/// Changes an endpoint last read at `version`.
#[server(input = Postcard, output = Postcard)]
pub async fn update_webhook(id: i64, version: i32, form: EndpointForm) -> Result<EndpointView, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::update(&ctx.db, env(&ctx), &actor, id, version, &form, TIMES).await?)
}

#[server(input = Postcard, output = Postcard)]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::delete(&ctx.db, &actor, id).await?)
}

/// A new signing secret (shown once); the previous one signs too for a day.
#[server(input = Postcard, output = Postcard)]
pub async fn rotate_webhook_secret(id: i64) -> Result<WithSecret, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::rotate_secret(&ctx.db, env(&ctx), &actor, id, TIMES).await?)
}

/// Queues a test event for the endpoint.
#[server(input = Postcard, output = Postcard)]
pub async fn send_test_webhook(id: i64) -> Result<DeliveryView, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::send_test(&ctx.db, &actor, id, TIMES).await?)
}

/// A page of the endpoint's delivery log, newest first, older than the cursor `before`.
#[server(input = Postcard, output = Postcard)]
pub async fn webhook_deliveries(id: i64, before: Option<String>) -> Result<DeliveryPage, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    let (deliveries, older) = domain::webhooks::deliveries(&ctx.db, &actor, id, before.as_deref(), DELIVERY_PAGE, TIMES).await?;
    Ok(DeliveryPage { deliveries, older })
}

/// Sends a delivery again (same event id and body), with a fresh series of retries.
#[server(input = Postcard, output = Postcard)]
pub async fn resend_webhook_delivery(id: i64, delivery_id: i64) -> Result<DeliveryView, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::webhooks::resend(&ctx.db, &actor, id, delivery_id, TIMES).await?)
}
