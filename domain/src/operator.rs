//! What the operator of the installation does from the command line: resellers, their first
//! users, product types and password resets.

use crate::entity::{product_type, reseller, reseller_product_type, reseller_user};
use crate::{auth, password, Error, Result};
use chrono::Utc;
use model::{field, FieldErrors, Permissions};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};

/// Everything that describes a reseller.
#[derive(Clone, Debug)]
pub struct ResellerInput {
    pub name: String,
    pub country: String,
    pub time_zone: String,
    pub trials_allowed: bool,
    pub max_trial_days: i32,
    pub in_house_allowance: i32,
    /// Codes of the product types it may sell.
    pub product_types: Vec<String>,
}

/// A partial update: `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct ResellerChanges {
    pub name: Option<String>,
    pub country: Option<String>,
    pub time_zone: Option<String>,
    pub trials_allowed: Option<bool>,
    pub max_trial_days: Option<i32>,
    pub in_house_allowance: Option<i32>,
    pub product_types: Option<Vec<String>>,
}

pub const MAX_TRIAL_DAYS: i32 = 365;

fn validate_reseller(input: &ResellerInput) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    errors.check("name", field::required_text("Name", &input.name, 100));
    errors.check("country", country(&input.country));
    errors.check("time_zone", time_zone(&input.time_zone));
    if !(1..=MAX_TRIAL_DAYS).contains(&input.max_trial_days) {
        errors.add("max_trial_days", format!("The longest trial must be between 1 and {MAX_TRIAL_DAYS} days."));
    }
    if !(0..=1000).contains(&input.in_house_allowance) {
        errors.add("in_house_allowance", "The in-house allowance must be between 0 and 1000.");
    }
    if input.product_types.is_empty() {
        errors.add("product_types", "A reseller needs at least one product type.");
    }
    errors.into_result()
}

/// ISO 3166-1 alpha-2: two capital letters.
fn country(code: &str) -> Result<(), String> {
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err("Country must be an ISO 3166-1 alpha-2 code such as GB or US.".into())
    }
}

fn time_zone(name: &str) -> Result<(), String> {
    name.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| format!("'{name}' is not an IANA time zone such as Europe/London."))
}

pub async fn create_reseller(db: &DatabaseConnection, input: ResellerInput) -> Result<reseller::Model> {
    validate_reseller(&input)?;
    let txn = crate::db::Work::begin(db).await?;
    let name_key = input.name.trim().to_lowercase();
    if reseller::Entity::find().filter(reseller::Column::NameKey.eq(&name_key)).one(&txn).await?.is_some() {
        return Err(Error::invalid("name", format!("A reseller named '{}' already exists.", input.name.trim())));
    }
    let created = reseller::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        name_key: Set(name_key),
        country: Set(input.country.clone()),
        time_zone: Set(input.time_zone.clone()),
        trials_allowed: Set(input.trials_allowed),
        max_trial_days: Set(input.max_trial_days),
        in_house_allowance: Set(input.in_house_allowance),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_product_types(&txn, created.id, &input.product_types).await?;
    txn.commit().await?;
    tracing::info!(reseller_id = created.id, name = %created.name, "reseller created");
    Ok(created)
}

