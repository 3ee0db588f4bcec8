//! The email outbox: emails are written in the same transaction as the change that causes
//! them, so none is lost and none is sent for a change that was rolled back. A worker (in the
//! server crate) delivers them.

use crate::entity::outbox;
use crate::Result;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// An email to queue.
#[derive(Clone, Debug)]
pub struct Email {
    pub reseller_id: Option<i64>,
    pub customer_user_id: Option<i64>,
    pub kind: &'static str,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
}

/// Queues `email` for the worker; returns its outbox id.
pub async fn queue(db: &impl ConnectionTrait, email: Email) -> Result<i64> {
    let now = Utc::now();
    let row = outbox::ActiveModel {
        reseller_id: Set(email.reseller_id),
        customer_user_id: Set(email.customer_user_id),
        kind: Set(email.kind.to_owned()),
        to_address: Set(email.to_address),
        to_name: Set(email.to_name.chars().take(100).collect()),
        subject: Set(email.subject.chars().take(200).collect()),
        body: Set(email.body),
        status: Set("queued".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(String::new()),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// The invitation a new customer user receives.
pub fn invitation(reseller_name: &str, customer_name: &str, user_id: i64, display_name: &str, email: &str, reseller_id: i64) -> Email {
    Email {
        reseller_id: Some(reseller_id),
        customer_user_id: Some(user_id),
        kind: "invitation",
        to_address: email.to_owned(),
        to_name: display_name.to_owned(),
        subject: format!("Your call analytics account for {customer_name}"),
        body: format!(
            "Hello {display_name},\n\n\
             {reseller_name} has set up call analytics for {customer_name} and given you access.\n\n\
             Sign in with this email address ({email}) to choose your password and get started.\n\n\
             If you did not expect this email, you can ignore it.\n"
        ),
    }
}
