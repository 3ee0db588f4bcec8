//! A customer as the wizard and the edit page fill it in, the rules it must meet, and the
//! records the edit page shows. The same `validate` runs as the user types and in the service.

use crate::customer::CustomerStatus;
use crate::field::{self, FieldErrors, optional_text, required_text};
use crate::pbx::{ConnectionForm, PbxKind, TemplateOption};
use crate::roles::{Invitation, Roles};
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 100;
pub const REFERENCE_MAX: usize = 200;
pub const NOTES_MAX: usize = 2000;

/// Step 1 of the wizard, and the edit page's Details tab.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailsForm {
    pub name: String,
    /// A product type's code.
    pub product_type: String,
    pub reference: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub notes: String,
    /// Enable Trial Period (creation only).
    pub trial: bool,
    /// `YYYY-MM-DD`; used when `trial`.
    pub trial_expires_on: String,
    pub in_house: bool,
}

/// Step 2: the customer's first (administrator) user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryUserForm {
    pub display_name: String,
    pub email: String,
}

/// Everything "Create Customer" submits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomer {
    /// Made once per wizard: submitting the same wizard twice creates one customer.
    pub request_key: String,
    pub details: DetailsForm,
    pub primary_user: PrimaryUserForm,
    pub connection: ConnectionForm,
    pub roles: Roles,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductTypeChoice {
    pub code: String,
    pub name: String,
    /// Once assigned, a locked product type can never be changed.
    pub locked: bool,
}

/// What the browser needs to apply the server's rules to [`DetailsForm`] as the user types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailsRules {
    pub product_types: Vec<ProductTypeChoice>,
    pub trials_allowed: bool,
    /// The reseller's calendar day, `YYYY-MM-DD`.
    pub today: String,
    /// The longest trial the reseller may give ends on this day.
    pub latest_trial_end: String,
    pub in_house_allowance: u32,
    /// Non-terminated in-house customers the reseller has (not counting the one being edited).
    pub in_house_used: u32,
}

impl DetailsRules {
    /// Why no further in-house system can be set, if it cannot.
    pub fn in_house_unavailable(&self) -> Option<String> {
        (self.in_house_used >= self.in_house_allowance).then(|| {
            format!(
                "Your allowance of {} in-house system{} is used up.",
                self.in_house_allowance,
                if self.in_house_allowance == 1 { "" } else { "s" }
            )
        })
    }
}

/// `YYYY-MM-DD` as (year, month, day), when it is a real calendar day.
pub fn parse_date(value: &str) -> Option<(i32, u32, u32)> {
    let mut parts = value.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

/// The day after `value` (`YYYY-MM-DD`), e.g. for a date input's `min`.
pub fn next_day(value: &str) -> Option<String> {
    let (y, m, d) = parse_date(value)?;
    let candidates = [(y, m, d + 1), (y, m + 1, 1), (y + 1, 1, 1)];
    candidates.into_iter().map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")).find(|day| parse_date(day).is_some())
}

impl DetailsForm {
    /// Every rule of the details. `creating`: the trial is only set at creation.
    /// `was_in_house`: the edited customer already counts against the allowance.
    pub fn validate(&self, rules: &DetailsRules, creating: bool) -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.check("name", required_text("Name", &self.name, NAME_MAX));
        if self.product_type.is_empty() {
            errors.add("product_type", "Choose a product type.");
        } else if !rules.product_types.iter().any(|p| p.code == self.product_type) {
            errors.add("product_type", "This product type is not available to you.");
        }
        errors.check("reference", optional_text("Reference", &self.reference, REFERENCE_MAX));
        if self.reference.chars().any(char::is_control) {
            errors.add("reference", "Reference cannot contain line breaks or control characters.");
        }
        errors.check("country", crate::country::validate(&self.country));
        errors.check("notes", optional_text("Notes", &self.notes, NOTES_MAX));
        if creating && self.trial {
            if !rules.trials_allowed {
                errors.add("trial", "You cannot give trial periods.");
            } else {
                match parse_date(&self.trial_expires_on) {
                    None => errors.add("trial_expires_on", "Write the trial's last day as YYYY-MM-DD, like 2027-01-30."),
                    Some(day) if Some(day) <= parse_date(&rules.today) => {
                        errors.add("trial_expires_on", "The trial must end after today.")
                    }
                    Some(day) if Some(day) > parse_date(&rules.latest_trial_end) => errors.add(
                        "trial_expires_on",
                        format!("The trial can end on {} at the latest.", rules.latest_trial_end),
                    ),
                    Some(_) => {}
                }
            }
        }
        if self.in_house
            && let Some(reason) = rules.in_house_unavailable()
        {
            errors.add("in_house", reason);
        }
        errors
    }
}

impl PrimaryUserForm {
    pub fn validate(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.check("display_name", field::display_name(&self.display_name));
        errors.check("email", field::email(&self.email));
        errors
    }
}

/// What the wizard loads before its first step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardOptions {
    /// A fresh key for a new wizard (a restored draft keeps its own).
    pub request_key: String,
    pub rules: DetailsRules,
    pub templates: Vec<TemplateOption>,
}

