//! Reseller users over the server functions: created with an activation email, activated once
//! through the link, permissions edited under the lock-out rules, deactivated (signed out at
//! once); a user's own password change and "sign out other sessions".

use crate::support::*;
use app::api::users::*;
use domain::entity::{outbox, reseller_user, user_token};
use model::users::{ResellerUserView, UserForm};
use model::{Permission, Permissions};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

async fn call<S: WireFn>(portal: &TestPortal, session: Option<&str>, body: Value) -> (StatusCode, Value) {
    call_fn::<S>(portal, session, body).await
}

fn fields(body: &Value) -> Vec<String> {
    invalid_fields(body)
}

fn perms(list: &[Permission]) -> Permissions {
    list.iter().copied().collect()
}

const STRONG: &str = "Lantern-Orbit-Quiche-47";

/// Creates a user through the Users page's server function; returns them and their link's token.
async fn create(portal: &TestPortal, s: &str, name: &str, email: &str, p: Permissions) -> (ResellerUserView, String) {
    let form = UserForm { display_name: name.into(), email: email.into(), permissions: p };
    let (code, body) = call::<CreateResellerUser>(portal, Some(s), json!({ "form": form })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let user: ResellerUserView = serde_json::from_value(body).unwrap();
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("activation"))
        .filter(outbox::Column::ToAddress.eq(email))
        .order_by_desc(outbox::Column::Id)
        .one(&portal.database().await)
        .await
        .unwrap()
        .expect("an activation email is queued");
    let token = mail.body.split("token=").nth(1).unwrap()[..64].to_owned();
    assert!(mail.body.contains(&format!("{}/activate?token={token}", portal.base)), "{}", mail.body);
    (user, token)
}

#[tokio::test]
async fn a_new_user_activates_once_through_the_emailed_link_and_signs_in() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (user, token) = create(&portal, &s, "Sam Support", "sam@demo-reseller.example", perms(&[Permission::WebsiteAccess, Permission::CustomerAdministrator])).await;
    assert!(user.active && !user.activated && !user.is_you);
    let db = portal.database().await;
    let stored = user_token::Entity::find().one(&db).await.unwrap().unwrap();
    assert_ne!(stored.token_hash, token, "only a hash of the link is stored");

    // Duplicates and impossible permission sets are refused beside their fields.
    let dup = UserForm { display_name: "Sam Again".into(), email: "SAM@demo-reseller.example".into(), permissions: Permissions::default() };
    let (code, body) = call::<CreateResellerUser>(&portal, Some(&s), json!({ "form": dup })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["email".to_owned()]), "{body}");
    let headless = UserForm { display_name: "No Web".into(), email: "noweb@demo-reseller.example".into(), permissions: perms(&[Permission::BillingAdministrator]) };
    let (code, body) = call::<CreateResellerUser>(&portal, Some(&s), json!({ "form": headless })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["permissions".to_owned()]), "{body}");

    // The link's page opens without a session; it cannot sign in before activation.
    let page = portal.get(&format!("/activate?token={token}"), None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let (code, who) = call::<LoadActivation>(&portal, None, json!({ "token": token })).await;
    assert_eq!(code, StatusCode::OK, "{who}");
    assert_eq!(who["email"], "sam@demo-reseller.example");
    let res = portal.sign_in_response("sam@demo-reseller.example", STRONG, "", Default::default()).await;
    assert_ne!(res.status(), StatusCode::OK);

    // Weak passwords are refused and change nothing; a good one activates, once.
    for weak in ["short", "password1234", "sam@demo-reseller.example"] {
        let (code, body) = call::<ActivateAccount>(&portal, None, json!({ "token": token, "password": weak })).await;
        assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["password".to_owned()]), "{weak}: {body}");
    }
    let (code, body) = call::<ActivateAccount>(&portal, None, json!({ "token": token, "password": STRONG })).await;
    assert_eq!((code, body.clone()), (StatusCode::OK, json!("sam@demo-reseller.example")), "{body}");
    let (code, body) = call::<ActivateAccount>(&portal, None, json!({ "token": token, "password": "Another-Fine-Phrase-99" })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    portal.sign_in("sam@demo-reseller.example", STRONG).await;

    // A fresh link for a user who never activated; an expired one does not work.
    let (pending, old_token) = create(&portal, &s, "Pat Pending", "pat@demo-reseller.example", perms(&[Permission::WebsiteAccess])).await;
    let (code, _) = call::<ResendActivation>(&portal, Some(&s), json!({ "id": pending.id })).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = call::<LoadActivation>(&portal, None, json!({ "token": old_token })).await;
    assert_eq!(code, StatusCode::CONFLICT, "a resent link replaces the old one");
    user_token::Entity::update_many().col_expr(user_token::Column::ExpiresAt, Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1))).exec(&db).await.unwrap();
    let mail = outbox::Entity::find().filter(outbox::Column::ToAddress.eq("pat@demo-reseller.example")).order_by_desc(outbox::Column::Id).one(&db).await.unwrap().unwrap();
    let token = mail.body.split("token=").nth(1).unwrap()[..64].to_owned();
    let (code, body) = call::<ActivateAccount>(&portal, None, json!({ "token": token, "password": STRONG })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("expired"), "{body}");
}

