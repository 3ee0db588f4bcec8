//! The operator's command line, run as the real binary against the test database.

use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn operator(database_url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn the_operator_creates_a_reseller_and_a_user_who_can_then_sign_in() {
    let portal = spawn().await;
    let db = &portal.database_url;
    let (ok, out) = operator(db, &["reseller", "create", "--name", "Contoso Voice", "--country", "DE", "--time-zone", "Europe/Berlin", "--trials", "--max-trial-days", "45", "--in-house-allowance", "2", "--product-types", "essentials,professional"], None);
    assert!(ok, "{out}");
    assert!(out.contains("Contoso Voice") && out.contains("longest trial 45 days") && out.contains("in-house allowance 2"), "{out}");

    let (ok, out) = operator(db, &["user", "create", "--reseller", "contoso voice", "--display-name", "Carla", "--email", "carla@contoso.example", "--permissions", "website-access,manage-users"], Some("carla-strong-password\n"));
    assert!(ok, "{out}");
    assert!(out.contains("Website Access, Manage Users"), "{out}");

    let token = portal.sign_in("carla@contoso.example", "carla-strong-password").await;
    let html = portal.get("/customers", Some(&token)).await.text().await.unwrap();
    assert!(html.contains("Contoso Voice") && html.contains("Carla"));
}

#[tokio::test]
async fn the_operator_updates_only_the_given_settings() {
    let portal = spawn().await;
    let (ok, out) = operator(&portal.database_url, &["reseller", "update", "Demo Reseller", "--in-house-allowance", "3", "--trials", "false"], None);
    assert!(ok, "{out}");
    assert!(out.contains("trials not allowed") && out.contains("in-house allowance 3") && out.contains("Europe/London"), "{out}");
}

#[tokio::test]
async fn bad_operator_input_is_explained_and_changes_nothing() {
    let portal = spawn().await;
    let db = &portal.database_url;
    let (ok, out) = operator(db, &["reseller", "create", "--name", "Demo Reseller", "--country", "gb", "--time-zone", "Mars/Olympus", "--product-types", "essentials"], None);
    assert!(!ok);
    assert!(out.contains("ISO 3166-1") && out.contains("Mars/Olympus"), "{out}");
    let (ok, out) = operator(db, &["reseller", "create", "--name", "Demo reseller", "--country", "GB", "--time-zone", "Europe/London", "--product-types", "essentials"], None);
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = operator(db, &["reseller", "create", "--name", "New One", "--country", "GB", "--time-zone", "Europe/London", "--product-types", "essentials,unicorns"], None);
    assert!(!ok && out.contains("Unknown product type 'unicorns'"), "{out}");
    // The failed create left no half-made reseller behind.
    let (ok, out) = operator(db, &["reseller", "update", "New One", "--in-house-allowance", "2"], None);
    assert!(!ok && out.contains("There is no reseller named 'New One'"), "{out}");
    let (ok, out) = operator(db, &["user", "create", "--reseller", "Demo Reseller", "--display-name", "Short", "--email", "short@demo.example"], Some("short\n"));
    assert!(!ok && out.contains("at least 12 characters"), "{out}");
}

#[tokio::test]
async fn a_password_reset_takes_effect_and_ends_existing_sessions() {
    let portal = spawn().await;
    let old_session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (ok, out) = operator(&portal.database_url, &["user", "reset-password", "--email", DEMO_EMAIL], Some("a-brand-new-password\n"));
    assert!(ok, "{out}");
    assert_eq!(portal.get("/customers", Some(&old_session)).await.status(), reqwest::StatusCode::SEE_OTHER);
    portal.sign_in(DEMO_EMAIL, "a-brand-new-password").await;
}
