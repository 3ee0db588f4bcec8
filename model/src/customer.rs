//! Customers as the browser sees them, and the customer grid's state.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CustomerStatus {
    #[default]
    Active,
    Disabled,
    Terminated,
}

impl CustomerStatus {
    pub const ALL: [CustomerStatus; 3] = [CustomerStatus::Active, CustomerStatus::Disabled, CustomerStatus::Terminated];

    /// The stored and URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Active => "active",
            CustomerStatus::Disabled => "disabled",
            CustomerStatus::Terminated => "terminated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CustomerStatus::Active => "Active",
            CustomerStatus::Disabled => "Disabled",
            CustomerStatus::Terminated => "Terminated",
        }
    }

    pub fn parse(value: &str) -> Option<CustomerStatus> {
        CustomerStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// The grid's sortable columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortColumn {
    #[default]
    Name,
    Created,
    Status,
    Reference,
    ProductType,
    Country,
}

impl SortColumn {
    pub const ALL: [SortColumn; 6] =
        [SortColumn::Name, SortColumn::Created, SortColumn::Status, SortColumn::Reference, SortColumn::ProductType, SortColumn::Country];

    pub fn as_str(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Created => "created",
            SortColumn::Status => "status",
            SortColumn::Reference => "reference",
            SortColumn::ProductType => "product_type",
            SortColumn::Country => "country",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "Name",
            SortColumn::Created => "Date Created",
            SortColumn::Status => "Status",
            SortColumn::Reference => "Reference",
            SortColumn::ProductType => "Product Type",
            SortColumn::Country => "Country",
        }
    }

    pub fn parse(value: &str) -> Option<SortColumn> {
        SortColumn::ALL.into_iter().find(|c| c.as_str() == value)
    }
}

pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];

/// How many days before its end a trial is announced (and counted as "ending soon").
pub const TRIAL_WARNING_DAYS: i64 = 7;
pub const SEARCH_MAX: usize = 100;

/// Everything that decides which customers the grid shows. It lives in the URL, so a reload,
/// a shared link and the back button all restore it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GridQuery {
    pub search: String,
    pub sort: SortColumn,
    pub descending: bool,
    pub status: Option<CustomerStatus>,
    /// A product type's code.
    pub product_type: Option<String>,
    pub trial: Option<bool>,
    pub in_house: Option<bool>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

impl Default for GridQuery {
    fn default() -> Self {
        GridQuery {
            search: String::new(),
            sort: SortColumn::Name,
            descending: false,
            status: None,
            product_type: None,
            trial: None,
            in_house: None,
            page: 1,
            page_size: PAGE_SIZES[0],
        }
    }
}

