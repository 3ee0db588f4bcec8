//! Billing runs as the browser and the downloads see them: a month (`Period`), its lines, the
//! CSV rendering, and money as exact decimal strings.
//!
//! Money is kept in integer cents everywhere it is computed; it becomes a decimal string such as
//! `"12.50"` only on a line, so JSON consumers never meet a binary float.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month in the reseller's time zone, written `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

const MONTH_NAMES: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

impl Period {
    /// `None` unless `month` is 1..=12 and the year has four digits.
    pub fn new(year: i32, month: u32) -> Option<Period> {
        ((1000..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Period { year, month })
    }

    /// Reads `YYYY-MM` (exactly: `2026-7` or `2026-07-01` are refused).
    pub fn parse(text: &str) -> Result<Period, String> {
        let refuse = || format!("Choose a month written as YYYY-MM, such as 2026-10 (not \u{201c}{}\u{201d}).", text.trim());
        let (year, month) = text.trim().split_once('-').ok_or_else(refuse)?;
        if year.len() != 4 || month.len() != 2 || !year.bytes().chain(month.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        Period::new(year.parse().map_err(|_| refuse())?, month.parse().map_err(|_| refuse())?).ok_or_else(refuse)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 = January.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month before this one.
    pub fn previous(self) -> Period {
        if self.month == 1 { Period { year: self.year - 1, month: 12 } } else { Period { year: self.year, month: self.month - 1 } }
    }

    /// How the month reads to a person: `October 2026`.
    pub fn label(self) -> String {
        format!("{} {}", MONTH_NAMES[self.month as usize - 1], self.year)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One billable item of a month: one customer, prorated by day.
///
/// Field order is the order of the CSV columns and of the JSON document; changing it changes
/// every download, so it is fixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingLine {
    /// The customer's Reference, or its Tenant ID when it has none.
    pub tenant_code: String,
    pub customer_name: String,
    /// The product type's name.
    pub product_type: String,
    pub part_number: String,
    /// Chargeable days: the days billed minus the zero-rated (in-house, trial) ones.
    pub quantity: u32,
    pub days_in_period: u32,
    /// First day billed (ISO date).
    pub from: String,
    /// Last day billed (ISO date), inclusive.
    pub to: String,
    /// The product type's monthly price, e.g. `12.50`.
    pub unit_price: String,
    /// `unit_price × quantity ÷ days_in_period`, rounded half up to the cent.
    pub value: String,
}

/// A month's billing as it was run: a record that reads the same every time it is fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingRun {
    /// `YYYY-MM`.
    pub period: String,
    /// When it was run, RFC 3339 in UTC (`2026-11-01T09:14:03Z`): a download made later, or
    /// after the reseller changed its time zone, stays byte for byte the same.
    pub created_at: String,
    /// Who ran it.
    pub created_by: String,
    pub lines: Vec<BillingLine>,
    /// The sum of the lines' values.
    pub total: String,
}

/// A stored run in the list of runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingRunSummary {
    /// `YYYY-MM`.
    pub period: String,
    /// When it was run, in the reseller's time zone: `2026-11-01 09:14`.
    pub created_at: String,
    pub created_by: String,
    /// How many lines it has.
    pub lines: usize,
    pub total: String,
}

/// What the billing page starts from: the months that can be run and the runs stored so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingOverview {
    /// Ended months (in the reseller's time zone), newest first, as `YYYY-MM`.
    pub months: Vec<String>,
    /// Stored runs, newest month first.
    pub runs: Vec<BillingRunSummary>,
}

/// What the billing page opens with: the overview, the month shown (`None` only when no month
/// can be offered) and that month's stored run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingStart {
    /// Names the downloads.
    pub reseller_name: String,
    pub overview: BillingOverview,
    pub month: Option<String>,
    pub run: Option<BillingRun>,
}

/// How many ended months the billing page offers.
pub const MONTHS_OFFERED: usize = 24;

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 10] =
    ["tenant_code", "customer_name", "product_type", "part_number", "quantity", "days_in_period", "from", "to", "unit_price", "value"];

/// The run's lines as CSV (RFC 4180 quoting, `\n` line ends, a header row). A cell that a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return)
/// gets a leading `'`, as in the customer export.
pub fn csv(run: &BillingRun) -> String {
    let mut out = String::new();
    push_record(&mut out, CSV_HEADER.iter().map(|h| h.to_string()));
    for l in &run.lines {
        push_record(
            &mut out,
            [
                l.tenant_code.clone(),
                l.customer_name.clone(),
                l.product_type.clone(),
                l.part_number.clone(),
                l.quantity.to_string(),
                l.days_in_period.to_string(),
                l.from.clone(),
                l.to.clone(),
                l.unit_price.clone(),
                l.value.clone(),
            ]
            .into_iter(),
        );
    }
    out
}

