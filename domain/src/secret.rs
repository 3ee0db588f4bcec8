//! Secrets at rest (PBX API keys, client secrets): AES-256-GCM under the installation's secret
//! key, a fresh random nonce per value, and the record the secret belongs to as associated data
//! ([`SecretBox::seal_for`]): a ciphertext copied into another row does not decrypt there. The
//! stored form is `v2:` and hex of `nonce || ciphertext+tag`. Values sealed before binding
//! existed (plain hex, no associated data) are opened only by [`SecretBox::open_unbound`], which
//! start-up uses to re-seal them bound.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

const NONCE_LEN: usize = 12;
/// The prefix of values bound to their record.
const BOUND: &str = "v2:";

/// Seals and opens secrets with one key. Cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox { cipher: Aes256Gcm::new(key.into()) }
    }

    /// Seals `plain` for the record named by `context` (e.g. `pbx_template:42`).
    pub fn seal_for(&self, plain: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: context.as_bytes() })
            .expect("AES-GCM encryption of an in-memory value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{BOUND}{}", hex::encode(out))
    }

    /// Opens a value sealed by [`SecretBox::seal_for`] for the same `context`; a value sealed
    /// for another record, under another key, altered, or unbound is an error.
    pub fn open_for(&self, sealed: &str, context: &str) -> crate::Result<String> {
        let fail = || crate::Error::Internal("a stored secret cannot be decrypted with this installation's key for this record".into());
        let bytes = sealed.strip_prefix(BOUND).and_then(|h| hex::decode(h).ok()).ok_or_else(fail)?;
        if bytes.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: context.as_bytes() }).map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }

    /// Whether `sealed` is bound to a record (else it predates binding).
    pub fn is_bound(sealed: &str) -> bool {
        sealed.starts_with(BOUND)
    }

    /// A value sealed without associated data, as the portal did before binding (for tests of
    /// the re-sealing at start-up; nothing else seals this way).
    pub fn seal_unbound(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption of an in-memory value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        hex::encode(out)
    }

    /// Opens a value sealed without associated data (before binding), or an error when it was
    /// sealed under another key or altered. Only for re-sealing such values bound.
    pub fn open_unbound(&self, sealed: &str) -> crate::Result<String> {
        let fail = || crate::Error::Internal("a stored secret cannot be decrypted with this installation's key".into());
        let bytes = hex::decode(sealed).map_err(|_| fail())?;
        if bytes.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

/// The associated data a PBX template's secret is sealed with: it opens for that row only.
pub fn template_context(id: i64) -> String {
    format!("pbx_template:{id}")
}

impl SecretBox {
    /// A template's master secret in plain text ("" when none is stored), for the server's PBX
    /// connectors. Never send it to a browser or an API client.
    pub fn open_template(&self, template: &crate::entity::pbx_template::Model) -> crate::Result<String> {
        if template.secret_sealed.is_empty() {
            return Ok(String::new());
        }
        self.open_for(&template.secret_sealed, &template_context(template.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let a = SecretBox::new(&[7; 32]);
        let b = SecretBox::new(&[8; 32]);
        let sealed = a.seal_unbound("kazoo-api-key-123");
        assert!(!sealed.contains("kazoo"));
        assert_eq!(a.open_unbound(&sealed).unwrap(), "kazoo-api-key-123");
        assert!(b.open_unbound(&sealed).is_err());
        // A fresh nonce each time: equal secrets do not look equal at rest.
        assert_ne!(a.seal_unbound("same"), a.seal_unbound("same"));
    }

    #[test]
    fn tampered_values_are_refused() {
        let a = SecretBox::new(&[7; 32]);
        let mut sealed = a.seal_unbound("secret").into_bytes();
        let last = sealed.len() - 1;
        sealed[last] = if sealed[last] == b'0' { b'1' } else { b'0' };
        assert!(a.open_unbound(std::str::from_utf8(&sealed).unwrap()).is_err());
        assert!(a.open_unbound("zz").is_err());
    }

    #[test]
    fn bound_values_open_only_for_their_own_record() {
        let a = SecretBox::new(&[7; 32]);
        let sealed = a.seal_for("api-key", "pbx_template:1");
        assert!(SecretBox::is_bound(&sealed));
        assert_eq!(a.open_for(&sealed, "pbx_template:1").unwrap(), "api-key");
        assert!(a.open_for(&sealed, "pbx_template:2").is_err(), "copied to another row, it does not open");
        assert!(SecretBox::new(&[8; 32]).open_for(&sealed, "pbx_template:1").is_err());
        assert!(a.open_for(&a.seal_unbound("api-key"), "pbx_template:1").is_err(), "an unbound value is not accepted as bound");
        assert!(a.open_unbound(&sealed).is_err());
    }
}
