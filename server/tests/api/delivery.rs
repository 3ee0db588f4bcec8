//! How responses travel: compressed as the client accepts, and cached only where that is safe
//! (bundle files named by their content: for good; everything else: not at all, or revalidated).

use crate::support::*;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, COOKIE, ORIGIN};
use reqwest::StatusCode;
use std::io::Read;

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).expect("valid gzip");
    text
}

fn unbrotli_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out).expect("valid brotli");
    out
}

fn unbrotli(bytes: &[u8]) -> String {
    String::from_utf8(unbrotli_bytes(bytes)).expect("text")
}

#[tokio::test]
async fn pages_and_answers_are_compressed_as_the_client_accepts_and_never_cached() {
    let portal = spawn().await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let cookie = format!("portal_session={token}");
    let get = |path: &'static str, accept: Option<&'static str>| {
        let mut req = portal.client.get(portal.url(path)).header(COOKIE, &cookie);
        if let Some(a) = accept {
            req = req.header(ACCEPT_ENCODING, a);
        }
        req.send()
    };

    // A server-rendered page: brotli when offered, gzip otherwise, plain without either.
    let br = get("/customers", Some("gzip, deflate, br")).await.unwrap();
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(br.headers()[CONTENT_ENCODING], "br");
    assert_eq!(br.headers()[CACHE_CONTROL], "no-store");
    let html = unbrotli(&br.bytes().await.unwrap());
    assert!(html.contains("Acme Logistics") && html.contains("</html>"), "the whole page: {}", &html[..200.min(html.len())]);

    let gz = get("/customers", Some("gzip")).await.unwrap();
    assert_eq!(gz.headers()[CONTENT_ENCODING], "gzip");
    assert!(gunzip(&gz.bytes().await.unwrap()).contains("Acme Logistics"));

    let plain = get("/customers", None).await.unwrap();
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert!(plain.text().await.unwrap().contains("Acme Logistics"));

    // The CSV export streams compressed too.
    let csv = get("/customers/export", Some("gzip")).await.unwrap();
    assert_eq!(csv.headers()[CONTENT_ENCODING], "gzip");
    assert!(gunzip(&csv.bytes().await.unwrap()).lines().any(|l| l.contains("Acme Logistics")));

    // A server function's answer.
    let answer = portal
        .client
        .post(portal.url(server_fn_path::<app::api::customers::ListCustomers>()))
        .header(ORIGIN, &portal.base)
        .header(COOKIE, &cookie)
        .header(ACCEPT_ENCODING, "br")
        .body(wire_args::<app::api::customers::ListCustomers>(&serde_json::json!({ "query": model::customer::GridQuery::default() })))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()[CONTENT_ENCODING], "br");
    assert_eq!(answer.headers()[CACHE_CONTROL], "no-store");
    let page: model::customer::CustomerPage = app::wire::decode(&unbrotli_bytes(&answer.bytes().await.unwrap())).unwrap();
    assert!(page.total > 0);

    // And the REST API's.
    let api = crate::contract::Api::open(&portal, DEMO_EMAIL).await;
    let rest = portal
        .client
        .get(portal.url("/api/v1/customers?pageSize=50"))
        .bearer_auth(&api.bearer)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::OK);
    assert_eq!(rest.headers()[CONTENT_ENCODING], "gzip");
    let body: serde_json::Value = serde_json::from_str(&gunzip(&rest.bytes().await.unwrap())).unwrap();
    assert!(body["data"]["items"].as_array().is_some_and(|items| !items.is_empty()));
}

#[tokio::test]
async fn bundle_files_named_by_their_content_are_kept_for_good_and_others_revalidated() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let hashed = "reseller-portal.Vq3x0bLMYfQ2a_-9TzKk1A.wasm";
    std::fs::write(pkg.join(hashed), b"\0asm-hashed").unwrap();
    std::fs::write(pkg.join("reseller-portal.wasm"), b"\0asm-plain").unwrap();
    std::fs::write(pkg.join("reseller-portal.Vq3x0bLMYfQ2a_-9TzKk1A.css"), b"body{}").unwrap();
    std::fs::write(site.path().join("favicon.svg"), b"<svg/>").unwrap();
    let portal = spawn_with(&["--site-root", site.path().to_str().unwrap()], |_| {}).await;

    for (path, policy) in [
        (format!("/pkg/{hashed}"), "public, max-age=31536000, immutable"),
        ("/pkg/reseller-portal.Vq3x0bLMYfQ2a_-9TzKk1A.css".to_owned(), "public, max-age=31536000, immutable"),
        ("/pkg/reseller-portal.wasm".to_owned(), "no-cache"),
        ("/favicon.svg".to_owned(), "no-cache"),
    ] {
        let res = portal.client.get(portal.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CACHE_CONTROL], policy, "{path}");
    }
    // A missing bundle file is not cached at all: the next deploy may bring it.
    let missing = portal.client.get(portal.url("/pkg/reseller-portal.AAAAAAAAAAAAAAAAAAAAAA.wasm")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_ne!(missing.headers().get(CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("public, max-age=31536000, immutable"));
    // The wasm is never squeezed on the fly (a release build ships it precompressed).
    let wasm = portal.client.get(portal.url(&format!("/pkg/{hashed}"))).header(ACCEPT_ENCODING, "br, gzip").send().await.unwrap();
    assert!(wasm.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), b"\0asm-hashed");
}