#[tokio::test]
async fn permissions_cannot_lock_the_reseller_out_and_other_resellers_users_are_missing() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (_, list) = call::<ListResellerUsers>(&portal, Some(&s), json!({})).await;
    let list: Vec<ResellerUserView> = serde_json::from_value(list).unwrap();
    let me = list.iter().find(|u| u.is_you).unwrap().clone();
    let form = UserForm { display_name: me.display_name.clone(), email: me.email.clone(), permissions: perms(&[Permission::WebsiteAccess]) };
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&s), json!({ "id": me.id, "form": form })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["permissions".to_owned()]), "{body}");
    let (code, body) = call::<SetResellerUserActive>(&portal, Some(&s), json!({ "id": me.id, "active": false })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");

    let (sam, _) = create(&portal, &s, "Sam Support", "sam@demo-reseller.example", perms(&[Permission::WebsiteAccess])).await;
    let form = UserForm { display_name: "Samantha Support".into(), email: String::new(), permissions: perms(&[Permission::WebsiteAccess, Permission::BillingAdministrator]) };
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&s), json!({ "id": sam.id, "form": form })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let saved: ResellerUserView = serde_json::from_value(body).unwrap();
    assert_eq!((saved.display_name.as_str(), saved.permissions), ("Samantha Support", perms(&[Permission::WebsiteAccess, Permission::BillingAdministrator])));

    // Another reseller's administrator sees neither list nor user.
    let other = portal.sign_in(OTHER_EMAIL, DEMO_PASSWORD).await;
    let (_, theirs) = call::<ListResellerUsers>(&portal, Some(&other), json!({})).await;
    assert!(!theirs.to_string().contains("Samantha"), "{theirs}");
    for (code, body) in [
        call::<UpdateResellerUser>(&portal, Some(&other), json!({ "id": sam.id, "form": UserForm { display_name: "Hijacked".into(), ..Default::default() } })).await,
        call::<SetResellerUserActive>(&portal, Some(&other), json!({ "id": sam.id, "active": false })).await,
        call::<ResendActivation>(&portal, Some(&other), json!({ "id": sam.id })).await,
    ] {
        assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
    }
    // Without Manage Users: 403.
    let db = portal.database().await;
    reseller_user::Entity::update_many()
        .col_expr(reseller_user::Column::Permissions, Expr::value(perms(&[Permission::WebsiteAccess]).bits() as i32))
        .filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL))
        .exec(&db)
        .await
        .unwrap();
    let (code, _) = call::<ListResellerUsers>(&portal, Some(&s), json!({})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

/// A reseller user with `permissions`, signed in.
pub async fn signed_in_as(portal: &TestPortal, email: &str, permissions: Permissions) -> String {
    let db = portal.database().await;
    domain::operator::create_reseller_user(
        &db,
        domain::operator::NewResellerUser {
            reseller: "Demo Reseller".into(),
            display_name: format!("User {email}"),
            email: email.into(),
            permissions,
            password: "a-long-enough-password-2026".into(),
        },
    )
    .await
    .unwrap();
    portal.sign_in(email, "a-long-enough-password-2026").await
}

#[tokio::test]
async fn nobody_grants_a_permission_they_lack_nor_changes_their_own() {
    let portal = spawn().await;
    let db = portal.database().await;
    // A user administrator who is neither a billing nor a REST API administrator.
    let held = perms(&[Permission::WebsiteAccess, Permission::ManageUsers, Permission::CustomerAdministrator]);
    let uma = signed_in_as(&portal, "uma@demo-reseller.example", held).await;
    let stored = |email: &'static str| {
        let db = db.clone();
        async move { reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(email)).one(&db).await.unwrap() }
    };

    // Creating someone with more than she holds.
    let form = UserForm { display_name: "Bob Billing".into(), email: "bob@demo-reseller.example".into(), permissions: perms(&[Permission::WebsiteAccess, Permission::BillingAdministrator]) };
    let (code, body) = call::<CreateResellerUser>(&portal, Some(&uma), json!({ "form": form })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["permissions".to_owned()]), "{body}");
    assert!(body.to_string().contains("Billing Administrator"), "the message names it: {body}");
    assert!(stored("bob@demo-reseller.example").await.is_none(), "nothing stored");
    // Within what she holds, it works.
    let (bob, _) = create(&portal, &uma, "Bob Billing", "bob@demo-reseller.example", perms(&[Permission::WebsiteAccess, Permission::CustomerAdministrator])).await;

    // Raising herself, or anyone, past what she holds.
    let (_, list) = call::<ListResellerUsers>(&portal, Some(&uma), json!({})).await;
    let list: Vec<ResellerUserView> = serde_json::from_value(list).unwrap();
    let me = list.iter().find(|u| u.is_you).unwrap().clone();
    let everything = UserForm { display_name: me.display_name.clone(), email: String::new(), permissions: Permissions::all() };
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&uma), json!({ "id": me.id, "form": everything })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["permissions".to_owned()]), "{body}");
    assert_eq!(stored("uma@demo-reseller.example").await.unwrap().permissions, held.bits() as i32, "unchanged");
    // Not even a permission she holds: nobody changes their own.
    let less = UserForm { permissions: perms(&[Permission::WebsiteAccess, Permission::ManageUsers]), ..UserForm { display_name: me.display_name.clone(), ..Default::default() } };
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&uma), json!({ "id": me.id, "form": less })).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let raise_bob = UserForm { display_name: bob.display_name.clone(), email: String::new(), permissions: perms(&[Permission::WebsiteAccess, Permission::CustomerAdministrator, Permission::RestApiAdministrator]) };
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&uma), json!({ "id": bob.id, "form": raise_bob })).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Nor take away what she does not hold (the demo admin's Billing Administrator), though
    // she may rename them.
    let admin = list.iter().find(|u| u.email == DEMO_EMAIL).unwrap().clone();
    let stripped: Permissions = admin.permissions.iter().filter(|p| *p != Permission::BillingAdministrator).collect();
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&uma), json!({ "id": admin.id, "form": UserForm { display_name: admin.display_name.clone(), email: String::new(), permissions: stripped } })).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let renamed = UserForm { display_name: "Dana the Admin".into(), email: String::new(), permissions: admin.permissions };
    let (code, body) = call::<UpdateResellerUser>(&portal, Some(&uma), json!({ "id": admin.id, "form": renamed })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(stored(DEMO_EMAIL).await.unwrap().permissions, admin.permissions.bits() as i32);

    // Nor shut out, or take over, someone who holds more: deactivating the admin, or resending
    // the activation link (readable in the demo outbox) of a more privileged newcomer.
    let (code, body) = call::<SetResellerUserActive>(&portal, Some(&uma), json!({ "id": admin.id, "active": false })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(stored(DEMO_EMAIL).await.unwrap().active, "still active");
    let admin_session = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (boss, _) = create(&portal, &admin_session, "Bea Boss", "bea@demo-reseller.example", Permissions::all()).await;
    let (code, body) = call::<ResendActivation>(&portal, Some(&uma), json!({ "id": boss.id })).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    // Nor read that newcomer's link in the demo outbox: it is hidden from her, shown to the
    // admin who holds everything Bea holds, and her own invitee Bob's link stays readable.
    let outbox = |session: String| {
        let portal = &portal;
        async move {
            let (code, body) = call::<app::api::outbox::ListOutbox>(portal, Some(&session), json!({})).await;
            assert_eq!(code, StatusCode::OK, "{body}");
            serde_json::from_value::<Vec<app::api::outbox::OutboxEmail>>(body).unwrap()
        }
    };
    let body_to = |list: &[app::api::outbox::OutboxEmail], to: &str| list.iter().find(|e| e.to_address == to).expect(to).body.clone();
    let seen_by_uma = outbox(uma.clone()).await;
    let bea_mail = body_to(&seen_by_uma, "bea@demo-reseller.example");
    assert!(!bea_mail.contains("token=") && bea_mail.contains(domain::outbox::HIDDEN_LINK), "{bea_mail}");
    assert!(bea_mail.contains("Hello Bea Boss"), "the rest of the email stays: {bea_mail}");
    assert!(body_to(&seen_by_uma, "bob@demo-reseller.example").contains("/activate?token="));
    assert!(body_to(&outbox(admin_session.clone()).await, "bea@demo-reseller.example").contains("/activate?token="));
    // Within her own rights she may.
    let (code, body) = call::<SetResellerUserActive>(&portal, Some(&uma), json!({ "id": bob.id, "active": false })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn deactivating_signs_the_user_out_at_once_and_own_password_changes_end_other_sessions() {
    let portal = spawn().await;
    let s = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (sam, token) = create(&portal, &s, "Sam Support", "sam@demo-reseller.example", perms(&[Permission::WebsiteAccess, Permission::ManageUsers])).await;
    let (code, _) = call::<ActivateAccount>(&portal, None, json!({ "token": token, "password": STRONG })).await;
    assert_eq!(code, StatusCode::OK);
    let sams = portal.sign_in("sam@demo-reseller.example", STRONG).await;
    let (code, _) = call::<ListResellerUsers>(&portal, Some(&sams), json!({})).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = call::<SetResellerUserActive>(&portal, Some(&s), json!({ "id": sam.id, "active": false })).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = call::<ListResellerUsers>(&portal, Some(&sams), json!({})).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "a deactivated user's session ends at once");
    let res = portal.sign_in_response("sam@demo-reseller.example", STRONG, "", Default::default()).await;
    assert_ne!(res.status(), StatusCode::OK);
    let (code, _) = call::<SetResellerUserActive>(&portal, Some(&s), json!({ "id": sam.id, "active": true })).await;
    assert_eq!(code, StatusCode::OK);
    portal.sign_in("sam@demo-reseller.example", STRONG).await;

    // Dana changes her password in one session: the other session ends, this one stays.
    let elsewhere = portal.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (code, body) = call::<ChangeMyPassword>(&portal, Some(&s), json!({ "current_password": "wrong", "new_password": STRONG })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["current_password".to_owned()]));
    let (code, body) = call::<ChangeMyPassword>(&portal, Some(&s), json!({ "current_password": DEMO_PASSWORD, "new_password": "qwertyuiop123" })).await;
    assert_eq!((code, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["new_password".to_owned()]));
    let (code, body) = call::<ChangeMyPassword>(&portal, Some(&s), json!({ "current_password": DEMO_PASSWORD, "new_password": STRONG })).await;
    assert_eq!((code, body), (StatusCode::OK, json!(1)));
    assert_eq!(call::<ListResellerUsers>(&portal, Some(&elsewhere), json!({})).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call::<ListResellerUsers>(&portal, Some(&s), json!({})).await.0, StatusCode::OK);
    let third = portal.sign_in(DEMO_EMAIL, STRONG).await;
    let (code, body) = call::<SignOutOtherSessions>(&portal, Some(&s), json!({})).await;
    assert_eq!((code, body), (StatusCode::OK, json!(1)));
    assert_eq!(call::<ListResellerUsers>(&portal, Some(&third), json!({})).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call::<ListResellerUsers>(&portal, Some(&s), json!({})).await.0, StatusCode::OK);
}
