//! Customers: the grid's query (and, as the product grows, every rule about customers).

use crate::scope::ResellerId;
use crate::entity::{customer, product_type, reseller, reseller_product_type};
use crate::common::local_date;
use crate::paging::{At, Cursor, Page, PageRequest};
use crate::search::Search;
use crate::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use model::customer::{CustomerPage, CustomerRow, CustomerStatus, GridQuery, ProductTypeOption, SortColumn, COUNT_CAP};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
};

#[derive(FromQueryResult)]
struct GridRow {
    id: uuid::Uuid,
    name: String,
    created_at: DateTime<Utc>,
    status: customer::Status,
    reference: String,
    product_type_name: String,
    country: String,
    trial_expires_on: Option<NaiveDate>,
    in_house: bool,
}

/// One page of a reseller's customers, searched, filtered and sorted, with the total count.
/// Only rows of `reseller_id` are ever read.
pub async fn grid(db: &impl ConnectionTrait, reseller_id: ResellerId, query: &GridQuery) -> Result<CustomerPage> {
    // Whatever the caller sent: a page size from the allowed ones, a bounded search.
    let query = &query.clamped();
    let search = Search::new(&query.search);
    // On SQLite the trigram index counts the search's matches first: that picks the plan, and
    // is the total itself when no filter narrows the search.
    let indexed = match &search {
        Some(s) => s.count_indexed(db, reseller_id).await?,
        None => None,
    };
    let only_searched = !GridQuery { search: String::new(), ..query.clone() }.is_filtered();
    let by_status_alone = search.is_none() && !GridQuery { status: None, ..query.clone() }.is_filtered();
    // Independent reads: run them side by side on separate pool connections.
    let (total, rows, product_types, trials_ending_soon) = tokio::try_join!(
        async {
            // Counted totals stop at the cap (the same on both engines); kept ones are exact.
            let at_most = |n: u64| if n > COUNT_CAP { (COUNT_CAP, true) } else { (n, false) };
            match indexed {
                Some(n) if only_searched => Ok::<_, Error>(at_most(n)),
                _ if by_status_alone => Ok((kept_count(db, reseller_id, query.status.map(customer::Status::from)).await?, false)),
                _ => Ok(at_most(capped_count(db, filtered(db, reseller_id, query, search.as_ref(), indexed)).await?)),
            }
        },
        planned_rows(db, reseller_id, query, search.as_ref(), indexed, query.offset(), u64::from(query.page_size)),
        product_type_options(db, reseller_id),
        trials_ending_soon(db, reseller_id),
    )?;
    let (total, total_is_lower_bound) = total;
    Ok(CustomerPage { rows, total, total_is_lower_bound, product_types, trials_ending_soon })
}

/// How many rows `select` matches, counting no further than one past [`COUNT_CAP`]: a broad
/// search at a million customers (80,000 matches) would otherwise read every match to count it
/// (PostgreSQL rechecks each of the trigram index's matches in the table).
async fn capped_count(db: &impl ConnectionTrait, select: sea_orm::Select<customer::Entity>) -> Result<u64> {
    use sea_orm::{QuerySelect, QueryTrait};
    let capped = select.select_only().expr(Expr::val(1)).limit(COUNT_CAP + 1).into_query();
    let count = sea_orm::sea_query::SelectStatement::new()
        .expr(Expr::cust("COUNT(*) AS n"))
        .from_subquery(capped, Alias::new("capped"))
        .to_owned();
    let row = db.query_one(&count).await?.ok_or_else(|| Error::Internal("a count answered no row".into()))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}

