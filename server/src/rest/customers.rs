//! `/api/v1/customers` and `/api/v1/product-types`.

use super::schema::{Customer, CustomerData, CustomerPage, CustomerPageData, CustomerPatch, ErrorBody, NewCustomer, ProductType, ProductTypesData, StatusChange};
use super::{ApiError, Caller, Paging, PagingParams, RestState, Recalled, answer, created, parse_body, recall};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::api_clients::ApiCaller;
use domain::customer_change::{CustomerChange, DetailsPatch};
use domain::customers::CustomerView;
use std::collections::HashMap;

fn customer_json(c: CustomerView) -> Customer {
    Customer {
        id: c.id.to_string(),
        name: c.name,
        reference: c.reference,
        product_type: c.product_type,
        country: c.country,
        time_zone: c.time_zone,
        status: c.status.as_str().to_owned(),
        in_house: c.in_house,
        trial_expires_on: c.trial_expires_on.map(|d| d.to_string()),
        terminate_on: c.terminate_on.map(|d| d.to_string()),
        created_at: c.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// The caller's customer `id` as the API shows it (404 for another reseller's).
async fn current(state: &RestState, who: &ApiCaller, id: &str) -> Result<Customer, ApiError> {
    Ok(customer_json(domain::customers::view(&state.app.ctx.db, who.actor.reseller_id, id).await?))
}

/// List customers, by name.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    tag = "Customers",
    params(PagingParams),
    responses(
        (status = 200, description = "A page of customers; `filter` matches part of the name or reference.", body = CustomerPageData),
        (status = 400, description = "A malformed parameter (named in `fields`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list(State(state): State<RestState>, Caller(who): Caller, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let page = Paging::read(&query, domain::customers::cursor)?;
    let db = &state.app.ctx.db;
    let found = domain::customers::api_page(db, who.actor.reseller_id, &page.request, &page.filter).await?;
    let data = CustomerPage {
        items: found.items.into_iter().map(customer_json).collect(),
        page_index: page.index(),
        page_size: page.request.size,
        total: found.total,
        next_cursor: found.next.map(|c| c.encode()),
    };
    Ok(answer(StatusCode::OK, CustomerPageData { data }))
}

/// Get a customer.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}",
    tag = "Customers",
    params(("id" = String, Path, description = "The customer's Tenant ID.")),
    responses(
        (status = 200, body = CustomerData, headers(("ETag" = String, description = "The customer's version: send it in `If-Match` to change it only if nobody else did."))),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    tagged(&state, &who, &id).await
}

/// `200` with the customer as it is now and its `ETag`.
async fn tagged(state: &RestState, who: &ApiCaller, id: &str) -> Result<Response, ApiError> {
    let c = domain::customers::view(&state.app.ctx.db, who.actor.reseller_id, id).await?;
    let version = c.version;
    let mut response = answer(StatusCode::OK, CustomerData { data: customer_json(c) });
    response.headers_mut().insert(axum::http::header::ETAG, super::etag(version));
    Ok(response)
}

/// Terminate a customer now.
///
/// The customer becomes read-only, its PBX sync stops and it is billed up to today. Nothing
/// reinstates a terminated customer.
#[utoipa::path(
    delete,
    path = "/api/v1/customers/{id}",
    tag = "Customers",
    params(
        ("id" = String, Path, description = "The customer's Tenant ID."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on: terminate only if the customer did not change since."),
    ),
    responses(
        (status = 200, description = "The terminated customer.", body = CustomerData, headers(("ETag" = String, description = "The customer's new version."))),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
        (status = 409, description = "Already terminated.", body = ErrorBody),
        (status = 412, description = "`If-Match` names an older version: nothing was changed.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn terminate(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    // The API's DELETE is its confirmation (the portal asks for the customer's name).
    let change = CustomerChange { terminate_now: true, expected_version: super::if_match(&headers)?, ..Default::default() };
    domain::customer_change::apply(&state.app.ctx.db, &who.actor, &id, &change).await?;
    tagged(&state, &who, &id).await
}

/// List the product types this reseller may sell.
#[utoipa::path(
    get,
    path = "/api/v1/product-types",
    tag = "Customers",
    responses((status = 200, body = ProductTypesData)),
    security(("bearer" = []))
)]
pub(super) async fn product_types(State(state): State<RestState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let options = domain::customers::product_type_options(&state.app.ctx.db, who.actor.reseller_id).await?;
    Ok(answer(StatusCode::OK, ProductTypesData { data: options.into_iter().map(|p| ProductType { code: p.code, name: p.name }).collect() }))
}

/// Create a customer with its primary user and PBX connection.
///
/// The same rules as the portal's wizard. With an enabled connection the first sync starts at
/// once; a primary user with roles is invited.
#[utoipa::path(
    post,
    path = "/api/v1/customers",
    tag = "Customers",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body get the first answer again (`Idempotent-Replayed: true`); the same key with another body is a 422.")),
    request_body = NewCustomer,
    responses(
        (status = 201, description = "Created (or, for a repeated Idempotency-Key, the first answer again).", body = CustomerData,
            headers(("Location" = String, description = "The new customer's URL."), ("Idempotent-Replayed" = String, description = "`true` when this is the first answer again."))),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 409, description = "A concurrent change got there first.", body = ErrorBody),
        (status = 422, description = "A rule is broken (the fields are named), or the Idempotency-Key was used with another body.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn create(State(state): State<RestState>, Caller(who): Caller, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let ctx = &state.app.ctx;
    const COLLECTION: &str = "/api/v1/customers";
    let key = match recall(&state, &who, &headers, COLLECTION, &body).await? {
        Recalled::Fresh(key) => key,
        Recalled::Replayed(answer) => return Ok(answer),
    };
    let input: NewCustomer = parse_body(&body)?;
    let template_id = match input.connection.template_id {
        Some(id) => Some(id),
        None => domain::pbx_templates::options(&ctx.db, who.actor.reseller_id).await?.into_iter().find(|t| t.is_default).map(|t| t.id),
    };
    let request_key = match &key {
        // Derived from the client's key, so a retry after a lost response finds the customer.
        Some(k) => format!("api-{}", &domain::idempotency::digest(k.key.as_bytes())[..60]),
        None => domain::auth::random_key(),
    };
    let new = model::customer_form::NewCustomer {
        request_key,
        details: model::customer_form::DetailsForm {
            name: input.name,
            product_type: input.product_type,
            reference: input.reference,
            country: input.country,
            notes: input.notes,
            trial: input.trial_expires_on.is_some(),
            trial_expires_on: input.trial_expires_on.unwrap_or_default(),
            in_house: input.in_house,
        },
        primary_user: model::customer_form::PrimaryUserForm { display_name: input.primary_user.display_name, email: input.primary_user.email },
        connection: model::pbx::ConnectionForm {
            template_id,
            account_id: input.connection.account_id,
            directory_tenant_id: input.connection.directory_tenant_id,
            auto_provision_sub_accounts: input.connection.auto_provision_sub_accounts,
            auto_agent_addon: input.connection.auto_agent_addon,
            create_disabled: !input.connection.enabled,
        },
        roles: input.roles.map(Into::into).unwrap_or_else(model::roles::Roles::primary_default),
    };
    let id = domain::provisioning::create(&ctx.db, &who.actor, &new).await?;
    let id = id.to_string();
    let customer = current(&state, &who, &id).await?;
    created(&state, &who, key, COLLECTION, &id, CustomerData { data: customer }).await
}

/// Change a customer (a JSON merge patch).
///
/// `name`, `productType`, `reference`, `country`, `notes` and `inHouse` follow the portal's
/// rules; `status` disables or re-enables; `terminateOn` schedules a termination (`null`
/// cancels it). Everything is checked before anything is written.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{id}",
    tag = "Customers",
    params(
        ("id" = String, Path, description = "The customer's Tenant ID."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the patch is based on: apply it only if the customer did not change since (else 412). Without it the last change wins."),
    ),
    request_body(content = CustomerPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The customer as it is now.", body = CustomerData, headers(("ETag" = String, description = "The customer's new version."))),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The customer is terminated, or a concurrent change got there first.", body = ErrorBody),
        (status = 412, description = "`If-Match` names an older version: nothing was changed.", body = ErrorBody),
        (status = 422, description = "A rule is broken (the fields are named); nothing was changed.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn patch(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let patch: CustomerPatch = parse_body(&body)?;
    if let Some(Some(day)) = &patch.terminate_on
        && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err()
    {
        return Err(ApiError::field("terminateOn", "terminateOn must be a date (YYYY-MM-DD) or null."));
    }
    let change = CustomerChange {
        details: Some(DetailsPatch {
            name: patch.name,
            product_type: patch.product_type,
            reference: patch.reference,
            country: patch.country,
            notes: patch.notes,
            in_house: patch.in_house,
        }),
        active: patch.status.map(|s| matches!(s, StatusChange::Active)),
        terminate_on: patch.terminate_on,
        terminate_now: false,
        expected_version: super::if_match(&headers)?,
    };
    // One call, one transaction: a refused member leaves every other one unwritten too.
    domain::customer_change::apply(&state.app.ctx.db, &who.actor, &id, &change).await?;
    tagged(&state, &who, &id).await
}
