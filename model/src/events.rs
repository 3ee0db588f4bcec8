//! The event stream: what the portal records about every change, by a stable type name.
//!
//! Every change a service commits writes one or more events in its transaction (the activity
//! log is this stream, shown). Their type names are part of the API — webhook subscriptions
//! and the event feed filter by them — so a name is never changed once released; a new kind of
//! change gets a new name.

use serde::{Deserialize, Serialize};

macro_rules! event_types {
    ($($variant:ident => $name:literal, $label:literal;)*) => {
        /// The kind of an event.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType {
            $($variant,)*
        }

        impl EventType {
            /// Every type, in the order the filters list them.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            /// The stable name, e.g. `customer.created`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }

            /// How the Activity page names it.
            pub fn label(self) -> &'static str {
                match self {
                    $(EventType::$variant => $label,)*
                }
            }
        }
    };
}

event_types! {
    CustomerCreated => "customer.created", "Customer created";
    CustomerUpdated => "customer.updated", "Customer details changed";
    CustomerDisabled => "customer.disabled", "Customer disabled";
    CustomerReenabled => "customer.reenabled", "Customer re-enabled";
    CustomerTerminationScheduled => "customer.termination_scheduled", "Termination scheduled";
    CustomerTerminationCancelled => "customer.termination_cancelled", "Termination cancelled";
    CustomerTerminated => "customer.terminated", "Customer terminated";
    CustomerTrialEnding => "customer.trial_ending", "Trial ending soon";
    CustomerTrialConverted => "customer.trial_converted", "Trial converted";
    CustomerTrialExtended => "customer.trial_extended", "Trial extended";
    CustomerUserAdded => "customer_user.added", "Customer user added";
    CustomerUserUpdated => "customer_user.updated", "Customer user changed";
    CustomerUserRemoved => "customer_user.removed", "Customer user removed";
    CustomerUserInvited => "customer_user.invited", "Customer user invited again";
    PbxUpdated => "pbx.updated", "PBX connection changed";
    PbxSyncRequested => "pbx.sync_requested", "PBX sync requested";
    PbxSyncSucceeded => "pbx.sync_succeeded", "PBX sync changed users";
    PbxSyncFailed => "pbx.sync_failed", "PBX sync failed";
    PbxSyncRecovered => "pbx.sync_recovered", "PBX sync recovered";
    BillingRun => "billing.run", "Billing month run";
    PbxTemplateCreated => "pbx_template.created", "PBX template created";
    PbxTemplateUpdated => "pbx_template.updated", "PBX template changed";
    PbxTemplateDeleted => "pbx_template.deleted", "PBX template deleted";
    ResellerUserCreated => "reseller_user.created", "Portal user created";
    ResellerUserUpdated => "reseller_user.updated", "Portal user changed";
    ResellerUserDeactivated => "reseller_user.deactivated", "Portal user deactivated";
    ResellerUserReactivated => "reseller_user.reactivated", "Portal user reactivated";
    ResellerUserActivated => "reseller_user.activated", "Portal user activated";
    ResellerUserActivationSent => "reseller_user.activation_sent", "Activation link sent again";
    ApiClientCreated => "api_client.created", "API credentials created";
    ApiClientRevoked => "api_client.revoked", "API credentials revoked";
    WebhookEndpointCreated => "webhook_endpoint.created", "Webhook endpoint created";
    WebhookEndpointUpdated => "webhook_endpoint.updated", "Webhook endpoint changed";
    WebhookEndpointDeleted => "webhook_endpoint.deleted", "Webhook endpoint deleted";
    WebhookEndpointSecretRotated => "webhook_endpoint.secret_rotated", "Webhook signing secret rotated";
    WebhookEndpointDisabled => "webhook_endpoint.disabled", "Webhook endpoint disabled after failures";
}

impl EventType {
    /// The type named `name`, if there is one.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// Whether events of this type concern one customer (and so carry it).
    pub fn is_about_a_customer(self) -> bool {
        matches!(self.as_str().split('.').next(), Some("customer" | "customer_user" | "pbx"))
    }
}

/// The most types one filter or subscription may name (there are fewer types than this).
pub const MAX_TYPES: usize = 64;

/// `text` as a list of event types: names separated by commas (spaces ignored, repeats
/// dropped); empty means all. The error names the first unknown one.
pub fn parse_types(text: &str) -> Result<Vec<EventType>, String> {
    let mut types = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if types.len() >= MAX_TYPES {
            return Err(format!("Name at most {MAX_TYPES} event types."));
        }
        match EventType::parse(name) {
            Some(t) if !types.contains(&t) => types.push(t),
            Some(_) => {}
            None => return Err(format!("There is no event type \u{201c}{}\u{201d}.", name.chars().take(60).collect::<String>())),
        }
    }
    Ok(types)
}

/// One entry of an activity log, as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEntry {
    /// The event's id (a UUID).
    pub id: String,
    /// When, in the reseller's time zone (`2026-12-01 09:14`).
    pub at: String,
    pub actor: String,
    /// The stable type name.
    pub event_type: String,
    /// The customer it concerns, if any: its id and name.
    pub customer: Option<(String, String)>,
    pub summary: String,
}

/// A page of an activity log, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    pub entries: Vec<EventEntry>,
    /// The cursor of the next (older) page, when there is one.
    pub older: Option<String>,
}

/// What an activity log is filtered by (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Part of the actor's name (any case).
    pub actor: String,
    /// A customer id.
    pub customer: String,
    /// Comma-separated type names; empty for all.
    pub types: String,
    /// First and last day (YYYY-MM-DD, in the reseller's time zone), inclusive.
    pub from: String,
    pub to: String,
}

impl EventFilter {
    /// The field errors of a filter that cannot be applied.
    pub fn validate(&self) -> crate::FieldErrors {
        let mut errors = crate::FieldErrors::default();
        if self.actor.chars().count() > 200 {
            errors.add("actor", "Use at most 200 characters.");
        }
        if !self.customer.is_empty() && !is_uuid(&self.customer) {
            errors.add("customer", "A customer id is a UUID, like 3f2b8c1e-…");
        }
        if let Err(m) = parse_types(&self.types) {
            errors.add("types", m);
        }
        for (field, value) in [("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() && crate::customer_form::parse_date(value).is_none() {
                errors.add(field, "Enter a date as YYYY-MM-DD.");
            }
        }
        if !self.from.is_empty() && !self.to.is_empty() && self.from > self.to && errors.is_empty() {
            errors.add("to", "The last day cannot come before the first.");
        }
        errors
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for t in EventType::ALL {
            assert!(seen.insert(t.as_str()), "{} twice", t.as_str());
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
    }

    #[test]
    fn type_lists_parse_and_name_what_is_wrong() {
        assert_eq!(parse_types("").unwrap(), vec![]);
        assert_eq!(
            parse_types(" customer.created, pbx.sync_failed,customer.created").unwrap(),
            vec![EventType::CustomerCreated, EventType::PbxSyncFailed]
        );
        assert_eq!(parse_types("customer.created,customer.deleted").unwrap_err(), "There is no event type \u{201c}customer.deleted\u{201d}.");
    }

    #[test]
    fn filters_check_every_field() {
        assert!(EventFilter::default().validate().is_empty());
        let bad = EventFilter { customer: "x".into(), types: "nope".into(), from: "2026-13-01".into(), ..Default::default() };
        let errors = bad.validate();
        for field in ["customer", "types", "from"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let backwards = EventFilter { from: "2026-12-02".into(), to: "2026-12-01".into(), ..Default::default() };
        assert!(backwards.validate().get("to").is_some());
    }
}
