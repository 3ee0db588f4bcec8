//! Half-filled forms kept in the tab's `sessionStorage`, so a reload or a lost connection
//! loses nothing. Each draft names the user it belongs to and is never shown to another;
//! signing out forgets every draft.

use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use serde::{de::DeserializeOwned, Serialize};

/// Every draft's key starts with this.
const PREFIX: &str = "portal.draft.";

#[derive(Serialize, serde::Deserialize)]
struct Stored<T> {
    owner: i64,
    value: T,
}

fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().session_storage().ok().flatten()
}

/// `name`'s draft, if `owner` saved one.
pub fn load<T: DeserializeOwned>(name: &str, owner: i64) -> Option<T> {
    let text = storage()?.get_item(&format!("{PREFIX}{name}")).ok().flatten()?;
    let bytes = STANDARD_NO_PAD.decode(text).ok()?;
    crate::wire::decode::<Stored<T>>(&bytes).filter(|d| d.owner == owner).map(|d| d.value)
}

pub fn save<T: Serialize>(name: &str, owner: i64, value: &T) {
    // In the wire format, as text: a draft of an older build that no longer decodes is dropped.
    if let (Some(s), Some(bytes)) = (storage(), crate::wire::encode(&Stored { owner, value })) {
        let _ = s.set_item(&format!("{PREFIX}{name}"), &STANDARD_NO_PAD.encode(bytes));
    }
}

pub fn clear(name: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&format!("{PREFIX}{name}"));
    }
}

/// Forgets every draft (on sign-out: the next person at this browser sees none of them).
pub fn clear_all() {
    let Some(s) = storage() else { return };
    let keys: Vec<String> = (0..s.length().unwrap_or(0)).filter_map(|i| s.key(i).ok().flatten()).filter(|k| k.starts_with(PREFIX)).collect();
    for key in keys {
        let _ = s.remove_item(&key);
    }
}
