//! REST API client credentials (the API Access page). Each needs REST API Administrator,
//! which the domain checks.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Postcard;
use model::api::{ApiClientView, NewApiClient};

#[server(input = Postcard, output = Postcard)]
pub async fn list_api_clients() -> Result<Vec<ApiClientView>, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::api_clients::list(&ctx.db, &actor).await?)
}

/// Creates credentials; the answer holds the secret, which is never available again.
#[server(input = Postcard, output = Postcard)]
pub async fn create_api_client(name: String, permissions: model::Permissions) -> Result<NewApiClient, AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::api_clients::create(&ctx.db, &actor, &name, permissions).await?)
}

/// Revokes credentials and ends their tokens; revoking twice is harmless.
#[server(input = Postcard, output = Postcard)]
pub async fn revoke_api_client(id: i64) -> Result<(), AppError> {
    let actor = crate::ssr::actor()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::api_clients::revoke(&ctx.db, &actor, id).await?)
}
