//! Creating and editing customers: the wizard's one transaction and the Details tab's
//! optimistic-concurrency save. Every rule is checked here, whichever door the call came from.

use crate::activity::{self, Actor};
use crate::common::{local_date, search_text};
use crate::scope::{lock_reseller, owned, ResellerId};
use crate::entity::{customer, pbx_connection, pbx_template, product_type, reseller, reseller_product_type, reseller_user};
use crate::{outbox, Error, Result};
use chrono::{Duration, NaiveDate, Utc};
use model::events::EventType;
use model::customer::CustomerStatus;
use model::customer_form::{CustomerDetail, DetailsForm, DetailsRules, NewCustomer, ProductTypeChoice, WizardOptions};
use model::pbx::PbxKind;
use model::roles::Invitation;
use model::{FieldErrors, Permission};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set, SqlErr,
};
use uuid::Uuid;

pub const REQUEST_KEY_MAX: usize = 64;

async fn reseller_of(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<reseller::Model> {
    reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)
}

async fn product_types(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<Vec<product_type::Model>> {
    Ok(product_type::Entity::find()
        .join(JoinType::InnerJoin, product_type::Relation::ResellerProductType.def())
        .filter(reseller_product_type::Column::ResellerId.eq(reseller_id))
        .order_by_asc(product_type::Column::Name)
        .all(db)
        .await?)
}

/// In-house customers that count against the allowance (not terminated), except `except`.
async fn in_house_used(db: &impl ConnectionTrait, reseller_id: ResellerId, except: Option<Uuid>) -> Result<u64> {
    let mut q = customer::Entity::find()
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(customer::Column::InHouse.eq(true))
        .filter(customer::Column::Status.ne(customer::Status::Terminated));
    if let Some(id) = except {
        q = q.filter(customer::Column::Id.ne(id));
    }
    Ok(q.count(db).await?)
}

/// The rules the details must meet for this reseller now (`except`: the customer being edited).
pub async fn details_rules(db: &impl ConnectionTrait, reseller_id: ResellerId, except: Option<Uuid>) -> Result<DetailsRules> {
    let owner = reseller_of(db, reseller_id).await?;
    let today = local_date(Utc::now(), &owner.time_zone);
    let types = product_types(db, reseller_id).await?;
    Ok(DetailsRules {
        product_types: types.into_iter().map(|t| ProductTypeChoice { code: t.code, name: t.name, locked: t.locked }).collect(),
        trials_allowed: owner.trials_allowed && owner.max_trial_days > 0,
        today: today.to_string(),
        latest_trial_end: (today + Duration::days(i64::from(owner.max_trial_days.max(0)))).to_string(),
        in_house_allowance: owner.in_house_allowance.max(0) as u32,
        in_house_used: in_house_used(db, reseller_id, except).await? as u32,
    })
}

/// What the create wizard needs before its first step.
pub async fn wizard_options(db: &impl ConnectionTrait, actor: &Actor) -> Result<WizardOptions> {
    actor.require(Permission::CustomerAdministrator)?;
    Ok(WizardOptions {
        request_key: Uuid::new_v4().simple().to_string(),
        rules: details_rules(db, actor.reseller_id, None).await?,
        templates: crate::pbx_templates::options(db, actor.reseller_id).await?,
    })
}

/// Whether `name` is free among the reseller's customers (`except`: the one being edited).
pub async fn name_available(db: &impl ConnectionTrait, reseller_id: ResellerId, name: &str, except: Option<Uuid>) -> Result<bool> {
    let mut q = customer::Entity::find()
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(customer::Column::NameKey.eq(name.trim().to_lowercase()));
    if let Some(id) = except {
        q = q.filter(customer::Column::Id.ne(id));
    }
    Ok(q.count(db).await? == 0)
}

fn name_taken(name: &str) -> Error {
    Error::invalid("name", format!("A customer named \u{201c}{}\u{201d} already exists.", name.trim()))
}

fn parse_day(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok()
}

/// Creates the customer with its primary user, roles, PBX connection, activity entry and
/// queued invitation — all in one transaction, or nothing. Returns the new Tenant ID.
/// Submitting the same `request_key` again returns the customer the first submission created.
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: &NewCustomer) -> Result<Uuid> {
    actor.require(Permission::CustomerAdministrator)?;
    let key = input.request_key.trim();
    if key.is_empty() || key.len() > REQUEST_KEY_MAX || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::invalid("request_key", "The form is out of date: reload the page and try again."));
    }
    if let Some(existing) = find_by_request_key(db, actor.reseller_id, key).await? {
        return Ok(existing);
    }
    let txn = crate::db::Work::begin(db).await?;
    lock_reseller(&txn, actor.reseller_id).await?;
    // Everything is checked under the lock: a concurrent request may have used the last
    // in-house slot, taken the name, changed the template, or been the first click of this
    // very submission.
    if let Some(existing) = find_by_request_key(&txn, actor.reseller_id, key).await? {
        return Ok(existing);
    }
    let template = match input.connection.template_id {
        Some(id) => pbx_template::Entity::find_by_id(id).filter(pbx_template::Column::ResellerId.eq(actor.reseller_id)).one(&txn).await?,
        None => None,
    };
    let kind = template.as_ref().map(|t| t.kind);
    let mut errors = input.details.validate(&details_rules(&txn, actor.reseller_id, None).await?, true);
    errors.0.extend(input.primary_user.validate().0.into_iter().map(|mut e| {
        e.field = format!("primary_user.{}", e.field);
        e
    }));
    errors.0.extend(input.connection.validate(kind).0.into_iter().map(|mut e| {
        e.field = format!("connection.{}", e.field);
        e
    }));
    errors.check("roles", input.roles.validate());
    if !input.roles.user_admin {
        errors.add("roles", "The primary user must be a User Administrator: every customer needs one.");
    }
    errors.into_result()?;
    let d = &input.details;
    if !name_available(&txn, actor.reseller_id, &d.name, None).await? {
        return Err(name_taken(&d.name));
    }
    let owner = reseller_of(&txn, actor.reseller_id).await?;
    let pt = product_types(&txn, actor.reseller_id)
        .await?
        .into_iter()
        .find(|t| t.code == d.product_type)
        .ok_or_else(|| Error::invalid("product_type", "This product type is not available to you."))?;
    let country = model::country::find(&d.country).ok_or_else(|| Error::invalid("country", model::country::not_a_country(&d.country)))?;
    let now = Utc::now();
    let id = Uuid::new_v4();
    let name = d.name.trim().to_owned();
    let reference = d.reference.trim().to_owned();
    let status = CustomerStatus::Active;
    let trial = if d.trial { parse_day(&d.trial_expires_on) } else { None };
    let inserted = customer::ActiveModel {
        id: Set(id),
        reseller_id: Set(actor.reseller_id.get()),
        name: Set(name.clone()),
        name_key: Set(name.to_lowercase()),
        product_type_id: Set(pt.id),
        reference: Set(reference.clone()),
        country: Set(country.code.to_owned()),
        time_zone: Set(country.time_zone.to_owned()),
        notes: Set(d.notes.trim().to_owned()),
        trial_expires_on: Set(trial),
        in_house: Set(d.in_house),
        status: Set(status.into()),
        terminate_on: Set(None),
        created_at: Set(now),
        created_by: Set(actor.user_id),
        version: Set(1),
        search_text: Set(search_text(&name, local_date(now, &owner.time_zone), status, &reference, &pt.name, country.code)),
        request_key: Set(Some(key.to_owned())),
        trial_ended_on: Set(None),
        trial_warned_for: Set(None),
    }
    .insert(&txn)
    .await;
    if let Err(e) = inserted {
        return Err(match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => name_taken(&name),
            _ => e.into(),
        });
    }

    let primary = crate::customer_users::portal_user(id, &input.primary_user, input.roles, Invitation::Queued)
    .insert(&txn)
    .await?;

    let template = template.ok_or_else(|| Error::invalid("connection.template_id", "Choose a PBX template."))?;
    let c = &input.connection;
    pbx_connection::ActiveModel {
        customer_id: Set(id),
        template_id: Set(template.id),
        account_id: Set(if kind == Some(PbxKind::Kazoo) { c.account_id.trim().to_lowercase() } else { String::new() }),
        directory_tenant_id: Set(if kind == Some(PbxKind::Teams) { c.directory_tenant_id.trim().to_lowercase() } else { String::new() }),
        auto_provision_sub_accounts: Set(c.auto_provision_sub_accounts),
        auto_agent_addon: Set(c.auto_agent_addon),
        enabled: Set(!c.create_disabled),
        created_at: Set(now),
        version: Set(1),
        // An enabled connection syncs as soon as a worker is free.
        sync_due_at: Set((!c.create_disabled).then_some(now)),
        sync_reason: Set(model::sync::Reason::Created),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let mut summary = format!("Created customer \u{201c}{name}\u{201d} ({}, {})", pt.name, country.name);
    if let Some(day) = trial {
        summary.push_str(&format!(", trial until {day}"));
    }
    if d.in_house {
        summary.push_str(", in-house system");
    }
    summary.push_str(&format!(
        "; primary user {} <{}>; PBX template \u{201c}{}\u{201d}{}.",
        primary.display_name,
        primary.email,
        template.name,
        if c.create_disabled { " (connection disabled)" } else { "" }
    ));
    activity::record(&txn, actor, Some(id), EventType::CustomerCreated, summary).await?;
    outbox::queue(&txn, outbox::invitation(&owner.name, &name, primary.id, &primary.display_name, &primary.email, owner.id)).await?;
    txn.commit().await?;
    tracing::info!(customer = %id, reseller = actor.reseller_id.get(), "customer created");
    Ok(id)
}

