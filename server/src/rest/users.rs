//! `/api/v1/customers/{id}/users`: a customer's users and their roles.

use super::schema::{ErrorBody, NewUser, RemovedPbxUser, RemovedPbxUsersData, UserData, UserPage, UserPageData, UserPatch};
use super::{ApiError, Caller, Paging, PagingParams, RestState, Recalled, answer, numeric_id, parse_body, recall};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// List a customer's users, by display name.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/users",
    tag = "Users",
    params(("id" = String, Path, description = "The customer's Tenant ID."), PagingParams),
    responses(
        (status = 200, description = "A page of users; `filter` matches part of the display name or email.", body = UserPageData),
        (status = 400, description = "A malformed parameter (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn list(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let page = Paging::read(&query, domain::customer_users::cursor)?;
    let found = domain::customer_users::api_page(&state.app.ctx.db, &who.actor, &id, &page.request, &page.filter).await?;
    let data = UserPage {
        items: found.items.into_iter().map(Into::into).collect(),
        page_index: page.index(),
        page_size: page.request.size,
        total: found.total,
        next_cursor: found.next.map(|c| c.encode()),
    };
    Ok(answer(StatusCode::OK, UserPageData { data }))
}

/// Get one of a customer's users.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/users/{userId}",
    tag = "Users",
    params(("id" = String, Path, description = "The customer's Tenant ID."), ("userId" = i64, Path)),
    responses(
        (status = 200, body = UserData, headers(("ETag" = String, description = "The user's version: send it in `If-Match` to change them only if nobody else did."))),
        (status = 404, description = "No such customer or user (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(State(state): State<RestState>, Caller(who): Caller, Path((id, user_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let user = domain::customer_users::get(&state.app.ctx.db, &who.actor, &id, numeric_id(&user_id)?).await?;
    Ok(tagged(user))
}

/// `200` with the user and their `ETag`.
fn tagged(user: model::customer_form::CustomerUser) -> Response {
    let version = user.version;
    let mut response = answer(StatusCode::OK, UserData { data: user.into() });
    response.headers_mut().insert(axum::http::header::ETAG, super::etag(version));
    response
}

/// Add a user to a customer.
///
/// A user with any role is invited at once (the invitation email goes to them).
#[utoipa::path(
    post,
    path = "/api/v1/customers/{id}/users",
    tag = "Users",
    params(
        ("id" = String, Path, description = "The customer's Tenant ID."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body get the first answer again; the same key with another body is a 422."),
    ),
    request_body = NewUser,
    responses(
        (status = 201, description = "Added (or, for a repeated Idempotency-Key, the first answer again).", body = UserData,
            headers(("Location" = String, description = "The new user's URL."), ("Idempotent-Replayed" = String, description = "`true` when this is the first answer again."))),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The customer is terminated.", body = ErrorBody),
        (status = 422, description = "A rule is broken, e.g. the email is already one of this customer's users (the fields are named).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn create(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let path = format!("/api/v1/customers/{id}/users");
    let key = match recall(&state, &who, &headers, &path, &body).await? {
        Recalled::Fresh(key) => key,
        Recalled::Replayed(answer) => return Ok(answer),
    };
    let input: NewUser = parse_body(&body)?;
    let form = model::customer_form::PrimaryUserForm { display_name: input.display_name, email: input.email };
    let roles = input.roles.map(Into::into).unwrap_or_default();
    let ctx = &state.app.ctx;
    let render = |u: &model::customer_form::CustomerUser| serde_json::to_string(&UserData { data: u.clone().into() }).unwrap_or_default();
    // The first answer is stored in the transaction that adds the user: a retry after a lost
    // answer replays it.
    let answer = key.as_ref().map(|k| domain::idempotency::Answer {
        reseller_id: who.actor.reseller_id,
        key: &k.key,
        fingerprint: &k.fingerprint,
        status: 201,
        render: &render,
    });
    let user = match domain::customer_users::add(&ctx.db, &who.actor, &id, &form, roles, answer).await {
        Ok(user) => user,
        // A concurrent request with this key got there first (so this one found the email
        // taken, or lost the race for the key): its answer is this request's answer too.
        Err(e) if key.is_some() => {
            return match recall(&state, &who, &headers, &path, &body).await? {
                Recalled::Replayed(answer) => Ok(answer),
                Recalled::Fresh(_) => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    Ok(super::created_now(&path, &user.id.to_string(), render(&user)))
}

/// Change a user's roles.
///
/// The roles are replaced as a whole. A customer keeps at least one User Administrator; a user
/// who gains access for the first time (e.g. one found on the PBX) is invited.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{id}/users/{userId}",
    tag = "Users",
    params(
        ("id" = String, Path, description = "The customer's Tenant ID."),
        ("userId" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on: apply it only if the user did not change since (else 412)."),
    ),
    request_body(content = UserPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The user as they are now.", body = UserData, headers(("ETag" = String, description = "The user's new version."))),
        (status = 412, description = "`If-Match` names an older version: nothing was changed.", body = ErrorBody),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such customer or user (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The customer is terminated, or a concurrent change got there first.", body = ErrorBody),
        (status = 422, description = "A rule is broken, e.g. removing the last User Administrator.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn patch(State(state): State<RestState>, Caller(who): Caller, Path((id, user_id)): Path<(String, String)>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let input: UserPatch = parse_body(&body)?;
    let ctx = &state.app.ctx;
    let current = domain::customer_users::get(&ctx.db, &who.actor, &id, numeric_id(&user_id)?).await?;
    let expected = super::if_match(&headers)?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(domain::Error::PreconditionFailed.into());
    }
    // The save is conditional on the version (a change in between is a 409).
    let user = domain::customer_users::set_roles(&ctx.db, &who.actor, &id, current.id, expected.unwrap_or(current.version), input.roles.into()).await?;
    Ok(tagged(user))
}

/// Remove a user from a customer.
///
/// Never the last User Administrator. A user found on the PBX is not imported again by later
/// syncs (the portal's Users tab can import them again).
#[utoipa::path(
    delete,
    path = "/api/v1/customers/{id}/users/{userId}",
    tag = "Users",
    params(
        ("id" = String, Path, description = "The customer's Tenant ID."),
        ("userId" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the removal is based on: remove only if the user did not change since (else 412)."),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 412, description = "`If-Match` names an older version: nothing was changed.", body = ErrorBody),
        (status = 404, description = "No such customer or user (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The last User Administrator, or the customer is terminated.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn remove(State(state): State<RestState>, Caller(who): Caller, Path((id, user_id)): Path<(String, String)>, headers: HeaderMap) -> Result<Response, ApiError> {
    let user_id = numeric_id(&user_id)?;
    if let Some(expected) = super::if_match(&headers)? {
        let current = domain::customer_users::get(&state.app.ctx.db, &who.actor, &id, user_id).await?;
        if current.version != expected {
            return Err(domain::Error::PreconditionFailed.into());
        }
    }
    domain::customer_users::remove(&state.app.ctx.db, &who.actor, &id, user_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List the PBX users removed from a customer.
///
/// Removing a user who came from the PBX keeps later syncs from importing them again; they are
/// listed here until imported again.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/removed-pbx-users",
    tag = "Users",
    params(("id" = String, Path, description = "The customer's Tenant ID.")),
    responses(
        (status = 200, body = RemovedPbxUsersData),
        (status = 404, description = "No such customer (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn removed(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let list = domain::customer_users::ignored(&state.app.ctx.db, &who.actor, &id, domain::activity::Times::Utc).await?;
    let data = list
        .into_iter()
        .map(|u| RemovedPbxUser { pbx_user_id: u.pbx_id, display_name: u.display_name, email: u.email, removed_by: u.removed_by, removed_at: u.removed_at })
        .collect();
    Ok(answer(StatusCode::OK, RemovedPbxUsersData { data }))
}

/// Import a removed PBX user again.
///
/// Forgets the removal and asks for a sync at once, which imports the user (without roles)
/// while the PBX lists them.
#[utoipa::path(
    delete,
    path = "/api/v1/customers/{id}/removed-pbx-users/{pbxUserId}",
    tag = "Users",
    params(("id" = String, Path, description = "The customer's Tenant ID."), ("pbxUserId" = String, Path, description = "The user's id on the PBX.")),
    responses(
        (status = 204, description = "The next sync imports them again."),
        (status = 404, description = "No such customer or removed user (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The customer is terminated.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn import_again(State(state): State<RestState>, Caller(who): Caller, Path((id, pbx_user_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    domain::customer_users::import_again(&state.app.ctx.db, &who.actor, &id, &pbx_user_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
