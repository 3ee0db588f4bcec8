//! PBX platforms, templates (a reseller's master settings per platform) and a customer's
//! connection through one of them: the fields each platform needs and their rules.

use crate::field::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))"))]
pub enum PbxKind {
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "kazoo"))]
    Kazoo,
    #[cfg_attr(feature = "db", sea_orm(string_value = "3cx"))]
    ThreeCx,
    #[cfg_attr(feature = "db", sea_orm(string_value = "teams"))]
    Teams,
}

impl PbxKind {
    pub const ALL: [PbxKind; 3] = [PbxKind::Kazoo, PbxKind::ThreeCx, PbxKind::Teams];

    pub fn as_str(self) -> &'static str {
        match self {
            PbxKind::Kazoo => "kazoo",
            PbxKind::ThreeCx => "3cx",
            PbxKind::Teams => "teams",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PbxKind::Kazoo => "Kazoo",
            PbxKind::ThreeCx => "3CX",
            PbxKind::Teams => "Microsoft Teams",
        }
    }

    pub fn parse(value: &str) -> Option<PbxKind> {
        PbxKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The label of the template's master secret for this platform.
    pub fn secret_label(self) -> &'static str {
        match self {
            PbxKind::Kazoo => "API Key",
            PbxKind::ThreeCx | PbxKind::Teams => "Client Secret",
        }
    }
}

pub const NAME_MAX: usize = 100;
pub const URL_MAX: usize = 500;
pub const CLIENT_ID_MAX: usize = 200;
pub const SECRET_MAX: usize = 500;
pub const ACCOUNT_ID_MAX: usize = 100;

/// A template as the browser edits it. `secret` is write-only: empty on edit keeps the stored one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateForm {
    pub name: String,
    pub kind: PbxKind,
    /// Kazoo: REST API URL; 3CX: server URL; Teams: the Microsoft Graph URL, optional (empty:
    /// Microsoft's public cloud; another value reaches a national cloud).
    pub api_url: String,
    /// Kazoo: WebSocket URL; Teams: the sign-in (authority) URL, optional (empty: Microsoft's
    /// public cloud).
    pub websocket_url: String,
    /// 3CX and Teams.
    pub client_id: String,
    /// Teams only: the directory (tenant) id the app is registered in.
    pub directory_tenant_id: String,
    pub secret: String,
    pub is_default: bool,
}

/// What the PBX Templates page opens with: the templates and whether the user may change them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatesPage {
    pub templates: Vec<TemplateSummary>,
    pub can_change: bool,
}

/// A template as the browser sees it: never the secret, only whether one is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSummary {
    pub id: i64,
    pub name: String,
    pub kind: PbxKind,
    pub api_url: String,
    pub websocket_url: String,
    pub client_id: String,
    pub directory_tenant_id: String,
    pub is_default: bool,
    pub has_secret: bool,
    /// How many customers connect through it (a template in use cannot be deleted).
    pub customers: u64,
    pub version: i32,
}

/// Why template `name`, used by `customers` customers, cannot be deleted.
pub fn template_in_use(name: &str, customers: u64) -> String {
    let whom = if customers == 1 { "1 customer".to_owned() } else { format!("{customers} customers") };
    format!("\u{201c}{name}\u{201d} is used by {whom} and cannot be deleted. Move them to another template first.")
}

/// An absolute http(s) URL with a host, at most [`URL_MAX`] characters.
pub fn url(label: &str, value: &str) -> Result<(), String> {
    let value = value.trim();
    required_text(label, value, URL_MAX)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .or_else(|| value.strip_prefix("wss://"))
        .or_else(|| value.strip_prefix("ws://"))
        .ok_or_else(|| format!("{label} must start with https:// (or http://)."))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.contains('@') {
        // Credentials belong in the secret field, which is encrypted; a URL is shown to users.
        return Err(format!("{label} must not contain a user name or password; put the key in its own field."));
    }
    if host.is_empty() || host.chars().any(|c| c.is_whitespace()) {
        return Err(format!("{label} needs a host name, like https://pbx.example.com."));
    }
    Ok(())
}

/// A GUID such as a Microsoft Entra directory (tenant) id.
pub fn guid(label: &str, value: &str) -> Result<(), String> {
    let value = value.trim();
    let groups: Vec<&str> = value.split('-').collect();
    let ok = groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if ok { Ok(()) } else { Err(format!("{label} must be a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47.")) }
}

impl TemplateForm {
    /// Every rule of a template; `creating` makes the secret required.
    pub fn validate(&self, creating: bool) -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.check("name", required_text("Name", &self.name, NAME_MAX));
        let secret_label = self.kind.secret_label();
        if creating || !self.secret.is_empty() {
            errors.check("secret", required_text(secret_label, &self.secret, SECRET_MAX));
        }
        match self.kind {
            PbxKind::Kazoo => {
                errors.check("api_url", url("REST API URL", &self.api_url));
                errors.check("websocket_url", url("WebSocket URL", &self.websocket_url));
            }
            PbxKind::ThreeCx => {
                errors.check("api_url", url("Server URL", &self.api_url));
                errors.check("client_id", required_text("Client ID", &self.client_id, CLIENT_ID_MAX));
            }
            PbxKind::Teams => {
                errors.check("api_url", optional_url("Microsoft Graph URL", &self.api_url));
                errors.check("websocket_url", optional_url("Sign-in URL", &self.websocket_url));
                errors.check("directory_tenant_id", guid("Directory Tenant ID", &self.directory_tenant_id));
                errors.check("client_id", required_text("Client ID", &self.client_id, CLIENT_ID_MAX));
            }
        }
        errors
    }
}