async fn find_by_request_key(db: &impl ConnectionTrait, reseller_id: ResellerId, key: &str) -> Result<Option<Uuid>> {
    Ok(customer::Entity::find()
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(customer::Column::RequestKey.eq(key))
        .one(db)
        .await?
        .map(|c| c.id))
}

/// A customer as its edit page shows it.
pub async fn detail(db: &impl ConnectionTrait, actor: &Actor, id: &str) -> Result<CustomerDetail> {
    let c = owned(db, actor.reseller_id, id).await?;
    let owner = reseller_of(db, actor.reseller_id).await?;
    let pt = product_type::Entity::find_by_id(c.product_type_id).one(db).await?.ok_or(Error::NotFound)?;
    let created_by = match c.created_by {
        Some(uid) => reseller_user::Entity::find_by_id(uid).one(db).await?.map(|u| u.display_name),
        None => None,
    };
    let trial_latest_end = c.trial_expires_on.map(|_| crate::lifecycle::latest_trial_end(&c, &owner).to_string());
    Ok(CustomerDetail {
        id: c.id.to_string(),
        trial_latest_end,
        details: DetailsForm {
            name: c.name,
            product_type: pt.code,
            reference: c.reference,
            country: c.country,
            notes: c.notes,
            trial: c.trial_expires_on.is_some(),
            trial_expires_on: c.trial_expires_on.map(|d| d.to_string()).unwrap_or_default(),
            in_house: c.in_house,
        },
        product_type_name: pt.name,
        product_type_locked: pt.locked,
        time_zone: c.time_zone,
        status: c.status.into(),
        terminate_on: c.terminate_on.map(|d| d.to_string()),
        created_at: activity::local_time(c.created_at, &owner.time_zone),
        created_by: created_by.unwrap_or_else(|| "System".into()),
        version: c.version,
        rules: details_rules(db, actor.reseller_id, Some(c.id)).await?,
    })
}

