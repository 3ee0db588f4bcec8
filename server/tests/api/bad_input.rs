//! Input no real client sends: out-of-range paging, huge page sizes, oversized bodies. Each gets
//! a clear answer in the door's own format, never a panic or a dropped connection, and
//! changes nothing.

use crate::contract::Api;
use crate::support::*;
use app::api::customers::ListCustomers;
use model::customer::{CustomerPage, GridQuery};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn rest_paging_out_of_range_is_a_clear_400_never_a_panic() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let tenant = crate::contract::tenant_named(&portal, "Acme Logistics").await;
    for path in [
        "/api/v1/customers?pageIndex=9223372036854775808".to_owned(),
        "/api/v1/customers?pageIndex=18446744073709551615&pageSize=1000".to_owned(),
        "/api/v1/customers?pageIndex=99999999999999999999999".to_owned(),
        format!("/api/v1/customers/{tenant}/users?pageIndex=9223372036854775807&pageSize=1000"),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"], "bad_request");
        assert!(body["fields"]["pageIndex"].is_string(), "{path}: names the parameter: {body}");
    }
    // The largest accepted index answers an empty page.
    let (status, body) = api.get("/api/v1/customers?pageIndex=1000000&pageSize=1000").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["items"], json!([]));
    assert!(body["data"]["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413_in_each_doors_format() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let answer = api.send(reqwest::Method::POST, "/api/v1/customers", Some(&big), &[]).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body["error"], "payload_too_large", "{}", answer.body);

    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let query = json!({ "query": GridQuery { search: "x".repeat(2 * 1024 * 1024), ..Default::default() } });
    let (status, text) = call_fn_text::<ListCustomers>(&portal, Some(&s), query).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // In the server function's own error type, which the page shows in plain words.
    let error: app::AppError = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(matches!(&error, app::AppError::Refused(m) if m.contains("1024 KiB")), "{error:?}");
}

#[tokio::test]
async fn a_panic_behind_any_door_answers_500_in_its_words_with_the_request_id() {
    // The portal's real router and layers, with a handler that panics behind each door.
    let mut state = None;
    let _portal = spawn_with(&[], |p| state = Some(p.state.clone())).await;
    async fn boom() -> &'static str {
        panic!("boom")
    }
    let app = server::http::router_with(
        state.unwrap(),
        axum::Router::new().route("/api/v1/boom", axum::routing::get(boom)),
        axum::Router::new().route("/api/boom", axum::routing::get(boom)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await });
    let client = reqwest::Client::new();
    let get = |path: &'static str| {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        async move {
            let res = client.get(url).send().await.unwrap();
            let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
            let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
            (res.status(), id, kind, res.bytes().await.unwrap())
        }
    };

    let (status, id, kind, body) = get("/api/boom").await;
    // In the server function's own error type and wire format.
    assert_eq!((status, kind.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "application/x-postcard"), "a server function: {body:?}");
    assert_eq!(app::wire::decode::<app::AppError>(&body), Some(app::AppError::Internal { request_id: id }));

    let (status, id, kind, body) = get("/api/v1/boom").await;
    assert_eq!((status, kind.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "application/json"), "the REST API: {body:?}");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "internal");
    assert!(body["message"].as_str().unwrap().contains(&id), "{body}");
    // (A page's panic answers the readable HTML page of `http::catch_panics`, the layer the
    // server function's answer above came through.)
}

#[tokio::test]
async fn the_grid_clamps_whatever_page_size_and_search_it_is_sent() {
    let portal = spawn().await;
    // More customers than the smallest page holds.
    let api = Api::open(&portal, DEMO_EMAIL).await;
    for i in 0..model::customer::PAGE_SIZES[0] {
        let body = json!({
            "name": format!("Clamp Test {i:02}"), "productType": "professional", "country": "DE",
            "primaryUser": { "displayName": "Pat Page", "email": format!("pat{i}@clamp.example") },
            "connection": { "accountId": "0123456789abcdef0123456789abcdef" },
        });
        let (status, answer) = api.post("/api/v1/customers", &body.to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let mut query = serde_json::to_value(GridQuery::default()).unwrap();
    query["page_size"] = json!(4294967295u64);
    query["page"] = json!(4294967295u64);
    let (status, body) = call_fn::<ListCustomers>(&portal, Some(&s), json!({ "query": query })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: CustomerPage = serde_json::from_value(body).unwrap();
    assert!(page.rows.is_empty(), "a page far past the end is empty");
    query["page"] = json!(1);
    let (_, body) = call_fn::<ListCustomers>(&portal, Some(&s), json!({ "query": query })).await;
    let page: CustomerPage = serde_json::from_value(body).unwrap();
    assert_eq!(page.rows.len(), model::customer::PAGE_SIZES[0] as usize, "the default page size, not every customer");
    assert!(page.total > page.rows.len() as u64);
}

#[tokio::test]
async fn a_rest_method_the_path_does_not_take_answers_in_the_envelope() {
    let portal = spawn().await;
    let api = Api::open(&portal, DEMO_EMAIL).await;
    let res = portal.client.put(portal.url("/api/v1/customers")).header("authorization", format!("Bearer {}", api.bearer)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().get("allow").is_some());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
}

#[tokio::test]
async fn server_function_arguments_that_do_not_parse_are_a_400_in_plain_words() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    // What no browser of this build sends: garbage, a valid call cut short, nothing at all, and
    // JSON (what a page older than the server sent).
    let valid = wire_args::<ListCustomers>(&json!({ "query": GridQuery::from_pairs([("q", "acme"), ("sort", "name")]) }));
    for body in [vec![0xff; 12], valid[..valid.len() / 2].to_vec(), Vec::new(), br#"{"query":{"page_size":"lots"}}"#.to_vec()] {
        let (status, text) = call_fn_bytes::<ListCustomers>(&portal, Some(&s), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {text}");
        assert!(text.contains("The request could not be read"), "{text}");
        assert!(!text.contains("deserializ"), "no developer words: {text}");
    }
}
