//! Customer users' roles and the rules between them, applied as the user clicks (browser) and
//! checked again when stored (server).

use serde::{Deserialize, Serialize};

/// Supervisor access; each level includes the ones below it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(32))"))]
pub enum Supervisor {
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "none"))]
    None,
    #[cfg_attr(feature = "db", sea_orm(string_value = "reports"))]
    Reports,
    #[cfg_attr(feature = "db", sea_orm(string_value = "insights"))]
    Insights,
    #[cfg_attr(feature = "db", sea_orm(string_value = "analytics"))]
    Analytics,
    #[cfg_attr(feature = "db", sea_orm(string_value = "live_analytics"))]
    LiveAnalytics,
    #[cfg_attr(feature = "db", sea_orm(string_value = "contact_centre"))]
    ContactCentre,
}

impl Supervisor {
    pub const ALL: [Supervisor; 6] = [
        Supervisor::None,
        Supervisor::Reports,
        Supervisor::Insights,
        Supervisor::Analytics,
        Supervisor::LiveAnalytics,
        Supervisor::ContactCentre,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Supervisor::None => "none",
            Supervisor::Reports => "reports",
            Supervisor::Insights => "insights",
            Supervisor::Analytics => "analytics",
            Supervisor::LiveAnalytics => "live_analytics",
            Supervisor::ContactCentre => "contact_centre",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Supervisor::None => "None",
            Supervisor::Reports => "Reports",
            Supervisor::Insights => "Insights",
            Supervisor::Analytics => "Analytics",
            Supervisor::LiveAnalytics => "Live Analytics",
            Supervisor::ContactCentre => "Contact Centre",
        }
    }

    pub fn parse(value: &str) -> Option<Supervisor> {
        Supervisor::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Live Analytics and Contact Centre work on live data: they bring the Real-Time add-on.
    pub fn needs_real_time(self) -> bool {
        self >= Supervisor::LiveAnalytics
    }
}

/// The roles one customer user holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    /// Essential User licence (call logging).
    pub essential: bool,
    /// Professional User licence (softphone / mobile).
    pub professional: bool,
    /// Real-Time add-on; requires Essential.
    pub real_time: bool,
    /// Agent add-on; requires Essential.
    pub agent: bool,
    pub supervisor: Supervisor,
    /// Manages the customer's other users.
    pub user_admin: bool,
}

/// One role the user can switch on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Essential,
    Professional,
    RealTime,
    Agent,
    UserAdmin,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Essential => "Essential User",
            Role::Professional => "Professional User",
            Role::RealTime => "Real-Time add-on",
            Role::Agent => "Agent add-on",
            Role::UserAdmin => "User Administrator",
        }
    }
}

impl Roles {
    /// The roles every new customer's primary user starts with.
    pub fn primary_default() -> Roles {
        Roles { essential: true, user_admin: true, ..Roles::default() }
    }

    pub fn has(&self, role: Role) -> bool {
        match role {
            Role::Essential => self.essential,
            Role::Professional => self.professional,
            Role::RealTime => self.real_time,
            Role::Agent => self.agent,
            Role::UserAdmin => self.user_admin,
        }
    }

    /// The roles after the user switched `role` to `on`, with every dependency applied:
    /// an add-on switches Essential on; switching Essential off drops the add-ons and any
    /// supervisor level that needs Real-Time; Real-Time cannot go while such a level is chosen.
    pub fn with(mut self, role: Role, on: bool) -> Roles {
        match role {
            Role::Essential => {
                self.essential = on;
                if !on {
                    self.real_time = false;
                    self.agent = false;
                    if self.supervisor.needs_real_time() {
                        self.supervisor = Supervisor::Analytics;
                    }
                }
            }
            Role::Professional => self.professional = on,
            Role::RealTime => {
                self.real_time = on || self.supervisor.needs_real_time();
                self.essential |= self.real_time;
            }
            Role::Agent => {
                self.agent = on;
                self.essential |= on;
            }
            Role::UserAdmin => self.user_admin = on,
        }
        self
    }

    /// The roles after choosing a supervisor level: live levels bring Real-Time (and Essential).
    pub fn with_supervisor(mut self, level: Supervisor) -> Roles {
        self.supervisor = level;
        if level.needs_real_time() {
            self.real_time = true;
            self.essential = true;
        }
        self
    }