/// Validates `form` for the locked, changeable customer `current` and writes it, with its
/// activity entry and in-house history, inside the caller's transaction (which must hold the
/// reseller's lock when `form.in_house`). Returns the new version (the same when nothing
/// changed).
pub(crate) async fn change_details(txn: &impl ConnectionTrait, actor: &Actor, current: &customer::Model, form: &DetailsForm) -> Result<i32> {
    let version = current.version;
    let rules = details_rules(txn, actor.reseller_id, Some(current.id)).await?;
    let mut errors: FieldErrors = form.validate(&rules, false);
    let current_pt = product_type::Entity::find_by_id(current.product_type_id).one(txn).await?.ok_or(Error::NotFound)?;
    if current_pt.locked && form.product_type != current_pt.code {
        errors.add("product_type", format!("{} is a locked product type and cannot be changed.", current_pt.name));
    }
    if current.in_house {
        // Only a customer becoming in-house takes a slot; one that already is keeps its own,
        // even if the allowance was lowered since.
        errors.0.retain(|e| e.field != "in_house");
    }
    errors.into_result()?;
    if !name_available(txn, actor.reseller_id, &form.name, Some(current.id)).await? {
        return Err(name_taken(&form.name));
    }
    let owner = reseller_of(txn, actor.reseller_id).await?;
    let pt = product_types(txn, actor.reseller_id)
        .await?
        .into_iter()
        .find(|t| t.code == form.product_type)
        .ok_or_else(|| Error::invalid("product_type", "This product type is not available to you."))?;
    let country = model::country::find(&form.country).ok_or_else(|| Error::invalid("country", model::country::not_a_country(&form.country)))?;
    let name = form.name.trim().to_owned();
    let reference = form.reference.trim().to_owned();
    let notes = form.notes.trim().to_owned();
    let status: CustomerStatus = current.status.into();
    let created_on = local_date(current.created_at, &owner.time_zone);

    let mut changes = Vec::new();
    let mut note = |label: &str, old: &str, new: &str| {
        if old != new {
            changes.push(format!("{label} from \u{201c}{old}\u{201d} to \u{201c}{new}\u{201d}"));
        }
    };
    note("Name", &current.name, &name);
    note("Reference", &current.reference, &reference);
    note("Country", &current.country, country.code);
    let old_pt = current_pt.name.clone();
    note("Product Type", &old_pt, &pt.name);
    note("In-house System", yes_no(current.in_house), yes_no(form.in_house));
    if current.notes != notes {
        changes.push("Notes".into());
    }
    if changes.is_empty() {
        return Ok(current.version);
    }
    let result = customer::Entity::update_many()
        .col_expr(customer::Column::Name, Expr::value(name.clone()))
        .col_expr(customer::Column::NameKey, Expr::value(name.to_lowercase()))
        .col_expr(customer::Column::ProductTypeId, Expr::value(pt.id))
        .col_expr(customer::Column::Reference, Expr::value(reference.clone()))
        .col_expr(customer::Column::Country, Expr::value(country.code))
        .col_expr(customer::Column::TimeZone, Expr::value(country.time_zone))
        .col_expr(customer::Column::Notes, Expr::value(notes))
        .col_expr(customer::Column::InHouse, Expr::value(form.in_house))
        .col_expr(customer::Column::Version, Expr::value(version + 1))
        .col_expr(
            customer::Column::SearchText,
            Expr::value(search_text(&name, created_on, status, &reference, &pt.name, country.code)),
        )
        .filter(customer::Column::Id.eq(current.id))
        .filter(customer::Column::Version.eq(version))
        .exec(txn)
        .await;
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => name_taken(&name),
                _ => e.into(),
            });
        }
    };
    if result.rows_affected != 1 {
        return Err(stale());
    }
    if current.in_house != form.in_house {
        record_in_house_change(txn, current.id, created_on, current.in_house, local_date(Utc::now(), &owner.time_zone), form.in_house).await?;
    }
    activity::record(txn, actor, Some(current.id), EventType::CustomerUpdated, format!("Changed {}.", changes.join("; "))).await?;
    Ok(version + 1)
}

