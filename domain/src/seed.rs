//! Demo data for a first start: two resellers (so tenant isolation is visible), product types,
//! an administrator each and a handful of customers.

use crate::entity::{customer, product_type, reseller};
use crate::operator::{self, NewResellerUser, ResellerInput};
use crate::Result;
use chrono::{Duration, Utc};
use model::Permissions;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// The demo sign-in, also printed in the README. Only ever seeded into a fresh database.
pub const DEMO_EMAIL: &str = "admin@demo-reseller.example";
pub const DEMO_PASSWORD: &str = "demo-password-2026";
pub const DEMO_RESELLER: &str = "Demo Reseller";
pub const OTHER_EMAIL: &str = "admin@northwind.example";
pub const OTHER_RESELLER: &str = "Northwind Telecom";

/// The product-type catalogue every installation starts with.
pub const PRODUCT_TYPES: [(&str, &str, &str, bool); 4] = [
    ("essentials", "Call Analytics Essentials", "CA-ESS-01", false),
    ("professional", "Call Analytics Professional", "CA-PRO-01", false),
    ("contact-centre", "Contact Centre Analytics", "CA-CC-01", true),
    ("compliance", "Compliance Recording", "CA-REC-01", true),
];

/// Seeds the catalogue of product types; safe to run on every start.
pub async fn product_types(db: &DatabaseConnection) -> Result<()> {
    for (code, name, part, locked) in PRODUCT_TYPES {
        operator::ensure_product_type(db, code, name, part, locked).await?;
    }
    Ok(())
}

/// Seeds the demo resellers when the database has none. Returns whether it did.
/// Where the demo's default PBX template points: the built-in Kazoo simulator.
pub struct DemoPbx {
    pub api_url: String,
    pub websocket_url: String,
    pub api_key: String,
}

