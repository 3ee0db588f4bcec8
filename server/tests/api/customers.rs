//! The customer grid and its CSV export.

use crate::support::*;
use app::api::customers::ListCustomers;
use model::customer::{CustomerPage, GridQuery};
use reqwest::StatusCode;

async fn grid(portal: &TestPortal, session: &str, query: GridQuery) -> CustomerPage {
    let value = portal.call_json::<ListCustomers>(serde_json::json!({ "query": query }), session).await;
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

fn q(pairs: &[(&str, &str)]) -> GridQuery {
    GridQuery::from_pairs(pairs.iter().copied())
}

fn names(page: &CustomerPage) -> Vec<&str> {
    page.rows.iter().map(|r| r.name.as_str()).collect()
}

#[tokio::test]
async fn the_grid_shows_only_the_callers_customers_sorted_by_name() {
    let portal = spawn().await;
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let page = grid(&portal, &other, GridQuery::default()).await;
    assert_eq!(names(&page), ["Harbor Freight Brokers", "Iris Pediatrics", "Juniper Credit Union"]);
    assert_eq!(page.total, 3);
    let types: Vec<&str> = page.product_types.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(types, ["essentials", "professional"], "only the product types this reseller may sell");

    let demo = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let page = grid(&portal, &demo, GridQuery::default()).await;
    assert_eq!(page.total, 8);
    assert!(!names(&page).iter().any(|n| n.contains("Harbor")));
    let mut sorted = names(&page);
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&page), sorted);
    // Each row names its country (the grid's tooltip), so the browser needs no country table.
    for row in &page.rows {
        assert_eq!(Some(row.country_name.as_str()), model::country::find(&row.country).map(|c| c.name), "{}", row.name);
        assert!(!row.country_name.is_empty(), "{}: {}", row.name, row.country);
    }
}

#[tokio::test]
async fn search_matches_part_of_any_visible_column_ignoring_case() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    for (search, expected) in [
        ("DENTAL", "Brightwater Dental"),
        ("bwd-77", "Brightwater Dental"),
        ("disabled", "Evergreen Garden Centres"),
        ("compliance rec", "Fjord Shipping AS"),
        ("no", "Fjord Shipping AS"),
    ] {
        let page = grid(&portal, &s, q(&[("q", search)])).await;
        assert!(names(&page).contains(&expected), "{search:?} finds {expected}: {:?}", names(&page));
    }
    let page = grid(&portal, &s, q(&[("q", "contact centre")])).await;
    assert_eq!(names(&page), ["Castle Hotels Group"]);
    // Wildcards typed by the user are plain characters.
    assert_eq!(grid(&portal, &s, q(&[("q", "%")])).await.total, 0);
    assert_eq!(grid(&portal, &s, q(&[("q", "_")])).await.total, 0);
}

#[tokio::test]
async fn filters_narrow_the_view() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(names(&grid(&portal, &s, q(&[("status", "terminated")])).await), ["Granite Legal LLP"]);
    assert_eq!(names(&grid(&portal, &s, q(&[("trial", "yes")])).await), ["Delta Insurance Brokers"]);
    assert_eq!(names(&grid(&portal, &s, q(&[("inhouse", "yes")])).await), ["Demo Reseller (in-house)"]);
    assert_eq!(names(&grid(&portal, &s, q(&[("type", "contact-centre")])).await), ["Castle Hotels Group"]);
    assert_eq!(grid(&portal, &s, q(&[("status", "active"), ("type", "essentials")])).await.total, 1);
}

#[tokio::test]
async fn every_column_sorts_both_ways() {
    use model::customer::{CustomerRow, SortColumn};
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    // Values whose byte order is the database's order on every backend and collation.
    let plain_key = |column: SortColumn, row: &CustomerRow| -> Option<String> {
        match column {
            SortColumn::Name => Some(row.name.to_lowercase()),
            SortColumn::Created => Some(row.created_on.clone()),
            SortColumn::Status => Some(row.status.as_str().to_owned()),
            SortColumn::Country => Some(row.country.clone()),
            SortColumn::Reference | SortColumn::ProductType => None,
        }
    };
    for column in SortColumn::ALL {
        let asc = grid(&portal, &s, q(&[("sort", column.as_str()), ("size", "100")])).await;
        let desc = grid(&portal, &s, q(&[("sort", column.as_str()), ("dir", "desc"), ("size", "100")])).await;
        assert_eq!(asc.rows.len(), 8);
        let asc_ids: Vec<&str> = asc.rows.iter().map(|r| r.id.as_str()).collect();
        let mut desc_ids: Vec<&str> = desc.rows.iter().map(|r| r.id.as_str()).collect();
        desc_ids.reverse();
        assert_eq!(asc_ids, desc_ids, "{column:?}: descending is ascending reversed");
        let keys: Vec<Option<String>> = asc.rows.iter().map(|r| plain_key(column, r)).collect();
        if keys.iter().all(Option::is_some) {
            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{column:?} ascending: {keys:?}");
        }
    }
    // The two columns whose text order depends on collation, checked at their ends.
    let reference = grid(&portal, &s, q(&[("sort", "reference")])).await;
    assert_eq!(reference.rows.first().unwrap().reference, "", "an empty reference sorts first");
    let product = grid(&portal, &s, q(&[("sort", "product_type"), ("dir", "desc")])).await;
    assert_eq!(product.rows.first().unwrap().product_type, "Contact Centre Analytics");
}

