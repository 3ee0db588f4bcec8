use crate::support::*;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn demo_admin_signs_in_and_sees_the_shell_of_their_reseller() {
    let portal = spawn().await;
    let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", HeaderMap::new()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res).expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not mark the cookie Secure: {cookie}");
    let token = session_token(&res).unwrap();
    assert_eq!(token.len(), 64, "256-bit token, hex-encoded");

    let page = portal.get("/customers", Some(&token)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for expected in ["Demo Reseller", "Dana Demo", "Sign out", "PBX Templates", "API Access", "<h1>Customers</h1>"] {
        assert!(html.contains(expected), "the shell shows {expected:?}");
    }
    assert!(!html.contains("Northwind"), "another reseller's name never appears");
}

#[tokio::test]
async fn the_email_is_matched_case_insensitively() {
    let portal = spawn().await;
    portal.sign_in(&DEMO_EMAIL.to_uppercase(), DEMO_PASSWORD).await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_generic_message() {
    let portal = spawn().await;
    let wrong = portal.sign_in_response(DEMO_EMAIL, "not-the-password", "", HeaderMap::new()).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_token(&wrong).is_none());
    let wrong = wrong.text().await.unwrap();
    let unknown = portal.sign_in_response("nobody@nowhere.example", "not-the-password", "", HeaderMap::new()).await.text().await.unwrap();
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("The email or password is incorrect."), "{wrong}");
}

#[tokio::test]
async fn the_sign_in_form_posted_by_a_browser_is_answered_with_redirects() {
    // The page posts the form itself (no script involved): a refusal goes back to the form with
    // the error in the query, where the page reads it; success goes on to `next`.
    let portal = spawn().await;
    let mut browser = HeaderMap::new();
    browser.insert(reqwest::header::ACCEPT, "text/html,application/xhtml+xml".parse().unwrap());
    browser.insert(reqwest::header::REFERER, portal.url("/login?next=/users").parse().unwrap());
    let refused = portal.sign_in_response(DEMO_EMAIL, "not-the-password", "/users", browser.clone()).await;
    assert!(refused.status().is_redirection(), "{}", refused.status());
    assert!(session_token(&refused).is_none());
    let back = reqwest::Url::parse(&location(&refused).unwrap()).unwrap();
    assert_eq!(back.path(), "/login");
    let error = back.query_pairs().find(|(k, _)| k == "__err").map(|(_, v)| v.into_owned()).expect("the error is in the query");
    use base64::Engine;
    let error: app::AppError = app::wire::decode(&base64::engine::general_purpose::URL_SAFE.decode(error).unwrap()).unwrap();
    assert_eq!(error.to_string(), "The email or password is incorrect.");
    assert_eq!(back.query_pairs().find(|(k, _)| k == "next").unwrap().1, "/users", "and where to go after");

    let signed_in = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "/users", browser).await;
    assert!(signed_in.status().is_redirection(), "{}", signed_in.status());
    assert!(session_token(&signed_in).is_some());
    assert_eq!(location(&signed_in).as_deref(), Some("/users"));
}

#[tokio::test]
async fn a_signed_out_visit_goes_to_login_and_back_after_signing_in() {
    let portal = spawn().await;
    let res = portal.get("/billing?period=2026-10", None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = location(&res).unwrap();
    assert_eq!(login, "/login?next=/billing%3Fperiod%3D2026-10");

    let page = portal.get(&login, None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"value="/billing?period=2026-10""#), "the form carries where to go next");

    let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "/billing?period=2026-10", HeaderMap::new()).await;
    assert_eq!(location(&res).as_deref(), Some("/billing?period=2026-10"));
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let portal = spawn().await;
    for next in ["https://evil.example/", "//evil.example/x", "/\\evil.example"] {
        let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, next, HeaderMap::new()).await;
        assert_eq!(location(&res).as_deref(), Some("/customers"), "next={next}");
    }
}

