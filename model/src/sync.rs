//! A customer's user sync from its PBX as the PBX tab shows it: the state now, and recent runs.

use serde::{Deserialize, Serialize};

/// What asked for a sync.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))"))]
pub enum Reason {
    /// The customer was created with an enabled connection.
    #[cfg_attr(feature = "db", sea_orm(string_value = "created"))]
    Created,
    /// The connection was enabled.
    #[cfg_attr(feature = "db", sea_orm(string_value = "enabled"))]
    Enabled,
    /// The connection's settings (or its template's) changed.
    #[cfg_attr(feature = "db", sea_orm(string_value = "changed"))]
    Changed,
    /// The periodic re-sync.
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "schedule"))]
    Schedule,
    /// Someone pressed "Sync now".
    #[cfg_attr(feature = "db", sea_orm(string_value = "manual"))]
    Manual,
    /// A retry after a failed run.
    #[cfg_attr(feature = "db", sea_orm(string_value = "retry"))]
    Retry,
}

impl Reason {
    pub const ALL: [Reason; 6] = [Reason::Created, Reason::Enabled, Reason::Changed, Reason::Schedule, Reason::Manual, Reason::Retry];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Created => "created",
            Reason::Enabled => "enabled",
            Reason::Changed => "changed",
            Reason::Schedule => "schedule",
            Reason::Manual => "manual",
            Reason::Retry => "retry",
        }
    }

    pub fn parse(value: &str) -> Reason {
        Reason::ALL.into_iter().find(|r| r.as_str() == value).unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::Created => "Customer created",
            Reason::Enabled => "Connection enabled",
            Reason::Changed => "Settings changed",
            Reason::Schedule => "Scheduled",
            Reason::Manual => "Sync now",
            Reason::Retry => "Retry",
        }
    }
}

/// The step a running sync is at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))"))]
pub enum Phase {
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "connecting"))]
    Connecting,
    #[cfg_attr(feature = "db", sea_orm(string_value = "listing"))]
    Listing,
    #[cfg_attr(feature = "db", sea_orm(string_value = "saving"))]
    Saving,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Listing => "listing",
            Phase::Saving => "saving",
        }
    }

    pub fn parse(value: &str) -> Phase {
        [Phase::Connecting, Phase::Listing, Phase::Saving].into_iter().find(|p| p.as_str() == value).unwrap_or_default()
    }
}

/// How a run ended (or that it has not yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))"))]
pub enum Outcome {
    #[cfg_attr(feature = "db", sea_orm(string_value = "running"))]
    Running,
    #[cfg_attr(feature = "db", sea_orm(string_value = "succeeded"))]
    Succeeded,
    #[cfg_attr(feature = "db", sea_orm(string_value = "failed"))]
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Outcome {
        match value {
            "running" => Outcome::Running,
            "succeeded" => Outcome::Succeeded,
            _ => Outcome::Failed,
        }
    }
}

/// What a run did to the customer's users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Users the PBX listed.
    pub found: u32,
    /// New users imported.
    pub added: u32,
    /// Existing users whose name, email or PBX link changed (or that got the Agent add-on).
    pub updated: u32,
    pub unchanged: u32,
    /// Users the PBX listed that could not be stored (e.g. no email address).
    pub failed: u32,
    /// Imported users without roles that the PBX no longer lists.
    pub removed: u32,
    /// Sub-accounts searched besides the main account.
    pub sub_accounts: u32,
}

impl Counts {
    /// "36 users found: 30 added, 2 updated, 4 unchanged", naming only non-zero counts.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (n, label) in [
            (self.added, "added"),
            (self.updated, "updated"),
            (self.unchanged, "unchanged"),
            (self.failed, "failed"),
            (self.removed, "removed"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        let found = format!("{} {} found", self.found, if self.found == 1 { "user" } else { "users" });
        if parts.is_empty() { found } else { format!("{found}: {}", parts.join(", ")) }
    }
}

/// One run, newest first in [`SyncStatus::runs`]. Times are in the reseller's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    pub id: i64,
    pub reason: Reason,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// How long it took, in milliseconds (so far, while running).
    pub duration_ms: i64,
    pub outcome: Outcome,
    pub phase: Phase,
    pub counts: Counts,
    /// Why it failed, or what went wrong with single users.
    pub error: String,
}

/// The sync state of one connection, summarised for the PBX tab's status line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    /// The connection is disabled: nothing is synced until it is enabled.
    Disabled,
    /// Enabled, but no sync has run yet (one is waiting).
    NeverSynced,
    /// A sync is running now.
    Syncing { phase: Phase, found: u32 },
    /// The last run succeeded.
    Synced { at: String },
    /// The last run failed; another is scheduled.
    Failed { at: String, error: String },
}

/// Everything the PBX tab shows about syncing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// When the next run is due (reseller's time zone), if one is scheduled and none is running.
    pub next_at: Option<String>,
    /// The next run is due already and waits for a worker to pick it up.
    pub due_now: bool,
    /// Whether "Sync now" can be pressed (enabled connection, customer not terminated, nothing
    /// running).
    pub can_sync_now: bool,
    /// Recent runs, newest first.
    pub runs: Vec<SyncRun>,
}

impl SyncStatus {
    /// Whether the tab should keep refreshing quickly (a run is going or about to start).
    pub fn is_busy(&self) -> bool {
        matches!(self.state, SyncState::Syncing { .. }) || self.due_now
    }
}