#[tokio::test]
async fn paging_walks_through_every_customer_exactly_once() {
    let portal = spawn().await;
    add_bulk_customers(&portal, "Bulk", 60).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let p = grid(&portal, &s, q(&[("page", &page.to_string())])).await;
        assert_eq!(p.total, 68);
        assert_eq!(p.rows.len(), if page < 3 { 25 } else { 18 });
        seen.extend(p.rows.into_iter().map(|r| r.id));
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 68);
    let big = grid(&portal, &s, q(&[("size", "100")])).await;
    assert_eq!(big.rows.len(), 68);
}

#[tokio::test]
async fn the_grid_refuses_callers_without_a_session() {
    let portal = spawn().await;
    let value = portal.call_json::<ListCustomers>(serde_json::json!({ "query": GridQuery::default() }), "nope").await;
    assert_eq!(value, serde_json::json!("Unauthorized"));
}

#[tokio::test]
async fn csv_export_streams_the_whole_filtered_view_of_the_callers_customers() {
    let portal = spawn().await;
    add_bulk_customers(&portal, "Bulk", 1500).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let res = portal.get("/customers/export?q=bulk&dir=desc&page=3", Some(&s)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment; filename=\"customers-"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "Name,Date Created,Status,Reference,Product Type,Country,Trial End,In-house,Tenant ID");
    assert_eq!(lines.len(), 1 + 1500, "all pages, not just page 3");
    assert!(lines[1].starts_with("Bulk 1499,"), "in the grid's order: {}", lines[1]);
    assert!(lines.last().unwrap().starts_with("Bulk 0000,"));

    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let body = portal.get("/customers/export", Some(&other)).await.text().await.unwrap();
    assert_eq!(body.lines().count(), 4);
    assert!(!body.contains("Bulk") && !body.contains("Acme"));

    let res = portal.get("/customers/export", None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_grid_page_is_rendered_on_the_server_from_the_url() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let html = portal.get("/customers?q=dental", Some(&s)).await.text().await.unwrap();
    assert!(html.contains("Brightwater Dental"));
    assert!(!html.contains("Acme Logistics"));
    assert!(html.contains(r#"aria-sort="ascending""#));
}

#[tokio::test]
async fn a_count_past_the_cap_stops_there_and_says_so_while_kept_totals_stay_exact() {
    let portal = spawn().await;
    add_bulk_customers(&portal, "Bulk", model::customer::COUNT_CAP as usize + 25).await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let cap = model::customer::COUNT_CAP;
    // A search (indexed or not, alone or with a filter) counts no further than the cap.
    for pairs in [vec![("q", "bulk")], vec![("q", "bu")], vec![("q", "bulk"), ("type", "essentials")]] {
        let page = grid(&portal, &s, q(&pairs)).await;
        assert_eq!((page.total, page.total_is_lower_bound), (cap, true), "{pairs:?}");
        assert_eq!(page.total_text(), "more than 1,000");
        assert_eq!(page.rows.len(), 25);
    }
    // Pages past the cap still answer.
    let deep = grid(&portal, &s, q(&[("q", "bulk"), ("page", "41"), ("size", "25")])).await;
    assert_eq!(deep.rows.len(), 25, "page 41 of 25 rows: rows 1,001–1,025");
    // The unfiltered total and a status's total are kept by the database: exact.
    let all = grid(&portal, &s, q(&[])).await;
    assert!(!all.total_is_lower_bound && all.total > cap, "{}", all.total);
    // A search with fewer matches is exact.
    let few = grid(&portal, &s, q(&[("q", "bulk 0001")])).await;
    assert_eq!((few.total, few.total_is_lower_bound), (1, false));
    // The page says so.
    let html = portal.get("/customers?q=bulk", Some(&s)).await.text().await.unwrap();
    assert!(html.contains("1–25 of more than 1,000"), "the pager");
    assert!(html.contains(">Page 1<") && html.contains(">Next<"), "no last page is claimed; Next goes on");
}
