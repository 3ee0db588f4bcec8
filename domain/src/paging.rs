//! Pages of a list for the REST API: by page number (`pageIndex`, with the total) or by keyset
//! (an opaque cursor naming the last item seen, so a page costs the same wherever it is and a
//! client that follows `nextCursor` sees every item once even while items come and go).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Where a requested page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// Page `n`, counting from 0 (skips `n × size` items).
    Index(u64),
    /// The items after the one a cursor names.
    After(Cursor),
}

/// A requested page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub at: At,
    pub size: u64,
}

impl PageRequest {
    /// The rows to skip before the page (none after a cursor; bounded so SQL can bind it).
    pub fn offset(&self) -> u64 {
        match self.at {
            At::Index(n) => std::cmp::min(n.saturating_mul(self.size), i64::MAX as u64),
            At::After(_) => 0,
        }
    }

    /// The cursor the page starts after, if it is a keyset page.
    pub fn after(&self) -> Option<&Cursor> {
        match &self.at {
            At::After(c) => Some(c),
            At::Index(_) => None,
        }
    }
}

/// A page: its items, the matching total (for page-number requests only: counting costs as much
/// as the list is long) and the cursor of the next page, if there are more items.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: Option<u64>,
    pub next: Option<Cursor>,
}

/// The sort key of the last item of a page, for one kind of list. Opaque to clients: base64 of
/// the kind and the key, so a cursor of one list is refused by another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    kind: &'static str,
    key: Vec<String>,
}

/// The longest cursor accepted (a key holds at most a few hundred characters).
const MAX_CURSOR: usize = 2_048;

impl Cursor {
    pub(crate) fn new(kind: &'static str, key: Vec<String>) -> Cursor {
        Cursor { kind, key }
    }

    /// The key's parts, in sort order.
    pub(crate) fn key(&self) -> &[String] {
        &self.key
    }

    /// The text a client sends back.
    pub fn encode(&self) -> String {
        let body = serde_json::json!([self.kind, self.key]).to_string();
        URL_SAFE_NO_PAD.encode(body)
    }

    /// The cursor `text` for a list of `kind` with `parts` key parts; `None` for anything a
    /// list of that kind did not give out (never a panic, whatever the text).
    pub fn decode(kind: &'static str, parts: usize, text: &str) -> Option<Cursor> {
        if text.len() > MAX_CURSOR {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let (tag, key): (String, Vec<String>) = serde_json::from_slice(&bytes).ok()?;
        (tag == kind && key.len() == parts).then_some(Cursor { kind, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_another_lists_or_a_forged_one() {
        let c = Cursor::new("customers", vec!["acme \"ltd\" ✓".into()]);
        let text = c.encode();
        assert!(text.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'), "{text}");
        assert_eq!(Cursor::decode("customers", 1, &text).unwrap(), c);
        for bad in [
            Cursor::decode("users", 2, &text),
            Cursor::decode("customers", 2, &text),
            Cursor::decode("customers", 1, "not base64!"),
            Cursor::decode("customers", 1, &URL_SAFE_NO_PAD.encode("{\"a\":1}")),
            Cursor::decode("customers", 1, &"A".repeat(5000)),
        ] {
            assert!(bad.is_none(), "{bad:?}");
        }
    }

    #[test]
    fn only_page_numbers_skip_rows() {
        let after = Cursor::new("customers", vec!["x".into()]);
        assert_eq!(PageRequest { at: At::Index(3), size: 50 }.offset(), 150);
        assert_eq!(PageRequest { at: At::Index(u64::MAX), size: 1000 }.offset(), i64::MAX as u64);
        assert_eq!(PageRequest { at: At::After(after), size: 50 }.offset(), 0);
    }
}
