use crate::support::*;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};

fn assert_security_headers(res: &Response) {
    let h = res.headers();
    let csp = h.get("content-security-policy").expect("CSP on every response").to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert!(h.get("x-request-id").is_some(), "every response names its request id");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let portal = spawn().await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    for (path, session) in [("/login", None), ("/customers", Some(token.as_str())), ("/customers", None), ("/healthz", None), ("/favicon.svg", None), ("/no-such-page", Some(token.as_str()))] {
        let res = portal.get(path, session).await;
        assert_security_headers(&res);
    }
    let res = portal.sign_in_response(DEMO_EMAIL, "wrong", "", HeaderMap::new()).await;
    assert_security_headers(&res);
}

#[tokio::test]
async fn pages_allow_only_their_own_nonced_inline_scripts() {
    let portal = spawn().await;
    let res = portal.get("/login", None).await;
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the page CSP").to_owned();
    assert!(nonce.len() >= 16);
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every inline script carries this response's nonce");
    // A second response gets a different nonce.
    let again = portal.get("/login", None).await;
    assert!(!again.headers().get("content-security-policy").unwrap().to_str().unwrap().contains(&nonce));
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let portal = spawn().await;
    let path = server_fn_path::<app::api::auth::SignIn>();
    let form = [("email", DEMO_EMAIL), ("password", DEMO_PASSWORD), ("next", "")];
    let cases: [(&str, &str); 4] = [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ];
    for (name, value) in cases {
        let res = portal.client.post(portal.url(path)).header(name, value).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(session_token(&res).is_none());
    }
    // The same request from this origin works.
    let res = portal
        .client
        .post(portal.url(path))
        .header("origin", &portal.base)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cross_site_sign_out_cannot_end_a_session() {
    let portal = spawn().await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let mut headers = HeaderMap::new();
    headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
    let res = portal.call::<app::api::auth::SignOut>(&[], Some(&token), headers).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(portal.get("/customers", Some(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_pages_answer_404_with_a_readable_page() {
    let portal = spawn().await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let res = portal.get("/no-such-page", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn health_and_readiness_probes_answer_without_a_session() {
    let portal = spawn().await;
    let res = portal.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = portal.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn https_deployments_get_host_prefixed_secure_cookies_and_hsts() {
    let portal = spawn_with(&["--public-url", "https://portal.example.com"], |_| {}).await;
    let mut headers = HeaderMap::new();
    headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
    let res = portal
        .client
        .post(portal.url(server_fn_path::<app::api::auth::SignIn>()))
        .headers(headers)
        .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-portal_session=") && cookie.contains("Secure") && cookie.contains("Path=/"), "{cookie}");
    assert!(res.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn an_unexpected_failure_is_shown_as_a_readable_message_quoting_the_request_id() {
    use sea_orm::ConnectionTrait;
    let portal = spawn().await;
    // Break the database under the running server.
    let db = sea_orm::Database::connect(&portal.database_url).await.unwrap();
    db.execute_unprepared("DROP TABLE sign_in_failures").await.unwrap();
    let res = portal.sign_in_response(DEMO_EMAIL, "whatever-password", "", HeaderMap::new()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    let (_, body) = answer_text::<app::api::auth::SignIn>(res).await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["Internal"]["request_id"], request_id.as_str(), "{body}");
    let shown = app::AppError::Internal { request_id: request_id.clone() }.to_string();
    assert!(shown.contains("Something went wrong on our side") && shown.contains(&request_id));
    assert!(!body.to_string().contains("sign_in_failures"), "database details stay in the log");
}
