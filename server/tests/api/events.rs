//! The event stream (issue 16): an event is written with its change and only then, the feed
//! gives every event once in commit order — across two servers writing at once — and the
//! activity log filters and pages it. Over HTTP, every answer checked against the OpenAPI
//! document.

use crate::contract::{Api, tenant_named};
use crate::support::*;
use domain::entity::activity;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Twelve changes by writer `w`: a create every third, otherwise a patch of `acme`.
async fn write(api: &Api<'_>, w: usize, acme: &str) {
    for n in 0..12 {
        if n % 3 == 0 {
            let (status, body) = api.post("/api/v1/customers", &new_customer(&format!("Order Test {w} {n}"))).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        } else {
            let (status, body) = api.patch(&format!("/api/v1/customers/{acme}"), &format!(r#"{{"notes": "writer {w}, change {n}"}}"#)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
}

/// Reads the feed from `after` to its end; returns the events and the last cursor.
async fn drain(api: &Api<'_>, after: Option<&str>, limit: u32) -> (Vec<Value>, String) {
    let mut events = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/events?limit={limit}&after={c}"),
            None => format!("/api/v1/events?limit={limit}"),
        };
        let (status, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["data"]["items"].as_array().unwrap().clone();
        let next = body["data"]["nextCursor"].as_str().unwrap().to_owned();
        if items.is_empty() {
            assert_eq!(cursor.as_deref().map_or(next.as_str(), |c| c), next, "an empty read keeps the cursor");
            return (events, next);
        }
        events.extend(items);
        cursor = Some(next);
    }
}

fn new_customer(name: &str) -> String {
    json!({
        "name": name, "productType": "professional", "country": "GB",
        "primaryUser": { "displayName": "Pat Primary", "email": format!("pat@{}.example", name.to_lowercase().replace(' ', "-")) },
        "connection": { "accountId": "0123456789abcdef0123456789abcdef" }
    })
    .to_string()
}

#[tokio::test]
async fn an_event_is_written_with_its_change_and_only_then() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let (seeded, start) = drain(&api, None, 500).await;
    assert!(!seeded.is_empty(), "the demo data's history is in the stream");

    // A create: one event, whose data is the customer exactly as the API shows it.
    let (status, created) = api.post("/api/v1/customers", &new_customer("Event Horizon")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let tenant = created["data"]["id"].as_str().unwrap().to_owned();
    let (events, after_create) = drain(&api, Some(&start), 500).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["type"], "customer.created");
    assert_eq!(e["customerId"], tenant.as_str());
    assert_eq!(e["actor"], format!("API client {}", api.client_id));
    assert!(e["id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok(), "{e}");
    let (_, shown) = api.get(&format!("/api/v1/customers/{tenant}")).await;
    assert_eq!(e["data"]["customer"], shown["data"], "the payload is the resource as the API shows it");

    // Refused changes write no event: a taken name, a stale If-Match, a rule broken.
    assert_eq!(api.post("/api/v1/customers", &new_customer("Event Horizon")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let path = format!("/api/v1/customers/{tenant}");
    let stale = api.send(Method::PATCH, &path, Some(r#"{"reference": "EH-1"}"#), &[("if-match", "\"99\"")]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(api.patch(&path, r#"{"country": "XX"}"#).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (none, same) = drain(&api, Some(&after_create), 500).await;
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(same, after_create);

    // Changes that commit: each its event, in order, with the data after the change.
    assert_eq!(api.patch(&path, r#"{"reference": "EH-1"}"#).await.0, StatusCode::OK);
    let (status, user) = api.post(&format!("{path}/users"), r#"{"displayName": "Uma User", "email": "uma@event-horizon.example", "roles": {"essential": true}}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(api.patch(&path, r#"{"status": "disabled"}"#).await.0, StatusCode::OK);
    let (events, _) = drain(&api, Some(&after_create), 2).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["customer.updated", "customer_user.added", "customer.disabled"]);
    assert_eq!(events[0]["data"]["customer"]["reference"], "EH-1");
    assert_eq!(events[1]["data"]["user"], user["data"], "a user's event carries the user as the API shows it");
    assert_eq!(events[2]["data"]["customer"]["status"], "disabled");

    // Only the types asked for.
    let (status, only) = api.get(&format!("/api/v1/events?after={start}&types=customer.disabled,customer.created")).await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> = only["data"]["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["customer.created", "customer.disabled"]);

    // Malformed reads name their parameter and change nothing.
    for (query, field) in [("after=forged", "after"), ("types=customer.deleted", "types"), ("limit=0", "limit"), ("limit=501", "limit"), ("since=1", "since")] {
        let (status, body) = api.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }
    // A cursor of another list is no feed cursor.
    let (_, page) = api.get("/api/v1/customers?pageSize=1&cursor=").await;
    let _ = page;
}

#[tokio::test]
async fn another_resellers_events_are_never_seen() {
    let portal = spawn().await;
    let mine = Api::open(&portal, DEMO_EMAIL).await;
    let theirs = Api::open(&portal, OTHER_EMAIL).await;
    let (_, their_start) = drain(&theirs, None, 500).await;
    let (status, created) = mine.post("/api/v1/customers", &new_customer("Private Matters")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let tenant = created["data"]["id"].as_str().unwrap();
    let (theirs_now, _) = drain(&theirs, Some(&their_start), 500).await;
    assert!(theirs_now.is_empty(), "{theirs_now:?}");
    let (status, page) = theirs.get(&format!("/api/v1/activity?customer={tenant}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["data"]["items"], json!([]), "another reseller's customer is like a missing one");
    // And their whole stream holds none of mine.
    let (all, _) = drain(&theirs, None, 500).await;
    assert!(all.iter().all(|e| e["customerId"] != tenant), "{all:?}");
}

#[tokio::test]
async fn the_activity_log_filters_and_pages_newest_first() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    let path = format!("/api/v1/customers/{acme}");
    for n in 0..7 {
        assert_eq!(api.patch(&path, &format!(r#"{{"reference": "ACME-{n}"}}"#)).await.0, StatusCode::OK);
    }

    // Paging by cursor visits every matching event once, newest first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/v1/activity?customer={acme}&types=customer.updated&limit=3&cursor={c}"),
            None => format!("/api/v1/activity?customer={acme}&types=customer.updated&limit=3"),
        };
        let (status, page) = api.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(page["data"]["items"].as_array().unwrap().iter().map(|e| e["data"]["customer"]["reference"].as_str().unwrap().to_owned()));
        match page["data"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|n| format!("ACME-{n}")).collect();
    assert_eq!(seen, expected);

    // By actor (part of the name, any case), and by day in the reseller's time zone.
    let who = api.client_id.to_uppercase();
    let (_, by_actor) = api.get(&format!("/api/v1/activity?actor={}&limit=100", &who[4..])).await;
    assert_eq!(by_actor["data"]["items"].as_array().unwrap().len(), 7, "{by_actor}");
    let (_, future) = api.get("/api/v1/activity?from=2099-01-01").await;
    assert_eq!(future["data"]["items"], json!([]));
    let today = chrono::Utc::now().date_naive();
    let (_, around) = api.get(&format!("/api/v1/activity?from={}&to={}&types=customer.updated", today - chrono::Duration::days(1), today + chrono::Duration::days(1))).await;
    assert_eq!(around["data"]["items"].as_array().unwrap().len(), 7);

    for (query, field) in [
        ("customer=nope", "customer"),
        ("types=x", "types"),
        ("from=2026-02-30", "from"),
        ("from=2026-12-02&to=2026-12-01", "to"),
        ("cursor=forged", "cursor"),
        ("sort=asc", "sort"),
    ] {
        let (status, body) = api.get(&format!("/api/v1/activity?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }
}

#[tokio::test]
async fn the_feed_follows_commit_order_while_two_servers_write_at_once() {
    let first = spawn().await;
    let second = spawn_sharing(&first, |_| {}).await;
    let reader = Api::open(&first, DEMO_EMAIL).await;
    let writers = [Api::open(&first, DEMO_EMAIL).await, Api::open(&second, DEMO_EMAIL).await];
    let (_, start) = drain(&reader, None, 500).await;
    let acme = tenant_named(&first, "Acme Logistics").await;

    // Four writers (two per server) create and change customers while the reader polls.
    let done = std::sync::atomic::AtomicBool::new(false);
    let poll = async {
        let mut seen = Vec::new();
        let mut cursor = start.clone();
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let (events, next) = drain(&reader, Some(&cursor), 5).await;
            seen.extend(events);
            cursor = next;
            if finished {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        }
    };
    let writes = async {
        tokio::join!(write(&writers[0], 0, &acme), write(&writers[1], 1, &acme), write(&writers[0], 2, &acme), write(&writers[1], 3, &acme));
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let (seen, ()) = tokio::join!(poll, writes);

    // The poller saw every committed event exactly once, in the stream's order.
    let ids: Vec<String> = seen.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "an event was read twice");
    let db = first.database().await;
    let rows = activity::Entity::find()
        .filter(activity::Column::Seq.is_not_null())
        .order_by_asc(activity::Column::ResellerId)
        .order_by_asc(activity::Column::Seq)
        .all(&db)
        .await
        .unwrap();
    let demo_reseller = rows.iter().find(|r| r.actor == format!("API client {}", writers[0].client_id)).unwrap().reseller_id;
    let expected: Vec<String> = rows
        .iter()
        .filter(|r| r.reseller_id == demo_reseller)
        .skip_while(|r| !ids.is_empty() && domain::activity::event_id(r.id).to_string() != ids[0])
        .map(|r| domain::activity::event_id(r.id).to_string())
        .collect();
    assert_eq!(ids.len(), 48, "12 changes by each of four writers");
    assert_eq!(ids, expected, "the feed is the stream, in order, with nothing missed");
    let unsequenced = activity::Entity::find().filter(activity::Column::Seq.is_null()).all(&db).await.unwrap();
    assert!(unsequenced.is_empty(), "every committed event has its place: {unsequenced:?}");
}

#[tokio::test]
async fn the_activity_export_is_the_filtered_log_as_csv_and_only_the_callers() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let acme = tenant_named(&portal, "Acme Logistics").await;
    // More than one page of the log (the export streams it page by page).
    for n in 0..(domain::activity::MAX_PAGE as usize + 20) {
        assert_eq!(api.patch(&format!("/api/v1/customers/{acme}"), &format!(r#"{{"notes": "=HYPERLINK(\"x\") {n}"}}"#)).await.0, StatusCode::OK);
    }
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let res = portal.get(&format!("/activity/export?customer={acme}&types=customer.updated"), Some(&s)).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.headers());
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("activity-"));
    let text = res.text().await.unwrap();
    let mut rows = csv_rows(&text);
    assert_eq!(rows.remove(0), ["Time", "Actor", "Event", "Customer", "Tenant ID", "Summary", "Event ID"]);
    assert_eq!(rows.len(), domain::activity::MAX_PAGE as usize + 20, "every matching event, across pages, once");
    assert!(rows.iter().all(|r| r[2] == "customer.updated" && r[3] == "Acme Logistics" && r[4] == acme));
    let ids: HashSet<&String> = rows.iter().map(|r| &r[6]).collect();
    assert_eq!(ids.len(), rows.len());
    // The log's own order (newest first) and its ids.
    let (_, page) = api.get(&format!("/api/v1/activity?customer={acme}&types=customer.updated&limit=1")).await;
    assert_eq!(rows[0][6], page["data"]["items"][0]["id"].as_str().unwrap());

    // Another reseller's export holds none of it; a bad filter is refused; signed out, nothing.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let theirs = portal.get(&format!("/activity/export?customer={acme}"), Some(&other)).await.text().await.unwrap();
    assert_eq!(csv_rows(&theirs).len(), 1, "the header only: {theirs}");
    let bad = portal.get("/activity/export?from=2026-02-30", Some(&s)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("from"));
    assert_eq!(portal.get("/activity/export", None).await.status(), StatusCode::SEE_OTHER, "to the sign-in page");
}

/// The records of a CSV text (quoted cells unquoted).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}