/// Records that from `today` the customer is `in_house`, for billing. The first change also
/// records what held from the day it was created; a second change on one day replaces the first.

async fn record_in_house_change(db: &impl ConnectionTrait, customer_id: Uuid, created_on: NaiveDate, was: bool, today: NaiveDate, now_in_house: bool) -> Result<()> {
    use crate::entity::in_house_change;
    let known = in_house_change::Entity::find().filter(in_house_change::Column::CustomerId.eq(customer_id)).count(db).await?;
    let row = |from_day: NaiveDate, in_house: bool| in_house_change::ActiveModel {
        customer_id: Set(customer_id),
        from_day: Set(from_day),
        in_house: Set(in_house),
        changed_at: Set(Utc::now()),
        ..Default::default()
    };
    if known == 0 && created_on < today {
        row(created_on, was).insert(db).await?;
    }
    in_house_change::Entity::delete_many()
        .filter(in_house_change::Column::CustomerId.eq(customer_id))
        .filter(in_house_change::Column::FromDay.eq(today))
        .exec(db)
        .await?;
    row(today, now_in_house).insert(db).await?;
    Ok(())
}

fn yes_no(v: bool) -> &'static str {
    if v { "Yes" } else { "No" }
}

/// The message when the record changed since the user loaded it.
pub fn stale() -> Error {
    Error::Conflict(
        "Someone else changed this customer after you opened it. Your changes were not saved: reload to see theirs, then make yours again.".into(),
    )
}