#[tokio::test]
async fn the_login_page_sends_signed_in_users_to_customers() {
    let portal = spawn().await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let res = portal.get("/login", Some(&token)).await;
    assert_eq!(location(&res).as_deref(), Some("/customers"));
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let portal = spawn().await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let res = portal.call::<app::api::auth::SignOut>(&[], Some(&token), HeaderMap::new()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(set_cookie(&res).unwrap().contains("Max-Age=0"), "the cookie is cleared");
    // Replaying the old cookie does not work: the server forgot the session.
    let res = portal.get("/customers", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_sign_in_gets_a_new_token_and_replaces_the_old_session() {
    let portal = spawn().await;
    let first = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let res = portal
        .call::<app::api::auth::SignIn>(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD), ("next", "")], Some(&first), HeaderMap::new())
        .await;
    let second = session_token(&res).unwrap();
    assert_ne!(first, second);
    assert_eq!(portal.get("/customers", Some(&first)).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(portal.get("/customers", Some(&second)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_or_forged_cookie_is_cleared_and_treated_as_signed_out() {
    let portal = spawn().await;
    let res = portal.get("/customers", Some(&"a".repeat(64))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res).unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn an_idle_session_expires() {
    let portal = spawn_with(&[], |p| p.state.ctx.auth.idle_timeout = Duration::from_secs(2)).await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(portal.get("/customers", Some(&token)).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(portal.get("/customers", Some(&token)).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn activity_keeps_a_session_alive_until_the_absolute_limit() {
    let portal = spawn_with(&[], |p| {
        p.state.ctx.auth.idle_timeout = Duration::from_secs(2);
        p.state.ctx.auth.absolute_timeout = Duration::from_secs(5);
    })
    .await;
    let token = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    // Used every second, it outlives its idle limit...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(portal.get("/customers", Some(&token)).await.status(), StatusCode::OK);
    }
    // ...but not the absolute one.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(portal.get("/customers", Some(&token)).await.status(), StatusCode::SEE_OTHER);
}

fn fast_throttle(p: &mut server::Portal) {
    let t = &mut p.state.ctx.auth.throttle;
    t.base_delay = Duration::from_millis(300);
    t.max_delay = Duration::from_millis(300);
}

#[tokio::test]
async fn repeated_failures_slow_sign_in_down_then_refuse_it_even_with_the_right_password() {
    let portal = spawn_with(&[], fast_throttle).await;
    let policy = domain::auth::ThrottlePolicy::default();
    for attempt in 0..policy.pair_lock_after {
        let started = Instant::now();
        let res = portal.sign_in_response(DEMO_EMAIL, "wrong-password", "", HeaderMap::new()).await;
        let text = res.text().await.unwrap();
        assert!(text.contains("incorrect"), "attempt {attempt}: {text}");
        if attempt >= policy.pair_delay_after {
            assert!(started.elapsed() >= Duration::from_millis(300), "attempt {attempt} was not slowed down");
        }
    }
    let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", HeaderMap::new()).await;
    assert!(session_token(&res).is_none());
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((800..=900).contains(&retry_after), "about 15 minutes: {retry_after}");
    let text = res.text().await.unwrap();
    assert!(text.contains("Too many failed sign-in attempts. Try again in 15 minute(s)."), "{text}");
    // Another account is not affected.
    portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
}

#[tokio::test]
async fn many_failures_from_one_address_lock_that_address_only() {
    let portal = spawn_with(&["--trust-forwarded-for"], |p| {
        fast_throttle(p);
        p.state.ctx.auth.throttle.addr_delay_after = 50;
        p.state.ctx.auth.throttle.addr_lock_after = 4;
    })
    .await;
    let from = |ip: &'static str| {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", ip.parse().unwrap());
        h
    };
    for i in 0..4 {
        let email = format!("guess{i}@example.com");
        portal.sign_in_response(&email, "wrong-password", "", from("203.0.113.9")).await;
    }
    let refused = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", from("203.0.113.9")).await;
    assert!(refused.text().await.unwrap().contains("Too many failed sign-in attempts"));
    let allowed = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", from("198.51.100.7")).await;
    assert!(session_token(&allowed).is_some());
}

#[tokio::test]
async fn a_user_without_website_access_cannot_sign_in() {
    let portal = spawn().await;
    let db = domain::db::connect(&portal.database_url).await.unwrap();
    let mut permissions = model::Permissions::default();
    permissions = permissions.with(model::Permission::BillingAdministrator);
    domain::operator::create_reseller_user(
        &db,
        domain::operator::NewResellerUser {
            reseller: "Demo Reseller".into(),
            display_name: "Bill Only".into(),
            email: "bill@demo-reseller.example".into(),
            permissions,
            password: "a-long-enough-password".into(),
        },
    )
    .await
    .unwrap();
    let res = portal.sign_in_response("bill@demo-reseller.example", "a-long-enough-password", "", HeaderMap::new()).await;
    assert!(session_token(&res).is_none());
    let status = res.status();
    let refused = res.text().await.unwrap();
    // The same answer as a wrong password: the right password of an account without access
    // tells a guesser nothing.
    let wrong = portal.sign_in_response("bill@demo-reseller.example", "not-the-password", "", HeaderMap::new()).await;
    assert_eq!(status, wrong.status());
    assert_eq!(refused, wrong.text().await.unwrap());
    assert!(refused.contains("The email or password is incorrect."), "{refused}");
}

#[tokio::test]
async fn server_functions_refuse_callers_without_a_session() {
    let portal = spawn().await;
    let (status, body) = answer_text::<app::api::auth::SignedInUser>(portal.call::<app::api::auth::SignedInUser>(&[], None, HeaderMap::new()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Unauthorized"), "{body}");
    let token = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let (_, body) = answer_text::<app::api::auth::SignedInUser>(portal.call::<app::api::auth::SignedInUser>(&[], Some(&token), HeaderMap::new()).await).await;
    assert!(body.contains("Northwind Telecom") && !body.contains("Demo Reseller"), "{body}");
}

fn forwarded(chain: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-for", chain.parse().unwrap());
    h
}

#[tokio::test]
async fn a_parallel_burst_of_guesses_is_counted_in_full() {
    // No delays: the burst is as fast as the server can take it.
    let portal = spawn_with(&[], |p| {
        let t = &mut p.state.ctx.auth.throttle;
        t.base_delay = Duration::ZERO;
        t.max_delay = Duration::ZERO;
    })
    .await;
    let policy = domain::auth::ThrottlePolicy::default();
    let guesses = (0..40).map(|i| {
        let portal = &portal;
        async move {
            let res = portal.sign_in_response(DEMO_EMAIL, &format!("wrong-password-{i}"), "", HeaderMap::new()).await;
            res.status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count() as u64;
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count() as u64;
    assert_eq!(checked + refused, 40, "{statuses:?}");
    assert!(checked <= policy.pair_lock_after, "at most the limit's worth of passwords was checked: {checked}");
    let db = portal.database().await;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let recorded = domain::entity::sign_in_failure::Entity::find().count(&db).await.unwrap();
    assert_eq!(recorded, checked, "every checked guess is a recorded failure; refused ones are not");
}

#[tokio::test]
async fn a_guesser_locks_out_only_their_own_address_and_cannot_spoof_another() {
    let portal = spawn_with(&["--trust-forwarded-for"], fast_throttle).await;
    let policy = domain::auth::ThrottlePolicy::default();
    // The proxy appends the address it saw (203.0.113.9); the guesser writes a new "client"
    // address on the left every time, which must not reset the count.
    for i in 0..policy.pair_lock_after {
        let res = portal.sign_in_response(DEMO_EMAIL, "wrong-password", "", forwarded(&format!("192.0.2.{i}, 203.0.113.9"))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", forwarded("192.0.2.200, 203.0.113.9")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "that address is refused, spoofed entry or not");
    // The account's owner, elsewhere, still signs in.
    let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", forwarded("198.51.100.7")).await;
    assert!(session_token(&res).is_some(), "{}", res.status());
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_meet_the_softer_account_limit() {
    let portal = spawn_with(&["--trust-forwarded-for"], |p| {
        let t = &mut p.state.ctx.auth.throttle;
        t.base_delay = Duration::ZERO;
        t.max_delay = Duration::ZERO;
    })
    .await;
    let policy = domain::auth::ThrottlePolicy::default();
    for i in 0..policy.account_lock_after {
        let res = portal.sign_in_response(DEMO_EMAIL, "wrong-password", "", forwarded(&format!("198.18.{}.{}", i / 5, i % 5))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = portal.sign_in_response(DEMO_EMAIL, DEMO_PASSWORD, "", forwarded("198.51.100.99")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_current_password_check_of_a_password_change_is_throttled_like_sign_in() {
    use app::api::users::ChangeMyPassword;
    let portal = spawn_with(&[], |p| {
        let t = &mut p.state.ctx.auth.throttle;
        t.base_delay = Duration::ZERO;
        t.max_delay = Duration::ZERO;
    })
    .await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let policy = domain::auth::ThrottlePolicy::default();
    let change = |current: &'static str| call_fn::<ChangeMyPassword>(&portal, Some(&s), serde_json::json!({ "current_password": current, "new_password": "Lantern-Orbit-Quiche-47" }));
    for i in 0..policy.pair_lock_after {
        let (status, body) = change("not-my-password").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}: {body}");
    }
    let (status, body) = change(DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Nothing changed: the stored hash still matches the old password.
    let db = portal.database().await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let user = domain::entity::reseller_user::Entity::find().filter(domain::entity::reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    assert!(domain::password::verify(DEMO_PASSWORD, user.password_hash.as_deref()).await.unwrap());
}
