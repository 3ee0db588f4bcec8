//! The command line: `serve` (the default) and the operator's commands.

use crate::config::Config;
use crate::Portal;
use clap::{Parser, Subcommand};
use model::{Permission, Permissions};
use std::io::IsTerminal;

#[derive(Parser, Debug)]
#[command(name = "server", version, about = "Reseller Portal: web server and operator commands")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the portal (the default when no command is given).
    Serve,
    /// Create or change resellers.
    #[command(subcommand)]
    Reseller(ResellerCommand),
    /// Create reseller users and reset their passwords.
    #[command(subcommand)]
    User(UserCommand),
    /// Create REST API client credentials for a reseller.
    #[command(subcommand)]
    ApiClient(ApiClientCommand),
    /// List the product types resellers can be given (with their monthly prices), or set a price.
    ProductTypes {
        #[command(subcommand)]
        command: Option<ProductTypeCommand>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProductTypeCommand {
    /// Set what one customer of a product type costs per month. Months already billed keep
    /// the prices they were run with.
    SetPrice {
        /// The product type's code (see `product-types`).
        #[arg(long)]
        code: String,
        /// The monthly price, with at most two decimal places, e.g. 12.50.
        #[arg(long, value_parser = parse_price, allow_hyphen_values = true)]
        monthly: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum ResellerCommand {
    /// Create a reseller.
    Create {
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 code, e.g. GB.
        #[arg(long)]
        country: String,
        /// IANA time zone, e.g. Europe/London.
        #[arg(long)]
        time_zone: String,
        /// Allow the reseller to give trial periods.
        #[arg(long)]
        trials: bool,
        /// The longest trial it may give, in days.
        #[arg(long, default_value_t = 30)]
        max_trial_days: i32,
        /// How many in-house (never charged) customers it may have.
        #[arg(long, default_value_t = 1)]
        in_house_allowance: i32,
        /// Comma-separated product type codes it may sell (see `product-types`).
        #[arg(long, value_delimiter = ',', required = true)]
        product_types: Vec<String>,
    },
    /// Change a reseller, found by its current name; only the given settings change.
    Update {
        /// The reseller's current name.
        reseller: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        time_zone: Option<String>,
        #[arg(long)]
        trials: Option<bool>,
        #[arg(long)]
        max_trial_days: Option<i32>,
        #[arg(long)]
        in_house_allowance: Option<i32>,
        #[arg(long, value_delimiter = ',')]
        product_types: Option<Vec<String>>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiClientCommand {
    /// Create credentials on behalf of a reseller user (a REST API Administrator, who is then
    /// their creator: they act with no more than that user holds, and stop working if the
    /// user is deactivated). Prints the client id and the secret, which is shown only now.
    Create {
        /// The creating reseller user's email.
        #[arg(long)]
        user: String,
        /// What the credentials are for, e.g. "Billing system".
        #[arg(long)]
        name: String,
        /// Comma-separated: customer-administrator, billing-administrator,
        /// webhooks-administrator.
        #[arg(long, value_delimiter = ',', default_value = "customer-administrator,billing-administrator")]
        permissions: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a reseller user. The password is read from standard input (or asked for).
    Create {
        /// The reseller's name.
        #[arg(long)]
        reseller: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        email: String,
        /// Comma-separated: website-access, manage-users, customer-administrator,
        /// billing-administrator, rest-api-administrator, webhooks-administrator; or `all`.
        #[arg(long, value_delimiter = ',', default_value = "all")]
        permissions: Vec<String>,
    },
    /// Set a new password (read from standard input or asked for) and end the user's sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Reseller(command) => {
            let db = connect(&config).await?;
            let reseller = match command {
                ResellerCommand::Create { name, country, time_zone, trials, max_trial_days, in_house_allowance, product_types } => {
                    let input = domain::operator::ResellerInput { name, country, time_zone, trials_allowed: trials, max_trial_days, in_house_allowance, product_types };
                    domain::operator::create_reseller(&db, input).await.map_err(explain)?
                }
                ResellerCommand::Update { reseller, name, country, time_zone, trials, max_trial_days, in_house_allowance, product_types } => {
                    let changes = domain::operator::ResellerChanges { name, country, time_zone, trials_allowed: trials, max_trial_days, in_house_allowance, product_types };
                    domain::operator::update_reseller(&db, &reseller, changes).await.map_err(explain)?
                }
            };
            let types = domain::operator::product_type_codes(&db, reseller.id).await?;
            println!(
                "{} (id {}): country {}, time zone {}, trials {}, longest trial {} days, in-house allowance {}, product types {}",
                reseller.name,
                reseller.id,
                reseller.country,
                reseller.time_zone,
                if reseller.trials_allowed { "allowed" } else { "not allowed" },
                reseller.max_trial_days,
                reseller.in_house_allowance,
                types.join(", ")
            );
            Ok(())
        }
        Command::User(UserCommand::Create { reseller, display_name, email, permissions }) => {
            let permissions = parse_permissions(&permissions)?;
            let password = read_password()?;
            let db = connect(&config).await?;
            let input = domain::operator::NewResellerUser { reseller, display_name, email, permissions, password };
            let user = domain::operator::create_reseller_user(&db, input).await.map_err(explain)?;
            let labels: Vec<&str> = permissions.iter().map(Permission::label).collect();
            println!("Created {} <{}> (id {}) with {}", user.display_name, user.email, user.id, labels.join(", "));
            Ok(())
        }
        Command::ApiClient(ApiClientCommand::Create { user, name, permissions }) => {
            let permissions = parse_permissions(&permissions)?;
            let db = connect(&config).await?;
            let created = domain::operator::create_api_client(&db, &user, &name, permissions).await.map_err(explain)?;
            println!("client_id={}", created.client.client_id);
            println!("client_secret={}", created.secret);
            Ok(())
        }
        Command::User(UserCommand::ResetPassword { email }) => {
            let password = read_password()?;
            let db = connect(&config).await?;
            domain::operator::reset_password(&db, &email, &password).await.map_err(explain)?;
            println!("Password changed for {email}; their sessions were ended.");
            Ok(())
        }
        Command::ProductTypes { command: None } => {
            let db = connect(&config).await?;
            for pt in domain::operator::all_product_types(&db).await? {
                let price = format!("{}/month", model::billing::format_cents(pt.monthly_price_cents));
                println!("{:<16} {:<32} {:<12} {:>14}  {}", pt.code, pt.name, pt.part_number, price, if pt.locked { "locked" } else { "" });
            }
            Ok(())
        }
        Command::ProductTypes { command: Some(ProductTypeCommand::SetPrice { code, monthly }) } => {
            let db = connect(&config).await?;
            let pt = domain::operator::set_product_type_price(&db, &code, monthly).await.map_err(explain)?;
            println!("{} ({}) now costs {} a month.", pt.name, pt.code, model::billing::format_cents(pt.monthly_price_cents));
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let portal = Portal::prepare(config).await?;
    let url = portal.config.public_url();
    tracing::info!(%url, database = %redact(&portal.config.database_url), "Reseller Portal listening");
    println!("\n  Reseller Portal is running at {url}\n");
    if portal.config.demo {
        tracing::info!(email = domain::seed::DEMO_EMAIL, password = domain::seed::DEMO_PASSWORD, "demo sign-in");
        println!("  Demo sign-in:  {}  /  {}", domain::seed::DEMO_EMAIL, domain::seed::DEMO_PASSWORD);
        println!("  Other reseller (isolation): {}  /  {}\n", domain::seed::OTHER_EMAIL, domain::seed::DEMO_PASSWORD);
    }
    portal.serve(listener, crate::shutdown_signal()).await
}

async fn connect(config: &Config) -> anyhow::Result<domain::db::DatabaseConnection> {
    config.validate().map_err(anyhow::Error::msg)?;
    let db = domain::db::connect(&config.database_url).await?;
    domain::seed::product_types(&db).await?;
    Ok(db)
}

/// Turns a domain error into words for the operator (field problems listed one per line).
fn explain(e: domain::Error) -> anyhow::Error {
    match e {
        domain::Error::Invalid(errors) => {
            anyhow::anyhow!(errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("\n"))
        }
        other => other.into(),
    }
}

fn parse_permissions(items: &[String]) -> anyhow::Result<Permissions> {
    if items.iter().any(|i| i == "all") {
        return Ok(Permissions::all());
    }
    items
        .iter()
        .map(|i| {
            Permission::from_slug(i.trim()).ok_or_else(|| {
                let known: Vec<&str> = Permission::ALL.iter().map(|p| p.slug()).collect();
                anyhow::anyhow!("unknown permission '{i}'; use one of: {}, all", known.join(", "))
            })
        })
        .collect()
}

/// A monthly price such as `12.50`, in cents: at most two decimal places, never negative.
fn parse_price(text: &str) -> Result<i64, String> {
    model::billing::parse_cents(text)
}

/// Passwords never travel as arguments (they would show in `ps` and shell history): from a
/// terminal they are asked for twice, otherwise the first line of standard input is used.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        anyhow::ensure!(first == second, "the two passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(!password.is_empty(), "no password on standard input");
        Ok(password)
    }
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_parse_from_slugs_or_all() {
        assert_eq!(parse_permissions(&["all".into()]).unwrap(), Permissions::all());
        let p = parse_permissions(&["website-access".into(), "billing-administrator".into()]).unwrap();
        assert!(p.allows(Permission::BillingAdministrator));
        assert!(!p.contains(Permission::ManageUsers));
        assert!(parse_permissions(&["root".into()]).is_err());
    }

    #[test]
    fn set_price_reads_a_decimal_with_at_most_two_places() {
        let cli = Cli::parse_from(["server", "product-types", "set-price", "--code", "professional", "--monthly", "12.50"]);
        match cli.command {
            Some(Command::ProductTypes { command: Some(ProductTypeCommand::SetPrice { code, monthly }) }) => {
                assert_eq!((code.as_str(), monthly), ("professional", 1250));
            }
            other => panic!("parsed as {other:?}"),
        }
        assert!(matches!(Cli::parse_from(["server", "product-types"]).command, Some(Command::ProductTypes { command: None })));
        for bad in ["-1", "12.505", "twelve"] {
            let parsed = Cli::try_parse_from(["server", "product-types", "set-price", "--code", "professional", "--monthly", bad]);
            assert!(parsed.is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(redact("postgres://portal:s3cret@db:5432/portal"), "postgres://portal:***@db:5432/portal");
        assert_eq!(redact("sqlite://data/portal.db"), "sqlite://data/portal.db");
    }
}
