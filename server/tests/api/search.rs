//! The grid's search through its trigram index, and the REST API's cursor pages. The search
//! must return exactly what the plain substring test returns, on both engines and whichever
//! plan the domain picks, and follow every write of a customer; a client following
//! `nextCursor` must see every customer once while customers come and go.

use crate::contract::Api;
use crate::support::*;
use app::api::customers::ListCustomers;
use domain::entity::{customer, reseller};
use model::customer::{CustomerPage, GridQuery};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Names that put the search's escaping and case folding to the test (references are
/// ASCII: SQLite's `lower()`, which the API's reference filter uses, folds ASCII only).
const TRICKY: [(&str, &str); 7] = [
    ("100% Pure_Water", "PCT-1"),
    ("O'Brien \"Quoted\" Ltd", "QUOTE-2"),
    ("Zażółć Gęślą Jaźń", "PL-3"),
    ("ŻÓŁW Straße GmbH", "DE-4"),
    ("Back\\slash & Co", "BS-5"),
    ("Ab", "AB-6"),
    ("Percent 5% Off_ice", "P5-7"),
];

/// Creates a customer through `POST /api/v1/customers`; returns its id.
async fn create(api: &Api<'_>, name: &str, reference: &str) -> String {
    let n = name.len() + reference.len() * 7;
    let body = json!({
        "name": name, "productType": "professional", "reference": reference, "country": "DE",
        "primaryUser": { "displayName": "Sam Search", "email": format!("sam.{}@search.example", reference.to_lowercase()) },
        "connection": { "accountId": format!("{n:032x}") },
    });
    let (status, answer) = api.post("/api/v1/customers", &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{name}: {answer}");
    answer["data"]["id"].as_str().unwrap().to_owned()
}

async fn grid(portal: &TestPortal, session: &str, query: GridQuery) -> CustomerPage {
    let value = portal.call_json::<ListCustomers>(json!({ "query": query }), session).await;
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

/// Every name the grid finds for `search`, over all its pages, with its total (as the grid
/// would state it exactly: a total past `COUNT_CAP` must say it is a lower bound, and is then
/// replaced by the count of rows seen); panics if a name comes twice.
async fn grid_search(portal: &TestPortal, session: &str, search: &str, status: Option<&str>) -> (u64, BTreeSet<String>) {
    let mut seen = BTreeSet::new();
    for page in 1.. {
        let mut query = GridQuery { search: search.into(), page_size: 100, page, ..Default::default() };
        query.status = status.map(|s| model::customer::CustomerStatus::parse(s).unwrap());
        let found = grid(portal, session, query).await;
        for row in &found.rows {
            assert!(seen.insert(row.name.clone()), "{search:?}: {} on two pages", row.name);
        }
        assert!(!found.total_is_lower_bound || found.total == model::customer::COUNT_CAP, "{search:?}: a lower bound is the cap");
        let done = found.rows.len() < 100 || (!found.total_is_lower_bound && seen.len() as u64 >= found.total);
        if done {
            if found.total_is_lower_bound {
                assert!(seen.len() as u64 > model::customer::COUNT_CAP, "{search:?}: a lower bound only past the cap");
                return (seen.len() as u64, seen);
            }
            return (found.total, seen);
        }
    }
    unreachable!()
}

/// The demo reseller's customers, as stored.
async fn demo_customers(portal: &TestPortal) -> Vec<customer::Model> {
    let db = portal.database().await;
    let demo = reseller::Entity::find().filter(reseller::Column::Name.eq("Demo Reseller")).one(&db).await.unwrap().unwrap();
    customer::Entity::find().filter(customer::Column::ResellerId.eq(demo.id)).all(&db).await.unwrap()
}

fn has_status(c: &customer::Model, status: Option<&str>) -> bool {
    status.is_none_or(|s| model::customer::CustomerStatus::from(c.status).as_str() == s)
}

/// What the plain substring test finds: the demo reseller's customers whose search text
/// contains the trimmed, lower-cased search (with `status`, if given).
async fn substring(portal: &TestPortal, search: &str, status: Option<&str>) -> BTreeSet<String> {
    let needle = search.trim().to_lowercase();
    demo_customers(portal).await.into_iter().filter(|c| c.search_text.contains(&needle) && has_status(c, status)).map(|c| c.name).collect()
}

/// What the API's `filter` finds by the plain substring test: name or (ASCII-lower-cased)
/// reference containing it.
async fn name_or_reference(portal: &TestPortal, filter: &str) -> BTreeSet<String> {
    let needle = filter.trim().to_lowercase();
    demo_customers(portal)
        .await
        .into_iter()
        .filter(|c| c.name_key.contains(&needle) || c.reference.to_ascii_lowercase().contains(&needle))
        .map(|c| c.name)
        .collect()
}

/// Every name `GET /api/v1/customers?filter=` lists, following cursors, and the total of its
/// first page.
async fn api_filter(api: &Api<'_>, filter: &str) -> (u64, BTreeSet<String>) {
    let encoded: String = filter.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let (status, first) = api.get(&format!("/api/v1/customers?pageSize=1000&filter={encoded}")).await;
    assert_eq!(status, StatusCode::OK, "{filter:?}: {first}");
    let total = first["data"]["total"].as_u64().unwrap();
    let mut seen = BTreeSet::new();
    let mut page = first;
    loop {
        for c in page["data"]["items"].as_array().unwrap() {
            assert!(seen.insert(c["name"].as_str().unwrap().to_owned()), "{filter:?}: {c} twice");
        }
        let Some(next) = page["data"]["nextCursor"].as_str() else { break };
        page = api.get(&format!("/api/v1/customers?pageSize=1000&filter={encoded}&cursor={next}")).await.1;
    }
    (total, seen)
}

/// On SQLite: the trigram table holds exactly one row per customer, with its search text.
async fn index_in_step(portal: &TestPortal) {
    let db = portal.database().await;
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let count = |sql: &str| {
        let db = db.clone();
        let sql = sql.to_owned();
        async move {
            let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    let customers = count("SELECT count(*) AS n FROM customers").await;
    assert_eq!(count("SELECT count(*) AS n FROM customer_search_rows").await, customers);
    assert_eq!(count("SELECT count(*) AS n FROM customer_search").await, customers);
    let same = count(
        "SELECT count(*) AS n FROM customers c JOIN customer_search_rows r ON r.customer_id = c.id \
         JOIN customer_search s ON s.rowid = r.row WHERE s.search_text = c.search_text AND r.row >> 40 = c.reseller_id \
         AND s.name_reference = c.name_key || char(31) || lower(c.reference)",
    );
    assert_eq!(same.await, customers, "every customer's indexed text is its search text");
}

#[tokio::test]
async fn the_search_finds_exactly_the_substring_matches_on_every_plan() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    for (name, reference) in TRICKY {
        create(&api, name, reference).await;
    }
    // More matches for "bulk" than the indexed lookup takes (SQLite walks the order instead),
    // and a few for "bulk 01" (looked up by the index).
    add_bulk_customers(&portal, "Bulk", domain::search::LOOKUP_LIMIT as usize + 60).await;
    index_in_step(&portal).await;
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;

    let searches = [
        "a", "b", "ż", "%", "_", "'", "\"", "\\", // one character
        "ab", "żó", "5%", "e_", "0%", "%_", // two
        "ab ", "  pure  ", "100%", "%_w", "e_w", "5% off_", "o'brien", "\"quoted\"", "'brien \"q", "back\\", "\\sl",
        "ŻÓŁ", "żółć", "gęślą jaźń", "straße", "STRASSE", "GMBH", "& co", // three and more
        "bulk", "bulk 01", "BULK 2", "bulk 0999", "active", "professional", "pct-1", "-4", "de", "2026-", "zzz-none",
    ];
    for search in searches {
        let expected = substring(&portal, search, None).await;
        let (total, found) = grid_search(&portal, &session, search, None).await;
        assert_eq!(found, expected, "search {search:?}");
        assert_eq!(total, expected.len() as u64, "search {search:?}: the total");
    }
    // The API's filter: the name or the reference, on both plans.
    for filter in ["b", "ab", "bulk", "bulk 01", "pct-1", "b-1", "B-20", "o'brien \"", "100%", "_", "straße", "żółć", "active", "zzz-none"] {
        let expected = name_or_reference(&portal, filter).await;
        let (total, found) = api_filter(&api, filter).await;
        assert_eq!(found, expected, "filter {filter:?}");
        assert_eq!(total, expected.len() as u64, "filter {filter:?}: the total");
    }
    // A filter with the search, on both sides of the lookup limit.
    for search in ["bulk", "bulk 01", "o'b"] {
        let expected = substring(&portal, search, Some("active")).await;
        let (total, found) = grid_search(&portal, &session, search, Some("active")).await;
        assert_eq!((total, &found), (expected.len() as u64, &expected), "search {search:?} of active customers");
    }
    assert!(substring(&portal, "bulk", None).await.len() as u64 > domain::search::LOOKUP_LIMIT);

    // Another reseller's search reads its own part of the index only.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(grid_search(&portal, &other, "bulk", None).await, (0, BTreeSet::new()));
    assert_eq!(grid_search(&portal, &other, "harbor", None).await.1, BTreeSet::from(["Harbor Freight Brokers".to_owned()]));
}

#[tokio::test]
async fn the_search_follows_every_create_edit_status_change_import_and_termination() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let finds = |search: &'static str| {
        let (portal, session) = (&portal, session.clone());
        async move { grid_search(portal, &session, search, None).await.1 }
    };

    let id = create(&api, "Quokka Quarries", "QQ-1").await;
    assert_eq!(finds("quokka").await, BTreeSet::from(["Quokka Quarries".to_owned()]), "found once created");

    let (status, answer) = api.patch(&format!("/api/v1/customers/{id}"), r#"{"name": "Wombat Works", "reference": "WW-9"}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(finds("quokka").await.is_empty(), "the old name is gone from the index");
    assert!(finds("qq-1").await.is_empty(), "and the old reference");
    assert_eq!(finds("wombat").await.len(), 1);
    assert_eq!(finds("ww-9").await.len(), 1);

    let (status, answer) = api.patch(&format!("/api/v1/customers/{id}"), r#"{"status": "disabled"}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(finds("disabled").await.contains("Wombat Works"), "found by its new status");

    add_bulk_customers(&portal, "Imported Numbat", 30).await;
    assert_eq!(finds("numbat 002").await.len(), 10, "imported rows are indexed");

    let (status, answer) = api.delete(&format!("/api/v1/customers/{id}")).await;
    assert!(status.is_success(), "{answer}");
    assert!(finds("terminated").await.contains("Wombat Works"), "found as terminated");
    assert!(!finds("wombat").await.is_empty());

    // A row deleted outright leaves the index too.
    let db = portal.database().await;
    customer::Entity::delete_many().filter(customer::Column::Name.eq("Imported Numbat 0021")).exec(&db).await.unwrap();
    assert_eq!(finds("numbat 002").await.len(), 9);
    index_in_step(&portal).await;
}

/// `GET /api/v1/customers` with `query`, checked against the OpenAPI document.
async fn list(api: &Api<'_>, query: &str) -> Value {
    let (status, body) = api.get(&format!("/api/v1/customers?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["data"].clone()
}

fn names_of(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_client_following_cursors_sees_every_customer_once_while_customers_come_and_go() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    add_bulk_customers(&portal, "Kestrel", 40).await;
    let db = portal.database().await;

    let first = list(&api, "pageSize=7&filter=kestrel").await;
    assert_eq!((first["pageIndex"].as_u64(), first["total"].as_u64()), (Some(0), Some(40)), "a first page has its number and total");
    let mut seen: Vec<String> = names_of(&first);
    let mut cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let mut removed = BTreeSet::new();
    let mut added_ahead = BTreeSet::new();
    let mut round = 0;
    loop {
        // Between pages: one customer added behind the cursor (never seen) and one ahead
        // (seen later); one removed ahead (never seen).
        round += 1;
        let behind = format!("Kestrel 0000-{round:02}");
        let ahead = format!("Kestrel 9999-{round:02}");
        create(&api, &behind, &format!("KB-{round}")).await;
        create(&api, &ahead, &format!("KA-{round}")).await;
        added_ahead.insert(ahead);
        let gone = format!("Kestrel {:04}", 39 - round);
        if !seen.contains(&gone) {
            customer::Entity::delete_many().filter(customer::Column::Name.eq(gone.as_str())).exec(&db).await.unwrap();
            removed.insert(gone);
        }

        let page = list(&api, &format!("pageSize=7&filter=kestrel&cursor={cursor}")).await;
        assert!(page["total"].is_null() && page["pageIndex"].is_null(), "a cursor page counts nothing: {page}");
        assert!(names_of(&page).len() <= 7);
        seen.extend(names_of(&page));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no customer twice: {seen:?}");
    let expected: BTreeSet<String> = (0..40).map(|i| format!("Kestrel {i:04}")).filter(|n| !removed.contains(n)).chain(added_ahead).collect();
    assert_eq!(unique, expected, "every customer that was there throughout, and those added ahead");
    assert!(!removed.is_empty() && round > 3);

    // Without a filter the same walk covers the whole list, and matches the numbered pages.
    let mut walked = Vec::new();
    let mut query = "pageSize=25".to_owned();
    loop {
        let page = list(&api, &query).await;
        walked.extend(names_of(&page));
        match page["nextCursor"].as_str() {
            Some(next) => query = format!("pageSize=25&cursor={next}"),
            None => break,
        }
    }
    let all = list(&api, "pageSize=1000").await;
    assert_eq!(walked, names_of(&all));
    assert!(all["nextCursor"].is_null(), "the last page has no next cursor");

    // Cursors are checked: garbage, another list's, or with pageIndex are refused by name.
    let users_cursor = {
        let tenant = all["items"][0]["id"].as_str().unwrap();
        api.post(&format!("/api/v1/customers/{tenant}/users"), r#"{"displayName": "Cy Cursor", "email": "cy@cursor.example"}"#).await;
        let (_, users) = api.get(&format!("/api/v1/customers/{tenant}/users?pageSize=1")).await;
        users["data"]["nextCursor"].as_str().unwrap().to_owned()
    };
    for query in ["cursor=not-a-cursor", "cursor=", &format!("cursor={users_cursor}"), &format!("pageIndex=1&cursor={cursor}"), &format!("cursor={}", "A".repeat(3000))] {
        let (status, body) = api.get(&format!("/api/v1/customers?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["fields"]["cursor"].is_string(), "{query}: names the parameter: {body}");
    }
}

#[tokio::test]
async fn a_customers_users_can_be_walked_by_cursor_too() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = crate::contract::tenant_named(&portal, "Acme Logistics").await;
    let users = format!("/api/v1/customers/{tenant}/users");
    // Two users with one display name: the id breaks the tie, so neither is skipped.
    for email in ["twin.a@acme.example", "twin.b@acme.example"] {
        let (status, body) = api.post(&users, &json!({ "displayName": "Twin Name", "email": email }).to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, all) = api.get(&format!("{users}?pageSize=1000")).await;
    let emails = |page: &Value| -> Vec<String> { page["data"]["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect() };
    let mut walked = Vec::new();
    let mut query = "pageSize=1".to_owned();
    loop {
        let (status, page) = api.get(&format!("{users}?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(emails(&page));
        match page["data"]["nextCursor"].as_str() {
            Some(next) => query = format!("pageSize=1&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(walked, emails(&all));
    assert!(walked.len() >= 3);
}

/// The grid's totals for each status (and all) against the rows themselves.
async fn totals_match(portal: &TestPortal, session: &str) {
    let rows = demo_customers(portal).await;
    for status in [None, Some("active"), Some("disabled"), Some("terminated")] {
        let expected = rows.iter().filter(|c| has_status(c, status)).count() as u64;
        let mut query = GridQuery::default();
        query.status = status.map(|s| model::customer::CustomerStatus::parse(s).unwrap());
        assert_eq!(grid(portal, session, query).await.total, expected, "the total of {status:?}");
    }
}

#[tokio::test]
async fn the_grids_totals_follow_every_create_status_change_import_and_delete_even_at_once() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    totals_match(&portal, &session).await;

    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(create(&api, &format!("Counted {i}"), &format!("CNT-{i}")).await);
    }
    totals_match(&portal, &session).await;

    // Opposite status changes at once (on PostgreSQL they touch the same two count rows).
    for id in &ids[4..] {
        assert_eq!(api.patch(&format!("/api/v1/customers/{id}"), r#"{"status": "disabled"}"#).await.0, StatusCode::OK);
    }
    let changes = ids.iter().enumerate().map(|(i, id)| {
        let body = if i < 4 { r#"{"status": "disabled"}"# } else { r#"{"status": "active"}"# };
        let api = &api;
        async move { api.patch(&format!("/api/v1/customers/{id}"), body).await }
    });
    for (status, body) in futures::future::join_all(changes).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    totals_match(&portal, &session).await;

    assert!(api.delete(&format!("/api/v1/customers/{}", ids[0])).await.0.is_success());
    add_bulk_customers(&portal, "Counted bulk", 25).await;
    let db = portal.database().await;
    customer::Entity::delete_many().filter(customer::Column::Name.eq("Counted bulk 0003")).exec(&db).await.unwrap();
    totals_match(&portal, &session).await;
}
