//! Small helpers every part of the domain uses: the grid's search text, calendar days in a
//! reseller's time zone, `LIKE` patterns, a customer user's roles.

use crate::entity::customer_user;
use chrono::{DateTime, NaiveDate, Utc};
use model::customer::CustomerStatus;
use model::roles::Roles;

/// The lower-cased text the grid's search looks in: every visible column of the row.
pub fn search_text(
    name: &str,
    created_on: NaiveDate,
    status: CustomerStatus,
    reference: &str,
    product_type: &str,
    country: &str,
) -> String {
    format!("{name}\u{1f}{created_on}\u{1f}{}\u{1f}{reference}\u{1f}{product_type}\u{1f}{country}", status.label())
        .to_lowercase()
}

/// The day `at` falls on in the reseller's time zone.
pub fn local_date(at: DateTime<Utc>, time_zone: &str) -> NaiveDate {
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at.with_timezone(&tz).date_naive(),
        Err(_) => at.date_naive(),
    }
}

/// Makes `%`, `_` and `\` in the user's search match themselves.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A customer user's roles, from their row.
pub fn roles_of(u: &customer_user::Model) -> Roles {
    Roles {
        essential: u.essential,
        professional: u.professional,
        real_time: u.real_time,
        agent: u.agent,
        supervisor: u.supervisor,
        user_admin: u.user_admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn search_text_holds_every_visible_column_lower_cased() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let t = search_text("Acme Ltd", d, CustomerStatus::Disabled, "REF-9", "Call Analytics Pro", "GB");
        for part in ["acme ltd", "2026-03-09", "disabled", "ref-9", "call analytics pro", "gb"] {
            assert!(t.contains(part), "{part}");
        }
    }

    #[test]
    fn dates_are_the_resellers_calendar_day() {
        let late = DateTime::parse_from_rfc3339("2026-06-30T23:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(local_date(late, "Europe/London").to_string(), "2026-07-01");
        assert_eq!(local_date(late, "America/New_York").to_string(), "2026-06-30");
    }
}
