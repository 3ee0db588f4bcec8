//! Secrets at rest (PBX API keys, client secrets): AES-256-GCM under the installation's secret
//! key, a fresh random nonce per value. The stored form is hex of `nonce || ciphertext+tag`.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

const NONCE_LEN: usize = 12;

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

    pub fn seal(&self, plain: &str) -> String {
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

    /// The plain text, or an error when the value was sealed under another key or altered.
    pub fn open(&self, sealed: &str) -> crate::Result<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let a = SecretBox::new(&[7; 32]);
        let b = SecretBox::new(&[8; 32]);
        let sealed = a.seal("kazoo-api-key-123");
        assert!(!sealed.contains("kazoo"));
        assert_eq!(a.open(&sealed).unwrap(), "kazoo-api-key-123");
        assert!(b.open(&sealed).is_err());
        // A fresh nonce each time: equal secrets do not look equal at rest.
        assert_ne!(a.seal("same"), a.seal("same"));
    }

    #[test]
    fn tampered_values_are_refused() {
        let a = SecretBox::new(&[7; 32]);
        let mut sealed = a.seal("secret").into_bytes();
        let last = sealed.len() - 1;
        sealed[last] = if sealed[last] == b'0' { b'1' } else { b'0' };
        assert!(a.open(std::str::from_utf8(&sealed).unwrap()).is_err());
        assert!(a.open("zz").is_err());
    }
}