fn push_record(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell };
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push('\n');
}

/// The download's file name: `billing-demo-reseller-2026-10.csv`.
pub fn file_name(reseller_name: &str, period: &str, extension: &str) -> String {
    let mut slug = String::new();
    for c in reseller_name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "reseller" } else { slug };
    format!("billing-{slug}-{period}.{extension}")
}

/// Cents as a decimal string: `1250` → `12.50`, `-5` → `-0.05`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Reads an amount of money with at most two decimal places (`12`, `12.5`, `12.50`) as cents.
/// Negative amounts, thousands separators and more decimals are refused.
pub fn parse_cents(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err("The amount cannot be negative.".into());
    }
    let refuse = || format!("Write the amount with at most two decimal places, such as 12.50 (not \u{201c}{text}\u{201d}).");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || whole.len() > 15
        || fraction.len() > 2
        || (text.contains('.') && fraction.is_empty())
        || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(refuse());
    }
    let whole: i64 = whole.parse().map_err(|_| refuse())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| refuse())?;
    whole.checked_mul(100).and_then(|c| c.checked_add(fraction)).ok_or_else(refuse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, value: &str) -> BillingLine {
        BillingLine {
            tenant_code: "ACME-001".into(),
            customer_name: name.into(),
            product_type: "Call Analytics Essentials".into(),
            part_number: "CA-ESS-01".into(),
            quantity: 31,
            days_in_period: 31,
            from: "2026-10-01".into(),
            to: "2026-10-31".into(),
            unit_price: "12.50".into(),
            value: value.into(),
        }
    }

    #[test]
    fn periods_are_exactly_year_dash_month() {
        let p = Period::parse("2026-10").unwrap();
        assert_eq!((p.year(), p.month()), (2026, 10));
        assert_eq!(p.to_string(), "2026-10");
        assert_eq!(p.label(), "October 2026");
        assert_eq!(Period::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        for bad in ["2026-7", "2026-13", "2026-00", "26-10", "2026-10-01", "october", "", "2026/10", "+026-10"] {
            assert!(Period::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn csv_has_the_header_quotes_by_rfc_4180_and_neutralises_formulas() {
        let run = BillingRun {
            period: "2026-10".into(),
            created_at: "2026-11-01T09:14:03Z".into(),
            created_by: "Dana".into(),
            lines: vec![line("Smith, \"Jones\" & Co", "12.50"), line("=HYPERLINK(\"x\")", "0.00")],
            total: "12.50".into(),
        };
        let text = csv(&run);
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows[0], "tenant_code,customer_name,product_type,part_number,quantity,days_in_period,from,to,unit_price,value");
        assert_eq!(rows[1], "ACME-001,\"Smith, \"\"Jones\"\" & Co\",Call Analytics Essentials,CA-ESS-01,31,31,2026-10-01,2026-10-31,12.50,12.50");
        assert!(rows[2].starts_with("ACME-001,\"'=HYPERLINK(\"\"x\"\")\","), "{}", rows[2]);
        assert!(text.ends_with('\n') && !text.contains('\r'));
    }

    #[test]
    fn file_names_carry_a_slug_of_the_reseller() {
        assert_eq!(file_name("Demo Reseller", "2026-10", "csv"), "billing-demo-reseller-2026-10.csv");
        assert_eq!(file_name("  Zoë & Co. (UK) ", "2026-10", "json"), "billing-zo-co-uk-2026-10.json");
        assert_eq!(file_name("***", "2026-10", "csv"), "billing-reseller-2026-10.csv");
    }

    #[test]
    fn money_is_exact_in_both_directions() {
        assert_eq!(format_cents(1250), "12.50");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(parse_cents("12.50"), Ok(1250));
        assert_eq!(parse_cents("12.5"), Ok(1250));
        assert_eq!(parse_cents("12"), Ok(1200));
        assert_eq!(parse_cents("0.07"), Ok(7));
        assert!(parse_cents("-1").unwrap_err().contains("negative"));
        for bad in ["12.505", "12.", ".5", "1,000", "abc", "", "1e3", "12.5x"] {
            assert!(parse_cents(bad).is_err(), "{bad} was accepted");
        }
    }
}
