//! Building URLs with query strings, for links that carry page state.

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` pass through).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `?k=v&…` from pairs, or an empty string when there are none.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={}", encode_query_value(&v))).collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("/customers?q=a b&page=2"), "/customers%3Fq%3Da%20b%26page%3D2");
        assert_eq!(encode_query_value("Zoë"), "Zo%C3%AB");
    }

    #[test]
    fn query_strings_are_empty_without_pairs() {
        assert_eq!(query_string(Vec::new()), "");
        assert_eq!(query_string([("q", "a&b".to_string()), ("page", "2".into())]), "?q=a%26b&page=2");
    }
}
