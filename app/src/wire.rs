//! How data travels between the server and the browser: [postcard], a compact binary format
//! driven by the same serde derives, for every server function's arguments, answers and errors,
//! for each resource the server renders into the page for hydration, and for drafts.
//!
//! JSON is for people and other programs (the REST API keeps it). Inside the portal it cost the
//! browser's bundle serde_json's parser and, per type, a field-by-name deserialiser: the largest
//! shared piece of the wasm (BENCHMARKS.md). Postcard reads fields in order, so each type's
//! decoder is a few reads and the parser is gone.
//!
//! The rule for types that cross: fields are read in declaration order, so server and browser
//! must be built from the same source (they are: one binary serves its own bundle), and no type
//! here may rely on self-describing input (`#[serde(untagged)]`, `flatten`, `skip_serializing_if`).
//!
//! [postcard]: https://docs.rs/postcard

use leptos::prelude::*;
use leptos::server::codee::{binary::PostcardCodec, Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// The codec of hydrated resources.
pub type Codec = PostcardCodec;

/// A resource the server renders into the page and the browser hydrates from, in [`Codec`].
pub type Loaded<T> = Resource<T, Codec>;

/// [`Resource::new`], in the portal's codec.
#[track_caller]
pub fn resource<T, S, Fut>(source: impl Fn() -> S + Send + Sync + 'static, fetcher: impl Fn(S) -> Fut + Send + Sync + 'static) -> Loaded<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// `value` as bytes, for storage the portal reads back itself.
pub fn encode<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    <Codec as Encoder<T>>::encode(value).ok()
}

/// What [`encode`] wrote, if it is still a `T`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    <Codec as Decoder<T>>::decode(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppError;
    use model::{customer::GridQuery, FieldErrors};

    #[test]
    fn what_is_encoded_decodes_to_the_same_value() {
        let query = GridQuery::from_pairs([("q", "Müller & 100%_"), ("sort", "created"), ("dir", "desc"), ("page", "3")]);
        assert_eq!(decode::<GridQuery>(&encode(&query).unwrap()), Some(query));
        let mut errors = FieldErrors::new();
        errors.check("name", Err("Enter a name.".into()));
        for error in [AppError::Invalid(errors), AppError::Internal { request_id: "req-1".into() }, AppError::NotFound] {
            assert_eq!(decode::<AppError>(&encode(&error).unwrap()), Some(error));
        }
    }

    #[test]
    fn bytes_of_another_type_are_refused_not_misread() {
        assert_eq!(decode::<AppError>(b"<html>502 Bad Gateway</html>"), None);
        assert_eq!(decode::<AppError>(&[]), None);
    }
}