impl WizardOptions {
    pub fn template(&self, id: Option<i64>) -> Option<&TemplateOption> {
        id.and_then(|id| self.templates.iter().find(|t| t.id == id))
    }

    pub fn default_template(&self) -> Option<&TemplateOption> {
        self.templates.iter().find(|t| t.is_default)
    }

    pub fn template_kind(&self, id: Option<i64>) -> Option<PbxKind> {
        self.template(id).map(|t| t.kind)
    }
}

/// A customer as its edit page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub id: String,
    pub details: DetailsForm,
    pub product_type_name: String,
    pub product_type_locked: bool,
    pub time_zone: String,
    pub status: CustomerStatus,
    /// Terminated: the day it happened. Otherwise a scheduled termination's day, if any.
    pub terminate_on: Option<String>,
    /// On a trial: the latest day "Extend trial" may move its end to.
    pub trial_latest_end: Option<String>,
    /// Local date and time in the reseller's time zone, e.g. `2026-11-26 09:14`.
    pub created_at: String,
    pub created_by: String,
    pub version: i32,
    pub rules: DetailsRules,
}

/// A PBX user removed from the customer, whom the sync does not import again until someone
/// asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredPbxUser {
    pub pbx_id: String,
    pub display_name: String,
    pub email: String,
    pub removed_by: String,
    /// Local date and time in the reseller's time zone.
    pub removed_at: String,
}

/// A customer user as the Users tab lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUser {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub roles: Roles,
    /// Discovered on the PBX (rather than added in the portal).
    pub from_pbx: bool,
    pub invitation: Invitation,
    pub version: i32,
}

/// How many users one page of the Users tab shows.
pub const USER_PAGE_SIZE: u32 = 50;

/// The Users tab's search, filters, order and page (1-based).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Matches part of the display name or email, ignoring case.
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub access: Option<UserAccess>,
    #[serde(default)]
    pub licence: Option<Licence>,
    #[serde(default)]
    pub invitation: Option<crate::roles::Invitation>,
    #[serde(default)]
    pub sort: UserSort,
    #[serde(default)]
    pub descending: bool,
}

/// Who can do what in the analytics service, for the Users tab's filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAccess {
    /// User Administrators.
    Administrators,
    /// Anyone who can sign in (a licence, supervisor access or User Administrator).
    WithAccess,
    /// Imported from the PBX (or added) without any role.
    NoAccess,
}

impl UserAccess {
    pub const ALL: [UserAccess; 3] = [UserAccess::Administrators, UserAccess::WithAccess, UserAccess::NoAccess];

    pub fn as_str(self) -> &'static str {
        match self {
            UserAccess::Administrators => "administrators",
            UserAccess::WithAccess => "with_access",
            UserAccess::NoAccess => "no_access",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserAccess::Administrators => "User Administrators",
            UserAccess::WithAccess => "With access",
            UserAccess::NoAccess => "No access",
        }
    }

    pub fn parse(value: &str) -> Option<UserAccess> {
        UserAccess::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// A licence or add-on, for the Users tab's filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Licence {
    Essential,
    Professional,
    RealTime,
    Agent,
    /// Any supervisor level.
    Supervisor,
}

impl Licence {
    pub const ALL: [Licence; 5] = [Licence::Essential, Licence::Professional, Licence::RealTime, Licence::Agent, Licence::Supervisor];

    pub fn as_str(self) -> &'static str {
        match self {
            Licence::Essential => "essential",
            Licence::Professional => "professional",
            Licence::RealTime => "real_time",
            Licence::Agent => "agent",
            Licence::Supervisor => "supervisor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Licence::Essential => "Essential User",
            Licence::Professional => "Professional User",
            Licence::RealTime => "Real-Time add-on",
            Licence::Agent => "Agent add-on",
            Licence::Supervisor => "Supervisor access",
        }
    }

    pub fn parse(value: &str) -> Option<Licence> {
        Licence::ALL.into_iter().find(|l| l.as_str() == value)
    }
}

/// The Users tab's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    /// User Administrators first, then everyone with access, then the rest; by name within.
    #[default]
    Access,
    Name,
    Email,
    Invitation,
}

