//! The periodic sweep deletes exactly what has expired, in batches, and keeps everything else.

use crate::support::*;
use chrono::{Duration, Utc};
use domain::entity::{api_client, api_idempotency, api_token, reseller_user, session, sign_in_failure, user_token, webhook_delivery, webhook_endpoint};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

#[tokio::test]
async fn the_sweep_deletes_what_expired_and_keeps_what_still_counts() {
    let portal = spawn().await;
    let db = portal.database().await;
    let policy = domain::auth::AuthPolicy::default();
    let now = Utc::now();
    let user = reseller_user::Entity::find().filter(reseller_user::Column::EmailKey.eq(DEMO_EMAIL)).one(&db).await.unwrap().unwrap();
    let session = |created: chrono::DateTime<Utc>, seen: chrono::DateTime<Utc>, tag: &str| session::ActiveModel {
        token_hash: Set(format!("{tag:0>64}")),
        user_id: Set(user.id),
        created_at: Set(created),
        last_seen_at: Set(seen),
        client_addr: Set("127.0.0.1".into()),
        ..Default::default()
    };
    session(now - Duration::hours(1), now - Duration::hours(1), "idle").insert(&db).await.unwrap();
    session(now - Duration::hours(13), now, "old").insert(&db).await.unwrap();
    let live = session(now - Duration::minutes(5), now - Duration::minutes(1), "live").insert(&db).await.unwrap();

    let client = api_client::ActiveModel {
        reseller_id: Set(user.reseller_id),
        name: Set("Sweep".into()),
        client_id: Set("rp_000000000000000000000001".into()),
        secret_hash: Set("x".into()),
        created_at: Set(now),
        created_by: Set("test".into()),
        permissions: Set(13),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    for (tag, expires) in [("a", now - Duration::seconds(1)), ("b", now + Duration::hours(1))] {
        api_token::ActiveModel { api_client_id: Set(client.id), token_hash: Set(tag.into()), expires_at: Set(expires), created_at: Set(now), ..Default::default() }
            .insert(&db)
            .await
            .unwrap();
    }
    for (tag, expires) in [("spent", now - Duration::hours(1)), ("valid", now + Duration::hours(70))] {
        user_token::ActiveModel { user_id: Set(user.id), purpose: Set(domain::entity::user_token::Purpose::Activation), token_hash: Set(tag.into()), expires_at: Set(expires), created_at: Set(now), ..Default::default() }
            .insert(&db)
            .await
            .unwrap();
    }
    for (tag, at) in [("old", now - Duration::hours(25)), ("new", now - Duration::hours(23))] {
        api_idempotency::ActiveModel {
            reseller_id: Set(user.reseller_id),
            key_hash: Set(tag.into()),
            body_hash: Set(tag.into()),
            status: Set(201),
            response: Set("{}".into()),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    // More old failures than one batch holds, and one recent one that still counts.
    let failures: Vec<sign_in_failure::ActiveModel> = (0..2500)
        .map(|i| sign_in_failure::ActiveModel {
            email_key: Set(format!("guess{i}@example.com")),
            client_addr: Set("198.51.100.1".into()),
            failed_at: Set(now - Duration::hours(2)),
            ..Default::default()
        })
        .collect();
    for chunk in failures.chunks(500) {
        sign_in_failure::Entity::insert_many(chunk.to_vec()).exec(&db).await.unwrap();
    }
    sign_in_failure::ActiveModel { email_key: Set("recent@example.com".into()), client_addr: Set("198.51.100.1".into()), failed_at: Set(now - Duration::minutes(5)), ..Default::default() }
        .insert(&db)
        .await
        .unwrap();

    // Webhook deliveries: old and finished ones go; pending or recent ones stay.
    let endpoint = webhook_endpoint::ActiveModel {
        reseller_id: Set(user.reseller_id),
        url: Set("https://hooks.example.com/sweep".into()),
        description: Set(String::new()),
        event_types: Set(String::new()),
        // Disabled: the portal's webhook worker must not fan events into this log meanwhile.
        enabled: Set(false),
        secret_sealed: Set(String::new()),
        last_seq: Set(0),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    use model::webhooks::DeliveryStatus::*;
    for (n, (status, age)) in [(Delivered, 31), (Failed, 31), (Pending, 31), (Delivered, 29)].into_iter().enumerate() {
        webhook_delivery::ActiveModel {
            endpoint_id: Set(endpoint.id),
            reseller_id: Set(user.reseller_id),
            event_id: Set(format!("event-{n}")),
            event_type: Set("customer.updated".into()),
            body: Set("{}".into()),
            event_at: Set(now - Duration::days(age)),
            status: Set(status),
            attempts: Set(1),
            created_at: Set(now - Duration::days(age)),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }

    let swept = domain::sweep::run(&db, &policy, now).await.unwrap();
    assert_eq!((swept.sessions, swept.api_tokens, swept.activation_links, swept.idempotency_records, swept.sign_in_failures), (2, 1, 1, 1, 2500));
    assert_eq!(swept.webhook_deliveries, 2, "the delivered and the failed one older than 30 days");
    let kept: Vec<String> = webhook_delivery::Entity::find().all(&db).await.unwrap().into_iter().map(|d| d.event_id).collect();
    assert_eq!(kept, ["event-2", "event-3"]);
    assert!(session::Entity::find_by_id(live.id).one(&db).await.unwrap().is_some(), "a live session stays");
    assert_eq!(api_token::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(user_token::Entity::find().filter(user_token::Column::TokenHash.eq("valid")).count(&db).await.unwrap(), 1);
    assert_eq!(api_idempotency::Entity::find().filter(api_idempotency::Column::KeyHash.eq("new")).count(&db).await.unwrap(), 1);
    assert_eq!(sign_in_failure::Entity::find().count(&db).await.unwrap(), 1, "the recent failure still counts");
    assert_eq!(domain::sweep::run(&db, &policy, now).await.unwrap().total(), 0, "a second pass finds nothing");
}
