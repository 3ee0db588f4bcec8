//! Reseller users as the Users page shows and edits them, and the rules of their forms.

use crate::field::{FieldErrors, display_name, email};
use crate::permission::{Permission, Permissions};
use serde::{Deserialize, Serialize};

/// A reseller user in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResellerUserView {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub permissions: Permissions,
    /// Deactivated users cannot sign in.
    pub active: bool,
    /// Has set a password (through the activation link).
    pub activated: bool,
    /// The signed-in user themself.
    pub is_you: bool,
    /// Local date in the reseller's time zone.
    pub created_on: String,
}

/// The "+ New User" form and the edit form (the email is fixed once created).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserForm {
    pub display_name: String,
    pub email: String,
    pub permissions: Permissions,
}

impl UserForm {
    /// The form's rules (`creating`: the email is checked too).
    pub fn validate(&self, creating: bool) -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.check("display_name", display_name(&self.display_name));
        if creating {
            errors.check("email", email(&self.email));
        }
        errors.check("permissions", permissions_rule(self.permissions));
        errors
    }
}

/// Website Access is needed for every other permission.
pub fn permissions_rule(p: Permissions) -> Result<(), String> {
    if !p.contains(Permission::WebsiteAccess) && p.iter().next().is_some() {
        return Err("Website Access is needed for the other permissions: give it, or clear them.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_permissions_need_website_access() {
        let none = Permissions::default();
        assert!(permissions_rule(none).is_ok(), "a user may have no permission at all");
        assert!(permissions_rule(none.with(Permission::ManageUsers)).is_err());
        assert!(permissions_rule(none.with(Permission::WebsiteAccess).with(Permission::ManageUsers)).is_ok());
        let form = UserForm { display_name: "".into(), email: "x".into(), permissions: none.with(Permission::BillingAdministrator) };
        let errors = form.validate(true);
        assert!(errors.get("display_name").is_some() && errors.get("email").is_some() && errors.get("permissions").is_some());
        assert!(form.validate(false).get("email").is_none(), "the email is not edited");
    }
}