pub async fn update_reseller(db: &DatabaseConnection, name: &str, changes: ResellerChanges) -> Result<reseller::Model> {
    let txn = crate::db::Work::begin(db).await?;
    let current = find_reseller(&txn, name).await?;
    let current_types = product_type_codes(&txn, current.id).await?;
    let merged = ResellerInput {
        name: changes.name.unwrap_or_else(|| current.name.clone()),
        country: changes.country.unwrap_or_else(|| current.country.clone()),
        time_zone: changes.time_zone.unwrap_or_else(|| current.time_zone.clone()),
        trials_allowed: changes.trials_allowed.unwrap_or(current.trials_allowed),
        max_trial_days: changes.max_trial_days.unwrap_or(current.max_trial_days),
        in_house_allowance: changes.in_house_allowance.unwrap_or(current.in_house_allowance),
        product_types: changes.product_types.clone().unwrap_or(current_types),
    };
    validate_reseller(&merged)?;
    let name_key = merged.name.trim().to_lowercase();
    if name_key != current.name_key
        && reseller::Entity::find().filter(reseller::Column::NameKey.eq(&name_key)).one(&txn).await?.is_some()
    {
        return Err(Error::invalid("name", format!("A reseller named '{}' already exists.", merged.name.trim())));
    }
    let id = current.id;
    let mut active: reseller::ActiveModel = current.into();
    active.name = Set(merged.name.trim().to_owned());
    active.name_key = Set(name_key);
    active.country = Set(merged.country);
    active.time_zone = Set(merged.time_zone);
    active.trials_allowed = Set(merged.trials_allowed);
    active.max_trial_days = Set(merged.max_trial_days);
    active.in_house_allowance = Set(merged.in_house_allowance);
    let updated = active.update(&txn).await?;
    if changes.product_types.is_some() {
        reseller_product_type::Entity::delete_many()
            .filter(reseller_product_type::Column::ResellerId.eq(id))
            .exec(&txn)
            .await?;
        set_product_types(&txn, id, &merged.product_types).await?;
    }
    txn.commit().await?;
    tracing::info!(reseller_id = id, "reseller updated");
    Ok(updated)
}

