//! A customer's users and their roles (the Users tab). Every customer keeps at least one User
//! Administrator; granting access to a user who has none queues their invitation.

use crate::activity::{self, Actor};
use crate::entity::{customer, customer_user, ignored_pbx_user, reseller};
use crate::common::roles_of;
use crate::paging::{At, Cursor, Page, PageRequest};
use crate::scope::{ensure_changeable, lock_owned, owned};
use crate::{outbox, Error, Result};
use chrono::Utc;
use model::events::EventType;
use model::customer_form::{CustomerUser, IgnoredPbxUser, PrimaryUserForm, USER_PAGE_SIZE, UserPage, UserQuery, UserSort};
use model::roles::{Invitation, Roles};
use model::Permission;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, SqlErr,
};

/// A user the reseller adds in the portal (wizard or Users tab), not yet inserted.
pub(crate) fn portal_user(customer_id: uuid::Uuid, form: &PrimaryUserForm, roles: Roles, invitation: Invitation) -> customer_user::ActiveModel {
    customer_user::ActiveModel {
        customer_id: Set(customer_id),
        display_name: Set(form.display_name.trim().to_owned()),
        email: Set(form.email.trim().to_owned()),
        email_key: Set(model::field::email_key(&form.email)),
        essential: Set(roles.essential),
        professional: Set(roles.professional),
        real_time: Set(roles.real_time),
        agent: Set(roles.agent),
        supervisor: Set(roles.supervisor),
        user_admin: Set(roles.user_admin),
        source: Set(customer_user::Source::Portal),
        pbx_id: Set(None),
        invitation: Set(invitation),
        invited_at: Set(None),
        created_at: Set(Utc::now()),
        version: Set(1),
        ..Default::default()
    }
}

/// A user as `GET /api/v1/customers/{id}/users/{userId}` shows it (an event's `data.user`).
pub fn api_json(u: &CustomerUser) -> serde_json::Value {
    let r = &u.roles;
    serde_json::json!({
        "id": u.id,
        "displayName": u.display_name,
        "email": u.email,
        "roles": {
            "essential": r.essential,
            "professional": r.professional,
            "realTime": r.real_time,
            "agent": r.agent,
            "supervisor": r.supervisor.as_str(),
            "userAdministrator": r.user_admin,
        },
        "fromPbx": u.from_pbx,
        "invitation": u.invitation.as_str(),
    })
}

/// `{"user": …}`, the subject of a user's event.
fn about(u: &CustomerUser) -> serde_json::Value {
    serde_json::json!({ "user": api_json(u) })
}

fn view(u: customer_user::Model) -> CustomerUser {
    CustomerUser {
        id: u.id,
        roles: roles_of(&u),
        from_pbx: u.source == customer_user::Source::Pbx,
        invitation: u.invitation,
        display_name: u.display_name,
        email: u.email,
        version: u.version,
    }
}

/// One page of the customer's users, by display name, optionally searched by part of the name
/// or email (ignoring case).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor, customer_id: &str, query: &UserQuery) -> Result<UserPage> {
    let c = owned(db, actor.reseller_id, customer_id).await?;
    let all = customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(c.id));
    let total = all.clone().count(db).await?;
    let search: String = query.search.trim().chars().take(model::customer::SEARCH_MAX).collect();
    let search = search.as_str();
    let matching_rows = filtered(searched(all, search), query);
    let matching = if search.is_empty() && !query.filtered() { total } else { matching_rows.clone().count(db).await? };
    let page_size = USER_PAGE_SIZE;
    let pages = std::cmp::max(matching.div_ceil(u64::from(page_size)) as u32, 1);
    let page = query.page.clamp(1, pages);
    let users = sorted(matching_rows, query.sort, query.descending).offset(u64::from((page - 1) * page_size)).limit(u64::from(page_size)).all(db).await?;
    Ok(UserPage { users: users.into_iter().map(view).collect(), matching, total, page, page_size })
}

/// The kind of cursor [`api_page`] gives out: the last user's display name and id.
const CURSOR: &str = "users";