impl UserSort {
    pub const ALL: [UserSort; 4] = [UserSort::Access, UserSort::Name, UserSort::Email, UserSort::Invitation];

    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Access => "access",
            UserSort::Name => "name",
            UserSort::Email => "email",
            UserSort::Invitation => "invitation",
        }
    }

    /// The column it sorts (the Roles column sorts by access).
    pub fn label(self) -> &'static str {
        match self {
            UserSort::Access => "Roles",
            UserSort::Name => "Name",
            UserSort::Email => "Email",
            UserSort::Invitation => "Invitation",
        }
    }

    pub fn parse(value: &str) -> Option<UserSort> {
        UserSort::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

impl UserQuery {
    /// Sorted by `column`: a second click on the same column reverses it. Back to page 1.
    pub fn sorted_by(&self, column: UserSort) -> UserQuery {
        let descending = self.sort == column && !self.descending;
        UserQuery { sort: column, descending, page: 1, ..self.clone() }
    }

    /// Whether a filter (not the search) narrows the list.
    pub fn filtered(&self) -> bool {
        self.access.is_some() || self.licence.is_some() || self.invitation.is_some()
    }
}

/// One page of a customer's users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<CustomerUser>,
    /// Users matching the search.
    pub matching: u64,
    /// All the customer's users.
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl UserPage {
    pub fn pages(&self) -> u32 {
        (self.matching.div_ceil(u64::from(self.page_size.max(1))) as u32).max(1)
    }
}

/// A customer's PBX connection as the PBX tab shows it (never a secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    /// The connection's own id.
    pub id: i64,
    pub template_id: i64,
    pub template_name: String,
    pub kind: PbxKind,
    pub form: ConnectionForm,
    pub enabled: bool,
    pub version: i32,
    pub templates: Vec<TemplateOption>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_day_crosses_months_years_and_leap_days() {
        assert_eq!(next_day("2026-11-27").as_deref(), Some("2026-11-28"));
        assert_eq!(next_day("2026-11-30").as_deref(), Some("2026-12-01"));
        assert_eq!(next_day("2026-12-31").as_deref(), Some("2027-01-01"));
        assert_eq!(next_day("2028-02-28").as_deref(), Some("2028-02-29"));
        assert_eq!(next_day("2027-02-28").as_deref(), Some("2027-03-01"));
        assert_eq!(next_day("nonsense"), None);
    }

    fn rules() -> DetailsRules {
        DetailsRules {
            product_types: vec![ProductTypeChoice { code: "essentials".into(), name: "Essentials".into(), locked: false }],
            trials_allowed: true,
            today: "2026-11-26".into(),
            latest_trial_end: "2026-12-26".into(),
            in_house_allowance: 1,
            in_house_used: 0,
        }
    }

    fn valid() -> DetailsForm {
        DetailsForm { name: "Acme".into(), product_type: "essentials".into(), country: "GB".into(), ..DetailsForm::default() }
    }

    #[test]
    fn a_plain_customer_is_valid() {
        assert!(valid().validate(&rules(), true).is_empty());
    }

    #[test]
    fn limits_and_required_fields_are_reported_per_field() {
        let form = DetailsForm {
            name: " ".into(),
            product_type: "gold".into(),
            reference: "r".repeat(201),
            country: "XX".into(),
            notes: "n".repeat(2001),
            ..DetailsForm::default()
        };
        let e = form.validate(&rules(), true);
        assert_eq!(e.get("name"), Some("Name is required."));
        assert_eq!(e.get("product_type"), Some("This product type is not available to you."));
        assert!(e.get("reference").unwrap().contains("at most 200"));
        assert!(e.get("country").is_some());
        assert!(e.get("notes").unwrap().contains("at most 2000"));
        assert!(DetailsForm { name: "n".repeat(101), ..valid() }.validate(&rules(), true).get("name").unwrap().contains("at most 100"));
    }

    #[test]
    fn trial_end_must_be_after_today_and_within_the_maximum() {
        let with = |day: &str| DetailsForm { trial: true, trial_expires_on: day.into(), ..valid() }.validate(&rules(), true);
        assert!(with("2026-12-26").is_empty());
        assert!(with("2026-11-27").is_empty());
        assert_eq!(with("2026-12-27").get("trial_expires_on"), Some("The trial can end on 2026-12-26 at the latest."));
        assert_eq!(with("2026-11-26").get("trial_expires_on"), Some("The trial must end after today."));
        assert!(with("2026-02-30").get("trial_expires_on").is_some());
        let no_trials = DetailsRules { trials_allowed: false, ..rules() };
        let e = DetailsForm { trial: true, trial_expires_on: "2026-12-01".into(), ..valid() }.validate(&no_trials, true);
        assert_eq!(e.get("trial"), Some("You cannot give trial periods."));
        // Editing never touches the trial.
        assert!(DetailsForm { trial: true, trial_expires_on: "1999-01-01".into(), ..valid() }.validate(&rules(), false).is_empty());
    }

    #[test]
    fn in_house_respects_the_allowance() {
        let used = DetailsRules { in_house_used: 1, ..rules() };
        let e = DetailsForm { in_house: true, ..valid() }.validate(&used, true);
        assert_eq!(e.get("in_house"), Some("Your allowance of 1 in-house system is used up."));
        assert!(DetailsForm { in_house: true, ..valid() }.validate(&rules(), true).is_empty());
    }

    #[test]
    fn dates_are_real_calendar_days() {
        assert_eq!(parse_date("2028-02-29"), Some((2028, 2, 29)));
        assert_eq!(parse_date("2027-02-29"), None);
        assert_eq!(parse_date("2100-02-29"), None);
        assert_eq!(parse_date("2000-02-29"), Some((2000, 2, 29)));
        assert_eq!(parse_date("26-11-2026"), None);
    }
}