    /// Why a role's checkbox cannot be switched off right now, if it cannot.
    pub fn locked_reason(&self, role: Role) -> Option<&'static str> {
        match role {
            Role::RealTime if self.supervisor.needs_real_time() => Some("Included with Live Analytics and Contact Centre."),
            _ => None,
        }
    }

    /// The server's check of a submitted set: dependencies must already hold.
    pub fn validate(&self) -> Result<(), String> {
        if (self.real_time || self.agent) && !self.essential {
            return Err("The Real-Time and Agent add-ons require the Essential User licence.".into());
        }
        if self.supervisor.needs_real_time() && !self.real_time {
            return Err(format!("{} supervisor access requires the Real-Time add-on.", self.supervisor.label()));
        }
        Ok(())
    }

    /// Whether the user can sign in to the analytics service at all.
    pub fn grants_access(&self) -> bool {
        self.essential || self.professional || self.supervisor != Supervisor::None || self.user_admin
    }

    /// A short human summary, e.g. "Essential User, Real-Time add-on, Supervisor: Reports".
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = [Role::Essential, Role::Professional, Role::RealTime, Role::Agent]
            .into_iter()
            .filter(|r| self.has(*r))
            .map(|r| r.label().to_owned())
            .collect();
        if self.supervisor != Supervisor::None {
            parts.push(format!("Supervisor: {}", self.supervisor.label()));
        }
        if self.user_admin {
            parts.push(Role::UserAdmin.label().to_owned());
        }
        if parts.is_empty() { "No access".to_owned() } else { parts.join(", ") }
    }
}

/// Where a customer user's invitation to the analytics service stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))"))]
pub enum Invitation {
    /// Imported from the PBX without access, or never invited.
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "not_invited"))]
    NotInvited,
    #[cfg_attr(feature = "db", sea_orm(string_value = "queued"))]
    Queued,
    #[cfg_attr(feature = "db", sea_orm(string_value = "sent"))]
    Sent,
    #[cfg_attr(feature = "db", sea_orm(string_value = "failed"))]
    Failed,
}

impl Invitation {
    pub fn as_str(self) -> &'static str {
        match self {
            Invitation::NotInvited => "not_invited",
            Invitation::Queued => "queued",
            Invitation::Sent => "sent",
            Invitation::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Invitation::NotInvited => "Not invited",
            Invitation::Queued => "Invitation queued",
            Invitation::Sent => "Invitation sent",
            Invitation::Failed => "Invitation failed",
        }
    }

    pub fn parse(value: &str) -> Invitation {
        match value {
            "queued" => Invitation::Queued,
            "sent" => Invitation::Sent,
            "failed" => Invitation::Failed,
            _ => Invitation::NotInvited,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_ons_bring_essential_and_leave_with_it() {
        let r = Roles::default().with(Role::RealTime, true);
        assert!(r.essential && r.real_time);
        let r = r.with(Role::Agent, true).with(Role::Essential, false);
        assert!(!r.essential && !r.real_time && !r.agent);
        assert!(r.validate().is_ok());
    }

    #[test]
    fn live_supervisor_levels_bring_real_time_and_keep_it() {
        let r = Roles::default().with_supervisor(Supervisor::LiveAnalytics);
        assert!(r.real_time && r.essential);
        assert_eq!(r.locked_reason(Role::RealTime), Some("Included with Live Analytics and Contact Centre."));
        assert!(r.with(Role::RealTime, false).real_time, "Real-Time stays while the level needs it");
        let r = r.with(Role::Essential, false);
        assert_eq!(r.supervisor, Supervisor::Analytics);
        assert!(r.validate().is_ok());
        let r = Roles::default().with_supervisor(Supervisor::Reports);
        assert!(!r.real_time && r.locked_reason(Role::RealTime).is_none());
    }

    #[test]
    fn validate_refuses_broken_dependencies() {
        let broken = Roles { real_time: true, ..Roles::default() };
        assert!(broken.validate().unwrap_err().contains("require the Essential"));
        let broken = Roles { agent: true, ..Roles::default() };
        assert!(broken.validate().is_err());
        let broken = Roles { essential: true, supervisor: Supervisor::ContactCentre, ..Roles::default() };
        assert!(broken.validate().unwrap_err().contains("Contact Centre supervisor access requires"));
        assert!(Roles::primary_default().validate().is_ok());
    }

    #[test]
    fn levels_are_ordered_and_round_trip() {
        for s in Supervisor::ALL {
            assert_eq!(Supervisor::parse(s.as_str()), Some(s));
        }
        assert!(Supervisor::Reports < Supervisor::Insights && Supervisor::Analytics < Supervisor::ContactCentre);
        assert_eq!(Roles::default().summary(), "No access");
        assert!(!Roles::default().grants_access());
    }
}
