//! Reseller-user permissions.

use serde::{Deserialize, Serialize};

/// What a reseller user may do. Website Access is needed to sign in at all; the others are
/// unavailable without it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    WebsiteAccess,
    ManageUsers,
    CustomerAdministrator,
    BillingAdministrator,
    RestApiAdministrator,
    WebhooksAdministrator,
}

impl Permission {
    pub const ALL: [Permission; 6] = [
        Permission::WebsiteAccess,
        Permission::ManageUsers,
        Permission::CustomerAdministrator,
        Permission::BillingAdministrator,
        Permission::RestApiAdministrator,
        Permission::WebhooksAdministrator,
    ];

    /// The bit this permission occupies in the stored mask. Never renumber: rows hold these.
    const fn bit(self) -> u32 {
        match self {
            Permission::WebsiteAccess => 1,
            Permission::ManageUsers => 1 << 1,
            Permission::CustomerAdministrator => 1 << 2,
            Permission::BillingAdministrator => 1 << 3,
            Permission::RestApiAdministrator => 1 << 4,
            Permission::WebhooksAdministrator => 1 << 5,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Permission::WebsiteAccess => "Website Access",
            Permission::ManageUsers => "Manage Users",
            Permission::CustomerAdministrator => "Customer Administrator",
            Permission::BillingAdministrator => "Billing Administrator",
            Permission::RestApiAdministrator => "REST API Administrator",
            Permission::WebhooksAdministrator => "Webhooks Administrator",
        }
    }

    /// The name used on the operator command line, e.g. `manage-users`.
    pub fn slug(self) -> &'static str {
        match self {
            Permission::WebsiteAccess => "website-access",
            Permission::ManageUsers => "manage-users",
            Permission::CustomerAdministrator => "customer-administrator",
            Permission::BillingAdministrator => "billing-administrator",
            Permission::RestApiAdministrator => "rest-api-administrator",
            Permission::WebhooksAdministrator => "webhooks-administrator",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.slug() == slug)
    }
}

/// A set of permissions, stored as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions(u32);

impl Permissions {
    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    pub fn from_bits(bits: u32) -> Self {
        Permissions(bits & Self::all_bits())
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    const fn all_bits() -> u32 {
        (1 << 6) - 1
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether the holder may use `permission` now: every permission but Website Access
    /// is dormant while Website Access is missing.
    pub fn allows(self, permission: Permission) -> bool {
        self.contains(Permission::WebsiteAccess) && self.contains(permission)
    }

    pub fn with(self, permission: Permission) -> Self {
        Permissions(self.0 | permission.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Permissions::default(), Permissions::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_round_trip_through_bits() {
        let set: Permissions = [Permission::WebsiteAccess, Permission::BillingAdministrator].into_iter().collect();
        assert_eq!(Permissions::from_bits(set.bits()), set);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![Permission::WebsiteAccess, Permission::BillingAdministrator]);
    }

    #[test]
    fn other_permissions_are_dormant_without_website_access() {
        let set: Permissions = [Permission::ManageUsers].into_iter().collect();
        assert!(set.contains(Permission::ManageUsers));
        assert!(!set.allows(Permission::ManageUsers));
        assert!(set.with(Permission::WebsiteAccess).allows(Permission::ManageUsers));
    }

    #[test]
    fn slugs_parse_back() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_slug(p.slug()), Some(p));
        }
        assert_eq!(Permission::from_slug("root"), None);
    }
}