/// The cursor `text` of a users list, if it is one.
pub fn cursor(text: &str) -> Option<Cursor> {
    Cursor::decode(CURSOR, 2, text).filter(|c| c.key()[1].parse::<i64>().is_ok())
}

/// The REST API's page of a customer's users whose display name or email contains `filter`,
/// by display name (then id): by page number with the total (a page past the end is empty), or
/// after a cursor from [`cursor`].
pub async fn api_page(db: &impl ConnectionTrait, actor: &Actor, customer_id: &str, page: &PageRequest, filter: &str) -> Result<Page<CustomerUser>> {
    let c = owned(db, actor.reseller_id, customer_id).await?;
    let mut matching = searched(customer_user::Entity::find().filter(customer_user::Column::CustomerId.eq(c.id)), filter.trim());
    let total = match page.at {
        At::Index(_) => Some(matching.clone().count(db).await?),
        At::After(_) => None,
    };
    if let Some(after) = page.after() {
        let (name, id) = (after.key()[0].as_str(), after.key()[1].parse::<i64>().unwrap_or(i64::MAX));
        matching = matching.filter(
            Condition::any()
                .add(customer_user::Column::DisplayName.gt(name))
                .add(Condition::all().add(customer_user::Column::DisplayName.eq(name)).add(customer_user::Column::Id.gt(id))),
        );
    }
    let mut users = ordered(matching).offset(page.offset()).limit(page.size.saturating_add(1)).all(db).await?;
    let more = users.len() as u64 > page.size;
    users.truncate(page.size as usize);
    let next = if more { users.last().map(|u| Cursor::new(CURSOR, vec![u.display_name.clone(), u.id.to_string()])) } else { None };
    Ok(Page { items: users.into_iter().map(view).collect(), total, next })
}

/// One of the customer's users.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, customer_id: &str, user_id: i64) -> Result<CustomerUser> {
    let c = owned(db, actor.reseller_id, customer_id).await?;
    Ok(view(user_of(db, &c, user_id).await?))
}

/// Users whose display name or email contains `search`, ignoring case (all when it is empty).
fn searched(users: sea_orm::Select<customer_user::Entity>, search: &str) -> sea_orm::Select<customer_user::Entity> {
    if search.is_empty() {
        return users;
    }
    let pattern = format!("%{}%", crate::common::escape_like(&search.to_lowercase()));
    users.filter(
        Condition::any()
            .add(Expr::expr(Func::lower(Expr::col(customer_user::Column::DisplayName))).like(LikeExpr::new(pattern.clone()).escape('\\')))
            .add(Expr::col(customer_user::Column::EmailKey).like(LikeExpr::new(pattern).escape('\\'))),
    )
}

/// Whether a user can sign in to the analytics service at all (SQL; both engines).
const HAS_ACCESS: &str = "(essential OR professional OR user_admin OR supervisor <> 'none')";

/// The Users tab's filters: access, licence, invitation state.
fn filtered(mut users: sea_orm::Select<customer_user::Entity>, query: &UserQuery) -> sea_orm::Select<customer_user::Entity> {
    use model::customer_form::{Licence, UserAccess};
    users = match query.access {
        Some(UserAccess::Administrators) => users.filter(customer_user::Column::UserAdmin.eq(true)),
        Some(UserAccess::WithAccess) => users.filter(Expr::cust(HAS_ACCESS)),
        Some(UserAccess::NoAccess) => users.filter(Expr::cust(format!("NOT {HAS_ACCESS}"))),
        None => users,
    };
    users = match query.licence {
        Some(Licence::Essential) => users.filter(customer_user::Column::Essential.eq(true)),
        Some(Licence::Professional) => users.filter(customer_user::Column::Professional.eq(true)),
        Some(Licence::RealTime) => users.filter(customer_user::Column::RealTime.eq(true)),
        Some(Licence::Agent) => users.filter(customer_user::Column::Agent.eq(true)),
        Some(Licence::Supervisor) => users.filter(customer_user::Column::Supervisor.ne(model::roles::Supervisor::None)),
        None => users,
    };
    match query.invitation {
        Some(state) => users.filter(customer_user::Column::Invitation.eq(state)),
        None => users,
    }
}