/// A yes/no/either filter as it appears in the URL and in a `<select>`: `yes`, `no` or empty.
pub fn parse_flag(value: &str) -> Option<bool> {
    match value {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

pub fn flag_value(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

impl GridQuery {
    /// Reads the state from URL query pairs. Unknown or malformed values fall back to the
    /// defaults: a hand-edited URL never breaks the page.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> GridQuery {
        let mut q = GridQuery::default();
        for (key, value) in pairs {
            match key {
                "q" => q.search = value.chars().take(SEARCH_MAX).collect(),
                "sort" => q.sort = SortColumn::parse(value).unwrap_or_default(),
                "dir" => q.descending = value == "desc",
                "status" => q.status = CustomerStatus::parse(value),
                "type" => q.product_type = (!value.is_empty()).then(|| value.chars().take(50).collect()),
                "trial" => q.trial = parse_flag(value),
                "inhouse" => q.in_house = parse_flag(value),
                "page" => q.page = value.parse().unwrap_or(1).max(1),
                "size" => q.page_size = value.parse().ok().filter(|s| PAGE_SIZES.contains(s)).unwrap_or(PAGE_SIZES[0]),
                _ => {}
            }
        }
        q
    }

    /// The non-default parts, as URL query pairs.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let d = GridQuery::default();
        let mut pairs = Vec::new();
        if !self.search.trim().is_empty() {
            pairs.push(("q", self.search.clone()));
        }
        if self.sort != d.sort {
            pairs.push(("sort", self.sort.as_str().into()));
        }
        if self.descending {
            pairs.push(("dir", "desc".into()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().into()));
        }
        if let Some(t) = &self.product_type {
            pairs.push(("type", t.clone()));
        }
        if let Some(t) = self.trial {
            pairs.push(("trial", flag_value(Some(t)).into()));
        }
        if let Some(i) = self.in_house {
            pairs.push(("inhouse", flag_value(Some(i)).into()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if self.page_size != d.page_size {
            pairs.push(("size", self.page_size.to_string()));
        }
        pairs
    }

    /// `?…` for this state (empty for the default view).
    pub fn to_query_string(&self) -> String {
        crate::url::query_string(self.to_pairs())
    }

    /// Sorting by `column`: a new column sorts ascending, the current one flips direction.
    /// Either way the view goes back to the first page.
    pub fn sorted_by(&self, column: SortColumn) -> GridQuery {
        let descending = self.sort == column && !self.descending;
        GridQuery { sort: column, descending, page: 1, ..self.clone() }
    }

    /// Any change of what is shown starts again from page 1.
    pub fn refined(&self, change: impl FnOnce(&mut GridQuery)) -> GridQuery {
        let mut next = self.clone();
        change(&mut next);
        next.page = 1;
        next
    }

    pub fn at_page(&self, page: u32) -> GridQuery {
        GridQuery { page: page.max(1), ..self.clone() }
    }

    pub fn is_filtered(&self) -> bool {
        !self.search.trim().is_empty()
            || self.status.is_some()
            || self.product_type.is_some()
            || self.trial.is_some()
            || self.in_house.is_some()
    }

    /// The query as the server uses it, whatever a client sent: a page size from
    /// [`PAGE_SIZES`], a page of at least 1, a search and product type of bounded length.
    pub fn clamped(&self) -> GridQuery {
        GridQuery {
            search: self.search.chars().take(SEARCH_MAX).collect(),
            product_type: self.product_type.as_ref().map(|t| t.chars().take(50).collect()),
            page: self.page.max(1),
            page_size: if PAGE_SIZES.contains(&self.page_size) { self.page_size } else { PAGE_SIZES[0] },
            ..self.clone()
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(self.page_size)
    }
}

/// One line of the grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    /// The Tenant ID.
    pub id: String,
    pub name: String,
    /// `YYYY-MM-DD`, in the reseller's time zone.
    pub created_on: String,
    pub status: CustomerStatus,
    pub reference: String,
    pub product_type: String,
    pub country: String,
    /// The country's English name, for the grid's tooltip (empty for a code the portal does
    /// not know). Sent with the row so the browser's bundle need not carry the country table.
    pub country_name: String,
    pub trial_ends_on: Option<String>,
    /// Days from the reseller's today to the trial's last day (0: it ends today).
    #[serde(default)]
    pub trial_days_left: Option<i64>,
    pub in_house: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductTypeOption {
    pub code: String,
    pub name: String,
}

/// One page of the grid, with what the filters offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub rows: Vec<CustomerRow>,
    /// Customers matching the search and filters, over all pages; with `total_is_lower_bound`,
    /// at least this many (counting stopped at [`COUNT_CAP`]).
    pub total: u64,
    #[serde(default)]
    pub total_is_lower_bound: bool,
    pub product_types: Vec<ProductTypeOption>,
    /// The reseller's trials (in any view) that end within seven days: the grid's notice.
    #[serde(default)]
    pub trials_ending_soon: u64,
}

/// A grid count that would read more matching rows than this stops there: a broad search of a
/// huge estate says "more than 1,000" (forty pages of 25) instead of reading every match to
/// count it. At 1,000,000 customers on PostgreSQL a search matching 80,000 took 157 ms with an
/// exact count, 38 ms with this cap at 10,000 and 13 ms at 1,000 (BENCHMARKS.md).
pub const COUNT_CAP: u64 = 1_000;

impl CustomerPage {
    pub fn page_count(&self, page_size: u32) -> u32 {
        (self.total.div_ceil(u64::from(page_size.max(1))) as u32).max(1)
    }

    /// The total as the grid writes it: "1,234", or "more than 1,000".
    pub fn total_text(&self) -> String {
        let n = group_thousands(self.total);
        if self.total_is_lower_bound { format!("more than {n}") } else { n }
    }
}

/// `12345` as "12,345".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_with_thousands_grouped_and_say_when_counting_stopped() {
        let page = |total, total_is_lower_bound| CustomerPage { rows: vec![], total, total_is_lower_bound, product_types: vec![], trials_ending_soon: 0 };
        assert_eq!(page(0, false).total_text(), "0");
        assert_eq!(page(999, false).total_text(), "999");
        assert_eq!(page(1_000, false).total_text(), "1,000");
        assert_eq!(page(1_234_567, false).total_text(), "1,234,567");
        assert_eq!(page(COUNT_CAP, true).total_text(), "more than 1,000");
    }

    #[test]
    fn the_default_view_has_an_empty_query_string() {
        assert_eq!(GridQuery::default().to_query_string(), "");
    }

    #[test]
    fn grid_state_round_trips_through_the_url() {
        let q = GridQuery {
            search: "acme & co".into(),
            sort: SortColumn::Created,
            descending: true,
            status: Some(CustomerStatus::Disabled),
            product_type: Some("professional".into()),
            trial: Some(true),
            in_house: Some(false),
            page: 3,
            page_size: 50,
        };
        let pairs = q.to_pairs();
        let back = GridQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back, q);
    }

    #[test]
    fn malformed_url_values_fall_back_to_defaults() {
        let q = GridQuery::from_pairs([("sort", "DROP TABLE"), ("page", "-4"), ("size", "1000000"), ("status", "zombie"), ("trial", "maybe")]);
        assert_eq!(q, GridQuery::default());
    }

    #[test]
    fn sorting_the_same_column_again_reverses_and_returns_to_page_one() {
        let q = GridQuery { page: 4, ..GridQuery::default() };
        let once = q.sorted_by(SortColumn::Name);
        assert!(once.descending && once.page == 1);
        assert!(!once.sorted_by(SortColumn::Name).descending);
        let other = once.sorted_by(SortColumn::Country);
        assert_eq!((other.sort, other.descending), (SortColumn::Country, false));
    }

    #[test]
    fn page_count_rounds_up_and_is_at_least_one() {
        let page = CustomerPage { rows: vec![], total: 51, total_is_lower_bound: false, product_types: vec![], trials_ending_soon: 0 };
        assert_eq!(page.page_count(25), 3);
        assert_eq!(CustomerPage { total: 0, ..page }.page_count(25), 1);
    }
}
