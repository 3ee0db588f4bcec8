//! The one service that changes a customer's details and state: everything the Details tab or
//! a REST `PATCH /customers/{id}` can say — details (with in-house), disabled or active, a
//! termination date or its cancellation — checked with the same rules and applied in one
//! transaction with its activity entries, or not at all.

use crate::activity::Actor;
use crate::lifecycle;
use crate::entity::{customer, product_type};
use crate::provisioning::change_details;
use crate::scope::{ensure_changeable, lock_owned, lock_reseller};
use sea_orm::{ConnectionTrait, EntityTrait};
use crate::{Error, Result};
use model::Permission;
use model::customer_form::DetailsForm;

/// Details to change; `None` members stay as they are. Merged into the customer's current
/// details under its row lock, so a concurrent change of the other members is never undone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DetailsPatch {
    pub name: Option<String>,
    pub product_type: Option<String>,
    pub reference: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
    pub in_house: Option<bool>,
}

impl DetailsPatch {
    /// Every member of the Details tab's form.
    pub fn whole(form: &DetailsForm) -> DetailsPatch {
        DetailsPatch {
            name: Some(form.name.clone()),
            product_type: Some(form.product_type.clone()),
            reference: Some(form.reference.clone()),
            country: Some(form.country.clone()),
            notes: Some(form.notes.clone()),
            in_house: Some(form.in_house),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == DetailsPatch::default()
    }

    fn merged_into(&self, mut form: DetailsForm) -> DetailsForm {
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(value) = value {
                target.clone_from(value);
            }
        };
        set(&mut form.name, &self.name);
        set(&mut form.product_type, &self.product_type);
        set(&mut form.reference, &self.reference);
        set(&mut form.country, &self.country);
        set(&mut form.notes, &self.notes);
        if let Some(in_house) = self.in_house {
            form.in_house = in_house;
        }
        form
    }
}

/// What to change; `None` leaves that part as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerChange {
    pub details: Option<DetailsPatch>,
    /// `Some(true)`: re-enable; `Some(false)`: disable.
    pub active: Option<bool>,
    /// `Some(Some("YYYY-MM-DD"))`: terminate on that day (after today, at most three years
    /// ahead); `Some(None)`: cancel a scheduled termination.
    pub terminate_on: Option<Option<String>>,
    /// Terminate today (after everything else; nothing reinstates a terminated customer).
    pub terminate_now: bool,
    /// The version the caller's change was built from: another one is
    /// [`Error::PreconditionFailed`] and nothing is written. `None`: last writer wins, still
    /// in one transaction.
    pub expected_version: Option<i32>,
}

/// Applies `change` to the reseller's customer `id` (Customer Administrator). Returns the
/// customer's version afterwards. Any refusal leaves the customer exactly as it was.
pub async fn apply(db: &sea_orm::DatabaseConnection, actor: &Actor, id: &str, change: &CustomerChange) -> Result<i32> {
    actor.require(Permission::CustomerAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    if change.details.as_ref().is_some_and(|d| d.in_house == Some(true)) {
        // Before the customer's lock, in the order `create` takes them.
        lock_reseller(&txn, actor.reseller_id).await?;
    }
    let current = lock_owned(&txn, actor.reseller_id, id).await?;
    ensure_changeable(&current)?;
    // The reseller's calendar day, read once if a termination needs it.
    let needs_day = matches!(change.terminate_on, Some(Some(_))) || change.terminate_now;
    let day = if needs_day { Some(lifecycle::reseller_day(&txn, actor.reseller_id).await?) } else { None };
    let reseller_day = || day.clone().ok_or_else(|| Error::Internal("the reseller's day was not read".into()));
    let termination = match &change.terminate_on {
        Some(Some(text)) => Some(Some(lifecycle::termination_day(text, reseller_day()?.0)?)),
        Some(None) => Some(None),
        None => None,
    };
    if change.expected_version.is_some_and(|v| v != current.version) {
        return Err(Error::PreconditionFailed);
    }
    let mut version = current.version;
    // Each step sees the row as the previous one left it; a refusal at any step returns before
    // the commit, so the transaction — and every earlier step — is rolled back.
    if let Some(patch) = change.details.as_ref().filter(|p| !p.is_empty()) {
        let form = patch.merged_into(current_details(&txn, &current).await?);
        version = change_details(&txn, actor, &current, &form).await?;
    }
    if let Some(active) = change.active {
        let row = lock_owned(&txn, actor.reseller_id, id).await?;
        version = lifecycle::set_active(&txn, actor, &row, active).await?;
    }
    match termination {
        Some(Some(day)) => {
            let row = lock_owned(&txn, actor.reseller_id, id).await?;
            version = lifecycle::schedule_termination(&txn, actor, &row, day).await?;
        }
        Some(None) => {
            let row = lock_owned(&txn, actor.reseller_id, id).await?;
            version = lifecycle::cancel_scheduled(&txn, actor, &row).await?;
        }
        None => {}
    }
    if change.terminate_now {
        let row = lock_owned(&txn, actor.reseller_id, id).await?;
        let (today, zone) = reseller_day()?;
        version = lifecycle::terminate_now(&txn, actor, &row, &zone, today).await?;
    }
    txn.commit().await?;
    Ok(version)
}

/// The customer's details as the Details tab shows them.
async fn current_details(db: &impl ConnectionTrait, c: &customer::Model) -> Result<DetailsForm> {
    let pt = product_type::Entity::find_by_id(c.product_type_id).one(db).await?.ok_or(Error::NotFound)?;
    Ok(DetailsForm {
        name: c.name.clone(),
        product_type: pt.code,
        reference: c.reference.clone(),
        country: c.country.clone(),
        notes: c.notes.clone(),
        trial: c.trial_expires_on.is_some(),
        trial_expires_on: c.trial_expires_on.map(|d| d.to_string()).unwrap_or_default(),
        in_house: c.in_house,
    })
}

/// Saves the Details tab: `version` is the one the user loaded; if anyone saved in between,
/// nothing is written and the user is told (optimistic concurrency).
pub async fn save_details(db: &sea_orm::DatabaseConnection, actor: &Actor, id: &str, version: i32, form: &DetailsForm) -> Result<i32> {
    let change = CustomerChange { details: Some(DetailsPatch::whole(form)), expected_version: Some(version), ..Default::default() };
    apply(db, actor, id, &change).await.map_err(|e| match e {
        Error::PreconditionFailed => crate::provisioning::stale(),
        e => e,
    })
}