/// The Users tab's order, then by name and id (so pages never overlap).
fn sorted(users: sea_orm::Select<customer_user::Entity>, sort: UserSort, descending: bool) -> sea_orm::Select<customer_user::Entity> {
    let order = if descending { Order::Desc } else { Order::Asc };
    let users = match sort {
        // Administrators, then others with access, then the rest.
        UserSort::Access => users.order_by(Expr::cust(format!("CASE WHEN user_admin THEN 0 WHEN {HAS_ACCESS} THEN 1 ELSE 2 END")), order.clone()),
        UserSort::Name => users.order_by(customer_user::Column::DisplayName, order.clone()),
        UserSort::Email => users.order_by(customer_user::Column::EmailKey, order.clone()),
        // Failed invitations (which need someone) first, then queued, sent, never invited.
        UserSort::Invitation => users.order_by(
            Expr::cust("CASE invitation WHEN 'failed' THEN 0 WHEN 'queued' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END"),
            order.clone(),
        ),
    };
    users.order_by_asc(customer_user::Column::DisplayName).order_by_asc(customer_user::Column::Id)
}

fn ordered(users: sea_orm::Select<customer_user::Entity>) -> sea_orm::Select<customer_user::Entity> {
    users.order_by_asc(customer_user::Column::DisplayName).order_by_asc(customer_user::Column::Id)
}