pub async fn demo(db: &DatabaseConnection, secrets: &crate::secret::SecretBox, pbx: &DemoPbx) -> Result<bool> {
    if reseller::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    product_types(db).await?;
    let all_types: Vec<String> = PRODUCT_TYPES.iter().map(|t| t.0.to_owned()).collect();
    // Monthly prices, so the demo's billing shows values (the operator sets real ones).
    for (code, cents) in [("essentials", 1999), ("professional", 3100), ("contact-centre", 4500), ("compliance", 2500)] {
        operator::set_product_type_price(db, code, cents).await?;
    }

    let demo = operator::create_reseller(
        db,
        ResellerInput {
            name: DEMO_RESELLER.into(),
            country: "GB".into(),
            time_zone: "Europe/London".into(),
            trials_allowed: true,
            // Delta's trial (below) ends within a week and can still be extended.
            max_trial_days: 60,
            // One in-house system is seeded below; one more is left for the wizard.
            in_house_allowance: 2,
            product_types: all_types.clone(),
        },
    )
    .await?;
    let admin = operator::create_reseller_user(
        db,
        NewResellerUser {
            reseller: DEMO_RESELLER.into(),
            display_name: "Dana Demo".into(),
            email: DEMO_EMAIL.into(),
            permissions: Permissions::all(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    let demo_customers = [
        ("Acme Logistics", "essentials", "ACME-001", "GB", "Europe/London", None, false, "active"),
        ("Brightwater Dental", "professional", "BWD-7781", "GB", "Europe/London", None, false, "active"),
        ("Castle Hotels Group", "contact-centre", "", "IE", "Europe/Dublin", None, false, "active"),
        ("Delta Insurance Brokers", "professional", "DIB-22", "GB", "Europe/London", Some(5), false, "active"),
        ("Evergreen Garden Centres", "essentials", "EGC-4", "GB", "Europe/London", None, false, "disabled"),
        ("Fjord Shipping AS", "compliance", "FJ-900", "NO", "Europe/Oslo", None, false, "active"),
        ("Demo Reseller (in-house)", "professional", "INTERNAL", "GB", "Europe/London", None, true, "active"),
        ("Granite Legal LLP", "essentials", "GL-12", "GB", "Europe/London", None, false, "terminated"),
    ];
    let actor = crate::activity::Actor { permissions: Permissions::all(), ..crate::activity::Actor::of_user(&admin) };
    let template = crate::pbx_templates::create(
        db,
        secrets,
        &actor,
        &model::pbx::TemplateForm {
            name: "Kazoo Simulator (demo)".into(),
            kind: model::pbx::PbxKind::Kazoo,
            api_url: pbx.api_url.clone(),
            websocket_url: pbx.websocket_url.clone(),
            secret: pbx.api_key.clone(),
            is_default: true,
            ..Default::default()
        },
    )
    .await?;
    for (i, (name, pt, reference, country, tz, trial_days, in_house, status)) in demo_customers.into_iter().enumerate() {
        let id = insert_customer(db, demo.id, Some(admin.id), name, pt, reference, country, tz, trial_days, in_house, status, i as i64).await?;
        demo_records(db, id, name, i, template.id).await?;
    }

    let other = operator::create_reseller(
        db,
        ResellerInput {
            name: OTHER_RESELLER.into(),
            country: "US".into(),
            time_zone: "America/New_York".into(),
            trials_allowed: false,
            max_trial_days: 14,
            in_house_allowance: 1,
            product_types: vec!["essentials".into(), "professional".into()],
        },
    )
    .await?;
    let other_admin = operator::create_reseller_user(
        db,
        NewResellerUser {
            reseller: OTHER_RESELLER.into(),
            display_name: "Nora Northwind".into(),
            email: OTHER_EMAIL.into(),
            permissions: Permissions::all(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    for (i, name) in ["Harbor Freight Brokers", "Iris Pediatrics", "Juniper Credit Union"].into_iter().enumerate() {
        insert_customer(db, other.id, Some(other_admin.id), name, "essentials", "", "US", "America/New_York", None, false, "active", i as i64)
            .await?;
    }
    tracing::info!("demo data seeded");
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn insert_customer(
    db: &DatabaseConnection,
    reseller_id: i64,
    created_by: Option<i64>,
    name: &str,
    product_type_code: &str,
    reference: &str,
    country: &str,
    time_zone: &str,
    trial_days: Option<i64>,
    in_house: bool,
    status: &str,
    age_days: i64,
) -> Result<uuid::Uuid> {
    let pt = product_type::Entity::find()
        .filter(product_type::Column::Code.eq(product_type_code))
        .one(db)
        .await?
        .ok_or_else(|| crate::Error::Internal(format!("product type {product_type_code} missing")))?;
    let created_at = Utc::now() - Duration::days(40 - age_days * 4);
    let status_value = model::customer::CustomerStatus::parse(status).unwrap_or_default();
    let reseller_zone = reseller::Entity::find_by_id(reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    let created_on = crate::common::local_date(created_at, &reseller_zone);
    let id = uuid::Uuid::new_v4();
    customer::ActiveModel {
        id: Set(id),
        reseller_id: Set(reseller_id),
        name: Set(name.to_owned()),
        name_key: Set(name.to_lowercase()),
        product_type_id: Set(pt.id),
        reference: Set(reference.to_owned()),
        country: Set(country.to_owned()),
        time_zone: Set(time_zone.to_owned()),
        notes: Set(String::new()),
        trial_expires_on: Set(trial_days.map(|d| (Utc::now() + Duration::days(d)).date_naive())),
        in_house: Set(in_house),
        status: Set(model::customer::CustomerStatus::parse(status).unwrap_or_default().into()),
        // A terminated demo customer stopped two days ago (billing reads the day).
        terminate_on: Set((status == "terminated").then(|| (Utc::now() - Duration::days(2)).date_naive())),
        created_at: Set(created_at),
        created_by: Set(created_by),
        version: Set(1),
        search_text: Set(crate::common::search_text(name, created_on, status_value, reference, &pt.name, country)),
        request_key: Set(None),
        trial_ended_on: Set(None),
        trial_warned_for: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// A demo customer's administrator (already invited) and its connection to the demo template:
/// enabled and due for a first sync (the simulator answers any account id), except Fjord
/// Shipping's, which shows a disabled connection. The first customer also imports its
/// sub-accounts and gives agents the Agent add-on.
async fn demo_records(db: &DatabaseConnection, customer_id: uuid::Uuid, name: &str, i: usize, template_id: i64) -> Result<()> {
    let people = ["Alex Morgan", "Sam Patel", "Jordan Lee", "Taylor Brooks", "Casey Quinn", "Robin Hale", "Jamie Fox", "Avery Stone"];
    let person = people[i % people.len()];
    let slug: String = name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect();
    let email = format!("{}@{slug}.example", person.split(' ').next().unwrap_or("admin").to_lowercase());
    let now = Utc::now();
    let enabled = !name.starts_with("Fjord");
    crate::entity::customer_user::ActiveModel {
        customer_id: Set(customer_id),
        display_name: Set(person.into()),
        email_key: Set(email.clone()),
        email: Set(email),
        essential: Set(true),
        professional: Set(false),
        real_time: Set(false),
        agent: Set(false),
        supervisor: Set(model::roles::Supervisor::Reports),
        user_admin: Set(true),
        source: Set(crate::entity::customer_user::Source::Portal),
        pbx_id: Set(None),
        invitation: Set(model::roles::Invitation::Sent),
        invited_at: Set(Some(now)),
        created_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::entity::pbx_connection::ActiveModel {
        customer_id: Set(customer_id),
        template_id: Set(template_id),
        account_id: Set(format!("{:032x}", 0xdead_beef_u128 + i as u128)),
        directory_tenant_id: Set(String::new()),
        auto_provision_sub_accounts: Set(i == 0),
        auto_agent_addon: Set(i == 0),
        enabled: Set(enabled),
        created_at: Set(now),
        version: Set(1),
        sync_due_at: Set(enabled.then_some(now)),
        sync_reason: Set(model::sync::Reason::Created),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