/// Empty, or a [`url`].
fn optional_url(label: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() { Ok(()) } else { url(label, value) }
}

/// The customer-specific side of a PBX connection, as the wizard and the PBX tab edit it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionForm {
    pub template_id: Option<i64>,
    /// Kazoo: the customer's account id on the PBX (32 hexadecimal characters).
    pub account_id: String,
    /// Teams: the customer's directory (tenant) id.
    pub directory_tenant_id: String,
    /// Monitor every sub-account too. Only settable when the customer is created.
    pub auto_provision_sub_accounts: bool,
    /// Agents found on the PBX get the Agent add-on automatically.
    pub auto_agent_addon: bool,
    /// Store the connection without connecting or importing users until it is enabled.
    pub create_disabled: bool,
}

impl ConnectionForm {
    /// The rules for a connection through a template of `kind` (`None`: no template chosen).
    pub fn validate(&self, kind: Option<PbxKind>) -> FieldErrors {
        let mut errors = FieldErrors::new();
        match kind {
            None => errors.add("template_id", "Choose a PBX template."),
            Some(PbxKind::Kazoo) => {
                let id = self.account_id.trim();
                if id.is_empty() {
                    errors.add("account_id", "Account ID is required.");
                } else if id.len() != 32 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                    errors.add("account_id", "Account ID is the 32-character hexadecimal id of the customer's Kazoo account.");
                }
            }
            Some(PbxKind::ThreeCx) => {}
            Some(PbxKind::Teams) => errors.check("directory_tenant_id", guid("Directory Tenant ID", &self.directory_tenant_id)),
        }
        errors
    }
}

/// A template offered in the wizard's PBX step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateOption {
    pub id: i64,
    pub name: String,
    pub kind: PbxKind,
    pub is_default: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(url("URL", "https://pbx.example.com:8443/v2").is_ok());
        assert!(url("URL", "wss://pbx.example.com:5443").is_ok());
        assert!(url("URL", "pbx.example.com").unwrap_err().contains("must start with https://"));
        assert!(url("URL", "https:///v2").unwrap_err().contains("host"));
        assert!(url("URL", "").unwrap_err().contains("required"));
        assert!(url("URL", "https://admin:secret@pbx.example.com").unwrap_err().contains("must not contain a user name"));
        assert!(url("URL", &format!("https://{}.com", "a".repeat(500))).unwrap_err().contains("at most 500"));
    }

    #[test]
    fn template_rules_follow_the_platform() {
        let kazoo = TemplateForm {
            name: "Main Kazoo".into(),
            api_url: "https://kazoo.example.com:8443".into(),
            websocket_url: "wss://kazoo.example.com:5443".into(),
            secret: "k".into(),
            ..TemplateForm::default()
        };
        assert!(kazoo.validate(true).is_empty());
        let no_secret = TemplateForm { secret: String::new(), ..kazoo.clone() };
        assert_eq!(no_secret.validate(true).get("secret"), Some("API Key is required."));
        assert!(no_secret.validate(false).is_empty(), "editing keeps the stored secret");
        let teams = TemplateForm { kind: PbxKind::Teams, directory_tenant_id: "nope".into(), ..kazoo };
        let errors = teams.validate(true);
        assert!(errors.get("directory_tenant_id").unwrap().contains("GUID"));
        assert_eq!(errors.get("client_id"), Some("Client ID is required."));
        assert!(errors.get("api_url").is_none() && errors.get("websocket_url").is_none());
    }

    #[test]
    fn teams_urls_are_optional_but_must_be_urls_when_given() {
        let teams = TemplateForm {
            name: "Contoso Teams".into(),
            kind: PbxKind::Teams,
            directory_tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "app".into(),
            secret: "s".into(),
            ..TemplateForm::default()
        };
        assert!(teams.validate(true).is_empty(), "empty: the public cloud");
        let national = TemplateForm {
            api_url: "https://graph.microsoft.us".into(),
            websocket_url: "https://login.microsoftonline.us".into(),
            ..teams.clone()
        };
        assert!(national.validate(true).is_empty());
        let wrong = TemplateForm { api_url: "graph.microsoft.us".into(), websocket_url: "https://".into(), ..teams };
        let errors = wrong.validate(true);
        assert_eq!(errors.get("api_url"), Some("Microsoft Graph URL must start with https:// (or http://)."));
        assert_eq!(errors.get("websocket_url"), Some("Sign-in URL needs a host name, like https://pbx.example.com."));
    }

    #[test]
    fn connection_rules_follow_the_template() {
        let form = ConnectionForm::default();
        assert_eq!(form.validate(None).get("template_id"), Some("Choose a PBX template."));
        assert_eq!(form.validate(Some(PbxKind::Kazoo)).get("account_id"), Some("Account ID is required."));
        let form = ConnectionForm { account_id: "0123456789abcdef0123456789ABCDEF".into(), ..form };
        assert!(form.validate(Some(PbxKind::Kazoo)).is_empty());
        assert!(form.validate(Some(PbxKind::ThreeCx)).is_empty());
        assert!(form.validate(Some(PbxKind::Teams)).get("directory_tenant_id").is_some());
    }
}
