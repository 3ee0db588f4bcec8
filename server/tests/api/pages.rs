//! Server-rendered pages load their data once. Leptos' `Suspense` re-runs its children until
//! they settle; a page rendered inside the shell's `Suspense` was built two or three times per
//! request, loading its data each time (and the browser could hydrate a discarded build's
//! answer). Each resource the server serialises for the browser must be a different one.

use crate::support::*;
use std::collections::BTreeMap;

#[tokio::test]
async fn every_page_serialises_each_of_its_resources_once() {
    let portal = spawn().await;
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    for path in ["/customers", "/pbx-templates", "/users", "/billing", "/api-access", "/outbox", "/account", "/activity", "/webhooks"] {
        let mut res = portal.get(path, Some(&session)).await;
        assert_eq!(res.status(), 200, "{path}");
        // Read chunk by chunk, so a stream that stalls names its page and where it stopped.
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(15), res.chunk()).await {
                Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
                Ok(Ok(None)) => break,
                Ok(Err(e)) => panic!("{path}: the stream broke after {} bytes: {e}", body.len()),
                Err(_) => {
                    let tail = String::from_utf8_lossy(&body[body.len().saturating_sub(600)..]).into_owned();
                    panic!("{path}: the stream stalled after {} bytes, ending: {tail}", body.len());
                }
            }
        }
        let html = String::from_utf8(body).unwrap();
        // `__RESOLVED_RESOURCES[3] = "…";` per resource the server resolved.
        let mut by_payload: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for part in html.split("__RESOLVED_RESOURCES[").skip(1) {
            let (index, rest) = part.split_once("] = ").unwrap();
            let payload = rest.split("\";").next().unwrap();
            by_payload.entry(payload).or_default().push(index);
        }
        assert!(!by_payload.is_empty(), "{path}: at least the shell's (the signed-in user and demo mode): {by_payload:?}");
        for (payload, indices) in &by_payload {
            assert_eq!(indices.len(), 1, "{path} serialised the same answer as resources {indices:?}: {}", &payload[..payload.len().min(120)]);
        }
    }
}

/// Pages rendered while other portals start in the same process (as the tests do) finish.
/// Generating a router's route list suppresses resource loading process-wide, and a resource
/// first polled then never loaded (leptos-rs/leptos#4773): a page stalled mid-stream. The route
/// list is generated once per process now.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_finish_while_other_portals_start() {
    let portal = spawn().await;
    let session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let starting = tokio::spawn(async {
        let mut started = Vec::new();
        for _ in 0..12 {
            started.push(spawn().await);
        }
        started.len()
    });
    let mut rendered = 0;
    while !starting.is_finished() {
        for path in ["/customers", "/api-access", "/users"] {
            let page = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                portal.get(path, Some(&session)).await.text().await.unwrap()
            })
            .await
            .unwrap_or_else(|_| panic!("{path} stalled while another portal started"));
            assert!(page.contains("</html>"), "{path} is complete");
            rendered += 1;
        }
    }
    assert_eq!(starting.await.unwrap(), 12);
    assert!(rendered > 0);
}