/// How many customers the reseller has in `status` (in all, without one): read from the counts
/// the database keeps with every write of a customer (migration `…_customer_counts`).
async fn kept_count(db: &impl ConnectionTrait, reseller_id: ResellerId, status: Option<customer::Status>) -> Result<u64> {
    let counts = Alias::new("customer_counts");
    let mut select = Query::select();
    select
        .expr_as(Expr::cust("CAST(coalesce(sum(n), 0) AS bigint)"), Alias::new("n"))
        .from(counts)
        .and_where(Expr::col(Alias::new("reseller_id")).eq(reseller_id.get()));
    if let Some(status) = status {
        use sea_orm::ActiveEnum;
        select.and_where(Expr::col(Alias::new("status")).eq(status.to_value()));
    }
    let row = db.query_one(&select).await?;
    let n: i64 = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many of the reseller's trials end within `model::customer::TRIAL_WARNING_DAYS` days.
async fn trials_ending_soon(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<u64> {
    let owner = reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)?;
    let today = local_date(Utc::now(), &owner.time_zone);
    Ok(trials_ending_soon_query(reseller_id, today).count(db).await?)
}

/// The reseller's live customers whose trial ends within the warning period from `today` (read
/// through the partial index `customers_trials_of_reseller`).
pub fn trials_ending_soon_query(reseller_id: ResellerId, today: chrono::NaiveDate) -> Select<customer::Entity> {
    customer::Entity::find()
        .filter(customer::Column::TrialExpiresOn.gte(today))
        .filter(customer::Column::TrialExpiresOn.lte(today + chrono::Duration::days(model::customer::TRIAL_WARNING_DAYS)))
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .filter(crate::lifecycle::not_terminated())
}

/// `limit` rows of the grid's view from `offset`, in the grid's order (for pages and exports).
pub async fn rows(db: &impl ConnectionTrait, reseller_id: ResellerId, query: &GridQuery, offset: u64, limit: u64) -> Result<Vec<CustomerRow>> {
    let search = Search::new(&query.search);
    let indexed = match &search {
        Some(s) => s.count_indexed(db, reseller_id).await?,
        None => None,
    };
    planned_rows(db, reseller_id, query, search.as_ref(), indexed, offset, limit).await
}

/// [`rows`], given the search and its indexed count of matches (which picks the plan).
async fn planned_rows(
    db: &impl ConnectionTrait,
    reseller_id: ResellerId,
    query: &GridQuery,
    search: Option<&Search>,
    indexed: Option<u64>,
    offset: u64,
    limit: u64,
) -> Result<Vec<CustomerRow>> {
    let owner = reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)?;
    let today = local_date(Utc::now(), &owner.time_zone);
    let direction = if query.descending { Order::Desc } else { Order::Asc };
    let mut select = filtered(db, reseller_id, query, search, indexed)
        .join(JoinType::InnerJoin, customer::Relation::ProductType.def())
        .select_only()
        .columns([
            customer::Column::Id,
            customer::Column::Name,
            customer::Column::CreatedAt,
            customer::Column::Status,
            customer::Column::Reference,
            customer::Column::Country,
            customer::Column::TrialExpiresOn,
            customer::Column::InHouse,
        ])
        .column_as(product_type::Column::Name, "product_type_name");
    select = match query.sort {
        SortColumn::Name => select,
        SortColumn::Created => select.order_by(customer::Column::CreatedAt, direction.clone()),
        SortColumn::Status => select.order_by(customer::Column::Status, direction.clone()),
        SortColumn::Reference => select.order_by(customer::Column::Reference, direction.clone()),
        SortColumn::ProductType => select.order_by(product_type::Column::Name, direction.clone()),
        SortColumn::Country => select.order_by(customer::Column::Country, direction.clone()),
    };
    // Name breaks ties (and is the default order). Names are unique per reseller, so the order
    // is total and paging never shows a row twice or skips one.
    let rows = select
        .order_by(customer::Column::NameKey, direction)
        .offset(offset)
        .limit(limit)
        .into_model::<GridRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CustomerRow {
            id: r.id.to_string(),
            name: r.name,
            created_on: local_date(r.created_at, &owner.time_zone).to_string(),
            status: r.status.into(),
            reference: r.reference,
            product_type: r.product_type_name,
            country_name: model::country::find(&r.country).map(|c| c.name.to_owned()).unwrap_or_default(),
            country: r.country,
            trial_ends_on: r.trial_expires_on.map(|d| d.to_string()),
            trial_days_left: r.trial_expires_on.map(|d| (d - today).num_days()),
            in_house: r.in_house,
        })
        .collect())
}

/// The reseller's customers matching the search and filters (no order, no paging). No join:
/// counting 100,000 rows through a join to product types costs ten times the count itself.
fn filtered(db: &impl ConnectionTrait, reseller_id: ResellerId, query: &GridQuery, search: Option<&Search>, indexed: Option<u64>) -> Select<customer::Entity> {
    let mut select = searched(db, reseller_id, search, indexed);
    if let Some(status) = query.status {
        select = select.filter(customer::Column::Status.eq(customer::Status::from(status)));
    }
    if let Some(code) = &query.product_type {
        let ids = Query::select()
            .column(product_type::Column::Id)
            .from(product_type::Entity)
            .and_where(product_type::Column::Code.eq(code.as_str()))
            .to_owned();
        select = select.filter(customer::Column::ProductTypeId.in_subquery(ids));
    }
    match query.trial {
        Some(true) => select = select.filter(customer::Column::TrialExpiresOn.is_not_null()),
        Some(false) => select = select.filter(customer::Column::TrialExpiresOn.is_null()),
        None => {}
    }
    if let Some(in_house) = query.in_house {
        select = select.filter(customer::Column::InHouse.eq(in_house));
    }
    select
}

/// The reseller's customers whose search text contains `search` (all, without one). Where the
/// trigram index counted few matches, only its candidates are read.
fn searched(db: &impl ConnectionTrait, reseller_id: ResellerId, search: Option<&Search>, indexed: Option<u64>) -> Select<customer::Entity> {
    let mut select = customer::Entity::find().filter(customer::Column::ResellerId.eq(reseller_id));
    if let Some(search) = search {
        select = select.filter(search.matches());
        if let Some(candidates) = search.candidates(db, reseller_id, indexed) {
            select = select.filter(candidates);
        }
    }
    select
}