async fn user_of(db: &impl ConnectionTrait, customer: &customer::Model, user_id: i64) -> Result<customer_user::Model> {
    customer_user::Entity::find_by_id(user_id)
        .filter(customer_user::Column::CustomerId.eq(customer.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

async fn other_admins(db: &impl ConnectionTrait, customer: &customer::Model, user_id: i64) -> Result<u64> {
    Ok(customer_user::Entity::find()
        .filter(customer_user::Column::CustomerId.eq(customer.id))
        .filter(customer_user::Column::UserAdmin.eq(true))
        .filter(customer_user::Column::Id.ne(user_id))
        .count(db)
        .await?)
}

const LAST_ADMIN: &str = "A customer needs at least one User Administrator: give another user that role first.";

async fn queue_invitation(db: &impl ConnectionTrait, customer: &customer::Model, user: &customer_user::Model) -> Result<()> {
    let owner = reseller::Entity::find_by_id(customer.reseller_id).one(db).await?.ok_or(Error::NotFound)?;
    outbox::queue(db, outbox::invitation(&owner.name, &customer.name, user.id, &user.display_name, &user.email, owner.id)).await?;
    customer_user::Entity::update_many()
        .col_expr(customer_user::Column::Invitation, Expr::value(Invitation::Queued))
        .filter(customer_user::Column::Id.eq(user.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds a user to the customer; one with any role is invited at once.
/// With `answer` (a REST `Idempotency-Key`), the first answer is stored in the same
/// transaction as the user.
pub async fn add(
    db: &DatabaseConnection,
    actor: &Actor,
    customer_id: &str,
    form: &PrimaryUserForm,
    roles: Roles,
    answer: Option<crate::idempotency::Answer<'_, CustomerUser>>,
) -> Result<CustomerUser> {
    actor.require(Permission::CustomerAdministrator)?;
    let mut errors = form.validate();
    errors.check("roles", roles.validate());
    errors.into_result()?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let email_key = model::field::email_key(&form.email);
    let duplicate = || Error::invalid("email", "This customer already has a user with this email.");
    let exists = customer_user::Entity::find()
        .filter(customer_user::Column::CustomerId.eq(c.id))
        .filter(customer_user::Column::EmailKey.eq(email_key.clone()))
        .count(&txn)
        .await?;
    if exists > 0 {
        return Err(duplicate());
    }
    let user = portal_user(c.id, form, roles, Invitation::NotInvited)
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => duplicate(),
        _ => e.into(),
    })?;
    if roles.grants_access() {
        queue_invitation(&txn, &c, &user).await?;
    }
    let added = view(customer_user::Entity::find_by_id(user.id).one(&txn).await?.ok_or(Error::NotFound)?);
    activity::record_about(
        &txn,
        actor,
        Some(c.id),
        EventType::CustomerUserAdded,
        format!("Added user {} <{}> with roles: {}.", user.display_name, user.email, roles.summary()),
        about(&added),
    )
    .await?;
    if let Some(answer) = &answer {
        answer.store(&txn, &added).await?;
    }
    txn.commit().await?;
    Ok(added)
}

/// Changes a user's roles (optimistic concurrency on `version`). A user who gains access for
/// the first time (e.g. one imported from the PBX) is invited.
pub async fn set_roles(db: &DatabaseConnection, actor: &Actor, customer_id: &str, user_id: i64, version: i32, roles: Roles) -> Result<CustomerUser> {
    actor.require(Permission::CustomerAdministrator)?;
    roles.validate().map_err(|m| Error::invalid("roles", m))?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let user = user_of(&txn, &c, user_id).await?;
    if user.user_admin && !roles.user_admin && other_admins(&txn, &c, user.id).await? == 0 {
        return Err(Error::invalid("roles", LAST_ADMIN));
    }
    let before = roles_of(&user);
    if before == roles {
        return Ok(view(user));
    }
    let result = customer_user::Entity::update_many()
        .col_expr(customer_user::Column::Essential, Expr::value(roles.essential))
        .col_expr(customer_user::Column::Professional, Expr::value(roles.professional))
        .col_expr(customer_user::Column::RealTime, Expr::value(roles.real_time))
        .col_expr(customer_user::Column::Agent, Expr::value(roles.agent))
        .col_expr(customer_user::Column::Supervisor, Expr::value(roles.supervisor))
        .col_expr(customer_user::Column::UserAdmin, Expr::value(roles.user_admin))
        .col_expr(customer_user::Column::Version, Expr::value(version + 1))
        .filter(customer_user::Column::Id.eq(user.id))
        .filter(customer_user::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::Conflict(
            "Someone else changed this user's roles after you opened them. Nothing was saved: reload and try again.".into(),
        ));
    }
    if roles.grants_access() && user.invitation == Invitation::NotInvited {
        queue_invitation(&txn, &c, &user).await?;
    }
    let changed = view(customer_user::Entity::find_by_id(user.id).one(&txn).await?.ok_or(Error::NotFound)?);
    activity::record_about(
        &txn,
        actor,
        Some(c.id),
        EventType::CustomerUserUpdated,
        format!("Changed the roles of {} from {} to {}.", user.display_name, before.summary(), roles.summary()),
        about(&changed),
    )
    .await?;
    txn.commit().await?;
    let user = customer_user::Entity::find_by_id(user.id).one(db).await?.ok_or(Error::NotFound)?;
    Ok(view(user))
}

/// Removes a user from the customer (never the last User Administrator). A user imported from
/// the PBX is remembered as ignored, so the next sync does not import them again.
pub async fn remove(db: &DatabaseConnection, actor: &Actor, customer_id: &str, user_id: i64) -> Result<()> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let user = user_of(&txn, &c, user_id).await?;
    if user.user_admin && other_admins(&txn, &c, user.id).await? == 0 {
        return Err(Error::Conflict(LAST_ADMIN.into()));
    }
    // Linked to a PBX user (imported, or matched by email): the sync would bring them back.
    let summary = match user.pbx_id.as_ref() {
        Some(pbx_id) => {
            ignored_pbx_user::ActiveModel {
                customer_id: Set(c.id),
                pbx_id: Set(pbx_id.clone()),
                display_name: Set(user.display_name.clone()),
                email: Set(user.email.clone()),
                ignored_by: Set(actor.name.chars().take(200).collect()),
                ignored_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            format!("Removed user {} <{}>; the PBX sync no longer imports them.", user.display_name, user.email)
        }
        None => format!("Removed user {} <{}>.", user.display_name, user.email),
    };
    // Their invitation, if not sent yet, must not go out after they lost access.
    crate::entity::outbox::Entity::delete_many()
        .filter(crate::entity::outbox::Column::CustomerUserId.eq(user.id))
        .filter(crate::entity::outbox::Column::Status.eq(crate::entity::outbox::Status::Queued))
        .exec(&txn)
        .await?;
    let subject = about(&view(user.clone()));
    user.delete(&txn).await?;
    activity::record_about(&txn, actor, Some(c.id), EventType::CustomerUserRemoved, summary, subject).await?;
    txn.commit().await?;
    Ok(())
}

/// The PBX users removed from the customer, whom the sync does not import, newest first, with
/// times as the door shows them.
pub async fn ignored(db: &impl ConnectionTrait, actor: &Actor, customer_id: &str, times: activity::Times) -> Result<Vec<IgnoredPbxUser>> {
    let c = owned(db, actor.reseller_id, customer_id).await?;
    let zone = reseller::Entity::find_by_id(c.reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    let time = |at| times.show(at, &zone);
    let rows = ignored_pbx_user::Entity::find()
        .filter(ignored_pbx_user::Column::CustomerId.eq(c.id))
        .order_by_desc(ignored_pbx_user::Column::IgnoredAt)
        .order_by_desc(ignored_pbx_user::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| IgnoredPbxUser {
            removed_at: time(r.ignored_at),
            pbx_id: r.pbx_id,
            display_name: r.display_name,
            email: r.email,
            removed_by: r.ignored_by,
        })
        .collect())
}

/// Stops ignoring a removed PBX user: a sync is asked for, which imports them again (without
/// roles) while the PBX lists them.
pub async fn import_again(db: &DatabaseConnection, actor: &Actor, customer_id: &str, pbx_id: &str) -> Result<()> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let row = ignored_pbx_user::Entity::find()
        .filter(ignored_pbx_user::Column::CustomerId.eq(c.id))
        .filter(ignored_pbx_user::Column::PbxId.eq(pbx_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    row.clone().delete(&txn).await?;
    let conn = crate::entity::pbx_connection::Entity::find().filter(crate::entity::pbx_connection::Column::CustomerId.eq(c.id)).one(&txn).await?;
    if let Some(conn) = conn.filter(|conn| conn.enabled) {
        crate::sync::schedule(&txn, conn.id, model::sync::Reason::Changed).await?;
    }
    let subject = serde_json::json!({ "pbxUser": { "pbxId": row.pbx_id, "displayName": row.display_name, "email": row.email } });
    activity::record_about(&txn, actor, Some(c.id), EventType::PbxUpdated, format!("The PBX sync imports {} <{}> again.", row.display_name, row.email), subject)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Queues the user's invitation again.
pub async fn resend_invitation(db: &DatabaseConnection, actor: &Actor, customer_id: &str, user_id: i64) -> Result<CustomerUser> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let c = lock_owned(&txn, actor.reseller_id, customer_id).await?;
    ensure_changeable(&c)?;
    let user = user_of(&txn, &c, user_id).await?;
    if !roles_of(&user).grants_access() {
        return Err(Error::Conflict(format!("{} has no roles yet: give them a role and they are invited.", user.display_name)));
    }
    queue_invitation(&txn, &c, &user).await?;
    let invited = view(customer_user::Entity::find_by_id(user.id).one(&txn).await?.ok_or(Error::NotFound)?);
    activity::record_about(
        &txn,
        actor,
        Some(c.id),
        EventType::CustomerUserInvited,
        format!("Resent the invitation to {} <{}>.", user.display_name, user.email),
        about(&invited),
    )
    .await?;
    txn.commit().await?;
    let user = customer_user::Entity::find_by_id(user.id).one(db).await?.ok_or(Error::NotFound)?;
    Ok(view(user))
}