/// Finds a reseller by its name, case-insensitively.
pub async fn find_reseller(db: &impl ConnectionTrait, name: &str) -> Result<reseller::Model> {
    reseller::Entity::find()
        .filter(reseller::Column::NameKey.eq(name.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid("reseller", format!("There is no reseller named '{}'.", name.trim())))
}

pub async fn product_type_codes(db: &impl ConnectionTrait, reseller_id: i64) -> Result<Vec<String>> {
    let links = reseller_product_type::Entity::find()
        .filter(reseller_product_type::Column::ResellerId.eq(reseller_id))
        .all(db)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.product_type_id).collect();
    let mut codes: Vec<String> = product_type::Entity::find()
        .filter(product_type::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    codes.sort();
    Ok(codes)
}

async fn set_product_types(db: &impl ConnectionTrait, reseller_id: i64, codes: &[String]) -> Result<()> {
    for code in codes {
        let Some(pt) = product_type::Entity::find().filter(product_type::Column::Code.eq(code)).one(db).await? else {
            let known: Vec<String> = product_type::Entity::find().all(db).await?.into_iter().map(|p| p.code).collect();
            return Err(Error::invalid(
                "product_types",
                format!("Unknown product type '{code}'. Known: {}.", known.join(", ")),
            ));
        };
        reseller_product_type::ActiveModel { reseller_id: Set(reseller_id), product_type_id: Set(pt.id) }
            .insert(db)
            .await?;
    }
    Ok(())
}

/// Adds a product type to the catalogue (or returns the existing one with that code).
pub async fn ensure_product_type(
    db: &impl ConnectionTrait,
    code: &str,
    name: &str,
    part_number: &str,
    locked: bool,
) -> Result<product_type::Model> {
    if let Some(existing) = product_type::Entity::find().filter(product_type::Column::Code.eq(code)).one(db).await? {
        return Ok(existing);
    }
    Ok(product_type::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        part_number: Set(part_number.to_owned()),
        locked: Set(locked),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A new reseller user with a password set by the operator.
#[derive(Clone, Debug)]
pub struct NewResellerUser {
    pub reseller: String,
    pub display_name: String,
    pub email: String,
    pub permissions: Permissions,
    pub password: String,
}

pub async fn create_reseller_user(db: &DatabaseConnection, input: NewResellerUser) -> Result<reseller_user::Model> {
    let mut errors = FieldErrors::new();
    errors.check("display_name", field::display_name(&input.display_name));
    errors.check("email", field::email(&input.email));
    errors.check("password", field::new_password(&input.password));
    errors.into_result()?;
    let owner = find_reseller(db, &input.reseller).await?;
    let email_key = field::email_key(&input.email);
    if reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(&email_key)).one(db).await?.is_some() {
        return Err(Error::invalid("email", "A user with this email already exists."));
    }
    let hash = password::hash(&input.password).await?;
    let user = reseller_user::ActiveModel {
        reseller_id: Set(owner.id),
        display_name: Set(input.display_name.trim().to_owned()),
        email: Set(input.email.trim().to_owned()),
        email_key: Set(email_key),
        password_hash: Set(Some(hash)),
        permissions: Set(input.permissions.bits() as i32),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = user.id, reseller_id = owner.id, "reseller user created");
    Ok(user)
}

/// Sets a new password and signs the user out everywhere.
pub async fn reset_password(db: &DatabaseConnection, email: &str, new_password: &str) -> Result<()> {
    field::new_password(new_password).map_err(|m| Error::invalid("password", m))?;
    let user = reseller_user::Entity::find()
        .filter(reseller_user::Column::EmailKey.eq(field::email_key(email)))
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid("email", format!("There is no user with the email '{}'.", email.trim())))?;
    let hash = password::hash(new_password).await?;
    let id = user.id;
    let mut active: reseller_user::ActiveModel = user.into();
    active.password_hash = Set(Some(hash));
    active.update(db).await?;
    let ended = auth::sign_out_everywhere(db, id).await?;
    tracing::info!(user_id = id, sessions_ended = ended, "password reset");
    Ok(())
}

/// The whole product-type catalogue, by code.
pub async fn all_product_types(db: &impl ConnectionTrait) -> Result<Vec<product_type::Model>> {
    use sea_orm::QueryOrder;
    Ok(product_type::Entity::find().order_by_asc(product_type::Column::Code).all(db).await?)
}

/// The highest monthly price a product type can have: 1,000,000.00.
pub const MAX_MONTHLY_PRICE_CENTS: i64 = 100_000_000;

/// Sets what one customer of product type `code` costs per month, in cents. Billing runs made
/// before keep the prices they were run with.
pub async fn set_product_type_price(db: &impl ConnectionTrait, code: &str, monthly_price_cents: i64) -> Result<product_type::Model> {
    if !(0..=MAX_MONTHLY_PRICE_CENTS).contains(&monthly_price_cents) {
        return Err(Error::invalid(
            "monthly",
            format!("The monthly price must be between 0.00 and {}.", model::billing::format_cents(MAX_MONTHLY_PRICE_CENTS)),
        ));
    }
    let Some(pt) = product_type::Entity::find().filter(product_type::Column::Code.eq(code.trim())).one(db).await? else {
        let known: Vec<String> = all_product_types(db).await?.into_iter().map(|p| p.code).collect();
        return Err(Error::invalid("code", format!("Unknown product type '{}'. Known: {}.", code.trim(), known.join(", "))));
    };
    let mut active: product_type::ActiveModel = pt.into();
    active.monthly_price_cents = Set(monthly_price_cents);
    let updated = active.update(db).await?;
    tracing::info!(code = %updated.code, monthly_price_cents, "product type price set");
    Ok(updated)
}

/// The operator acting as the reseller user with `email`, with exactly the permissions that
/// user holds now: how a command (or a test) run by whoever runs the server gets an
/// [`Actor`](crate::activity::Actor) without a browser session or an API token.
pub async fn act_as(db: &impl ConnectionTrait, email: &str) -> Result<crate::activity::Actor> {
    let user = reseller_user::Entity::find()
        .filter(reseller_user::Column::EmailKey.eq(field::email_key(email)))
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid("user", format!("There is no reseller user {email}.")))?;
    Ok(crate::activity::Actor::of_user(&user))
}

/// Creates REST API credentials on behalf of the reseller user with `email` (see
/// [`crate::api_clients::create`]: the user must be a REST API Administrator and can give no
/// more than they hold).
pub async fn create_api_client(db: &DatabaseConnection, email: &str, name: &str, permissions: Permissions) -> Result<model::api::NewApiClient> {
    let actor = act_as(db, email).await?;
    crate::api_clients::create(db, &actor, name, permissions.with(model::Permission::WebsiteAccess)).await
}