/// A customer as the REST API shows it: the domain's view, so no door maps database rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerView {
    pub id: uuid::Uuid,
    pub name: String,
    pub reference: String,
    /// The product type's code.
    pub product_type: String,
    pub country: String,
    pub time_zone: String,
    pub status: CustomerStatus,
    pub in_house: bool,
    pub trial_expires_on: Option<NaiveDate>,
    pub terminate_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// For optimistic concurrency (the REST API's `ETag`).
    pub version: i32,
}

/// `rows` as views, with their product types' codes.
async fn views(db: &impl ConnectionTrait, rows: Vec<customer::Model>) -> Result<Vec<CustomerView>> {
    let codes: std::collections::HashMap<i64, String> = product_type::Entity::find().all(db).await?.into_iter().map(|p| (p.id, p.code)).collect();
    Ok(rows
        .into_iter()
        .map(|c| CustomerView {
            product_type: codes.get(&c.product_type_id).cloned().unwrap_or_default(),
            id: c.id,
            name: c.name,
            reference: c.reference,
            country: c.country,
            time_zone: c.time_zone,
            status: c.status.into(),
            in_house: c.in_house,
            trial_expires_on: c.trial_expires_on,
            terminate_on: c.terminate_on,
            created_at: c.created_at,
            version: c.version,
        })
        .collect())
}

impl CustomerView {
    /// The customer as `GET /api/v1/customers/{id}` shows it (an event's `data.customer`).
    pub fn api_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "name": self.name,
            "reference": self.reference,
            "productType": self.product_type,
            "country": self.country,
            "timeZone": self.time_zone,
            "status": self.status.as_str(),
            "inHouse": self.in_house,
            "trialExpiresOn": self.trial_expires_on.map(|d| d.to_string()),
            "terminateOn": self.terminate_on.map(|d| d.to_string()),
            "createdAt": self.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }
}

/// Customer `id` as the API shows it, for an event recorded in the same transaction.
pub(crate) async fn api_json(db: &impl ConnectionTrait, id: uuid::Uuid) -> Result<serde_json::Value> {
    match customer::Entity::find_by_id(id).one(db).await? {
        Some(c) => Ok(views(db, vec![c]).await?.remove(0).api_json()),
        None => Ok(serde_json::json!({ "id": id.to_string() })),
    }
}

/// The reseller's customer `id` (another reseller's is `NotFound`, like a missing one).
pub async fn view(db: &impl ConnectionTrait, reseller_id: ResellerId, id: &str) -> Result<CustomerView> {
    let c = crate::scope::owned(db, reseller_id, id).await?;
    Ok(views(db, vec![c]).await?.remove(0))
}

/// The kind of cursor [`api_page`] gives out: the last customer's name key.
const CURSOR: &str = "customers";

/// The cursor `text` of a customers list, if it is one.
pub fn cursor(text: &str) -> Option<Cursor> {
    Cursor::decode(CURSOR, 1, text)
}

/// A page of the reseller's customers for the REST API, ordered by name: `filter` matches part
/// of the name or the reference (ignoring case). The total is counted for page-number requests;
/// a cursor page reads only its own rows (the name index from the cursor on).
pub async fn api_page(db: &impl ConnectionTrait, reseller_id: ResellerId, page: &PageRequest, filter: &str) -> Result<Page<CustomerView>> {
    let search = Search::name_or_reference(filter);
    let indexed = match &search {
        Some(s) => s.count_indexed(db, reseller_id).await?,
        None => None,
    };
    let mut select = searched(db, reseller_id, search.as_ref(), indexed);
    let total = match (&page.at, indexed) {
        (At::After(_), _) => None,
        (At::Index(_), Some(n)) => Some(n),
        (At::Index(_), None) => Some(select.clone().count(db).await?),
    };
    if let Some(after) = page.after() {
        select = select.filter(customer::Column::NameKey.gt(after.key()[0].as_str()));
    }
    // One row more than the page says whether there is a next one.
    let mut rows = select
        .order_by_asc(customer::Column::NameKey)
        .offset(page.offset())
        .limit(page.size.saturating_add(1))
        .all(db)
        .await?;
    let more = rows.len() as u64 > page.size;
    rows.truncate(page.size as usize);
    let next = if more { rows.last().map(|c| Cursor::new(CURSOR, vec![c.name_key.clone()])) } else { None };
    Ok(Page { items: views(db, rows).await?, total, next })
}

/// The product types a reseller may sell, by name.
pub async fn product_type_options(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<Vec<ProductTypeOption>> {
    let types = product_type::Entity::find()
        .join(JoinType::InnerJoin, product_type::Relation::ResellerProductType.def())
        .filter(reseller_product_type::Column::ResellerId.eq(reseller_id))
        .order_by_asc(product_type::Column::Name)
        .all(db)
        .await?;
    Ok(types.into_iter().map(|t| ProductTypeOption { code: t.code, name: t.name }).collect())
}
