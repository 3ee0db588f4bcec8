//! Customers: the grid's query (and, as the product grows, every rule about customers).

use crate::scope::ResellerId;
use crate::entity::{customer, product_type, reseller, reseller_product_type};
use crate::common::{escape_like, local_date};
use crate::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use model::customer::{CustomerPage, CustomerRow, CustomerStatus, GridQuery, ProductTypeOption, SortColumn};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
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
    // Three independent reads: run them side by side on separate pool connections.
    let (total, rows, product_types, trials_ending_soon) = tokio::try_join!(
        async { Ok::<_, Error>(filtered(reseller_id, query).count(db).await?) },
        rows(db, reseller_id, query, query.offset(), u64::from(query.page_size)),
        product_type_options(db, reseller_id),
        trials_ending_soon(db, reseller_id),
    )?;
    Ok(CustomerPage { rows, total, product_types, trials_ending_soon })
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
    let owner = reseller::Entity::find_by_id(reseller_id).one(db).await?.ok_or(Error::NotFound)?;
    let today = local_date(Utc::now(), &owner.time_zone);
    let direction = if query.descending { Order::Desc } else { Order::Asc };
    let mut select = filtered(reseller_id, query)
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
            country: r.country,
            trial_ends_on: r.trial_expires_on.map(|d| d.to_string()),
            trial_days_left: r.trial_expires_on.map(|d| (d - today).num_days()),
            in_house: r.in_house,
        })
        .collect())
}

/// The reseller's customers matching the search and filters (no order, no paging). No join:
/// counting 100,000 rows through a join to product types costs ten times the count itself.
fn filtered(reseller_id: ResellerId, query: &GridQuery) -> Select<customer::Entity> {
    let mut select = customer::Entity::find().filter(customer::Column::ResellerId.eq(reseller_id));
    let search = query.search.trim().to_lowercase();
    if !search.is_empty() {
        let pattern = format!("%{}%", escape_like(&search));
        select = select.filter(Expr::col((customer::Entity, customer::Column::SearchText)).like(LikeExpr::new(pattern).escape('\\')));
    }
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

/// The reseller's customer `id` (another reseller's is `NotFound`, like a missing one).
pub async fn view(db: &impl ConnectionTrait, reseller_id: ResellerId, id: &str) -> Result<CustomerView> {
    let c = crate::scope::owned(db, reseller_id, id).await?;
    Ok(views(db, vec![c]).await?.remove(0))
}

/// One page of the reseller's customers for the REST API: `filter` matches part of the name or
/// the reference (ignoring case); ordered by name. Returns the page and the matching total.
pub async fn api_page(
    db: &impl ConnectionTrait,
    reseller_id: ResellerId,
    page_index: u64,
    page_size: u64,
    filter: &str,
) -> Result<(Vec<CustomerView>, u64)> {
    let mut select = customer::Entity::find().filter(customer::Column::ResellerId.eq(reseller_id));
    let filter = filter.trim().to_lowercase();
    if !filter.is_empty() {
        let pattern = format!("%{}%", escape_like(&filter));
        // The name and reference are in `search_text`, whose index (reseller, search_text) the
        // database can scan instead of the table: a necessary condition that makes this fast.
        select = select.filter(Expr::col(customer::Column::SearchText).like(LikeExpr::new(pattern.clone()).escape('\\')));
        select = select.filter(
            sea_orm::Condition::any()
                .add(Expr::col(customer::Column::NameKey).like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(customer::Column::Reference))).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(customer::Column::NameKey)
        .offset(std::cmp::Ord::min(page_index.saturating_mul(page_size), i64::MAX as u64))
        .limit(page_size)
        .all(db)
        .await?;
    Ok((views(db, rows).await?, total))
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
