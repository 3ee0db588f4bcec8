//! The customer grid.

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use model::customer::{CustomerPage, GridQuery};

/// One page of the signed-in reseller's customers.
#[server(input = Json)]
pub async fn list_customers(query: GridQuery) -> Result<CustomerPage, AppError> {
    let user = crate::ssr::require_user()?;
    let ctx = crate::ssr::context()?;
    Ok(domain::customers::grid(&ctx.db, user.reseller_id, &query).await?)
}
