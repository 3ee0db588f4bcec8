//! Field rules: lengths and formats, written once for browser and server.

use serde::{Deserialize, Serialize};

/// One problem with one input, in words meant for a reseller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's machine name, e.g. `email`.
    pub field: String,
    pub message: String,
}

/// The problems found in one submission; empty means valid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the outcome of one rule under `field`.
    pub fn check(&mut self, field: &str, outcome: Result<(), String>) {
        if let Err(message) = outcome {
            self.0.push(FieldError { field: field.to_owned(), message });
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message recorded for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Counts characters, not bytes: "Zoë" is three characters long.
fn char_len(value: &str) -> usize {
    value.chars().count()
}

/// A required single-line text of 1..=max characters after trimming.
pub fn required_text(label: &str, value: &str, max: usize) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{label} is required."));
    }
    optional_text(label, value, max)?;
    if value.chars().any(char::is_control) {
        return Err(format!("{label} cannot contain line breaks or control characters."));
    }
    Ok(())
}

/// An optional text of at most `max` characters after trimming.
pub fn optional_text(label: &str, value: &str, max: usize) -> Result<(), String> {
    let len = char_len(value.trim());
    if len > max {
        return Err(format!("{label} can be at most {max} characters (now {len})."));
    }
    // Line breaks and tabs are text; other control characters (NUL above all, which
    // PostgreSQL refuses) are not.
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(format!("{label} contains a control character; remove it."));
    }
    Ok(())
}

pub const EMAIL_MAX: usize = 200;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// A deliberately plain email check: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no spaces. Deliverability is proven by the invitation, not here.
pub fn email(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Email is required.".into());
    }
    if char_len(value) > EMAIL_MAX {
        return Err(format!("Email can be at most {EMAIL_MAX} characters."));
    }
    let invalid = || Err("Enter an email address like name@example.com.".to_string());
    let Some((local, domain)) = value.split_once('@') else { return invalid() };
    if local.is_empty() || local.len() > 64 || domain.contains('@') || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid();
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return invalid();
    }
    Ok(())
}

/// Emails are compared case-insensitively: this is the stored lookup key.
pub fn email_key(value: &str) -> String {
    value.trim().to_lowercase()
}

pub fn display_name(value: &str) -> Result<(), String> {
    required_text("Display Name", value, DISPLAY_NAME_MAX)
}

/// The rule for a new password. Common passwords are refused by the server's list as well.
pub fn new_password(value: &str) -> Result<(), String> {
    let len = char_len(value);
    if len < PASSWORD_MIN {
        return Err(format!("Password must be at least {PASSWORD_MIN} characters."));
    }
    if len > PASSWORD_MAX {
        return Err(format!("Password can be at most {PASSWORD_MAX} characters."));
    }
    Ok(())
}

/// Where to go after signing in: only a path on this site, never another origin.
pub fn safe_next_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_ordinary_addresses() {
        assert!(email("ann@example.com").is_ok());
        assert!(email("  Ann.Lee+billing@sub.example.co.uk ").is_ok());
    }

    #[test]
    fn email_refuses_malformed_addresses() {
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "a b@example.com", "ann@-x.com", "ann@x..com"] {
            assert!(email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn email_length_is_limited_to_200_characters() {
        let long = format!("{}@example.com", "a".repeat(60)) + &".example".repeat(20);
        assert!(long.chars().count() > EMAIL_MAX);
        assert!(email(&long).unwrap_err().contains("at most 200"));
    }

    #[test]
    fn email_key_ignores_case_and_surrounding_space() {
        assert_eq!(email_key("  Ann@Example.COM "), "ann@example.com");
    }

    #[test]
    fn required_text_trims_and_counts_characters() {
        assert!(required_text("Name", "   ", 10).unwrap_err().contains("required"));
        assert!(required_text("Name", "ZoëZoëZoë", 9).is_ok());
        assert!(required_text("Name", "ZoëZoëZoëx", 9).unwrap_err().contains("at most 9"));
        assert!(required_text("Name", "a\nb", 9).is_err());
        assert!(optional_text("Notes", "line one\nline two\tend", 100).is_ok());
        assert!(optional_text("Notes", "nul\0here", 100).unwrap_err().contains("control character"));
    }

    #[test]
    fn display_name_is_required_and_at_most_100() {
        assert!(display_name("").is_err());
        assert!(display_name(&"x".repeat(100)).is_ok());
        assert!(display_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn new_password_length_bounds() {
        assert!(new_password(&"x".repeat(11)).is_err());
        assert!(new_password(&"x".repeat(12)).is_ok());
        assert!(new_password(&"x".repeat(128)).is_ok());
        assert!(new_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn next_path_must_stay_on_this_site() {
        assert_eq!(safe_next_path("/customers?page=2"), Some("/customers?page=2"));
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "customers", "/a\nb"] {
            assert_eq!(safe_next_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn field_errors_collect_failed_rules_only() {
        let mut errors = FieldErrors::new();
        errors.check("email", email("nope"));
        errors.check("display_name", display_name("Ann"));
        assert_eq!(errors.0.len(), 1);
        assert!(errors.get("email").is_some());
        assert!(errors.into_result().is_err());
    }
}
