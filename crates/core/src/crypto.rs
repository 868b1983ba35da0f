//! AES-256-GCM sealing with associated data, and the one ciphertext format Patchbay writes.
//!
//! A sealed blob is `FORMAT_V1 || nonce (12 bytes) || ciphertext || tag (16 bytes)`. Every seal
//! draws a fresh random 96-bit nonce from the OS. The associated data names what the blob is
//! (workspace, connector, field, format version), so a blob copied to another row, flipped or
//! truncated fails to open with [`CryptoError`] instead of yielding someone else's secret.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

/// Version byte at the front of every blob, so the format can change without guessing.
pub const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("ciphertext is too short ({0} bytes): it was truncated or is not a Patchbay secret")]
    Truncated(usize),
    #[error("ciphertext has unknown format version {0}")]
    UnknownFormat(u8),
    #[error(
        "ciphertext failed authentication: it was modified, moved from another record, or \
         sealed with a different key"
    )]
    Authentication,
    #[error("a key must be exactly 32 bytes, got {0}")]
    KeyLength(usize),
}

/// A 256-bit key held in zeroizing memory. `Debug` is redacted.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; 32]>);

impl Key {
    /// A fresh random key from the OS generator.
    pub fn generate() -> Self {
        let key = Aes256Gcm::generate_key(OsRng);
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&key);
        Self(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != 32 {
            return Err(CryptoError::KeyLength(bytes.len()));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(bytes);
        Ok(Self(key))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Encrypts `plaintext` bound to `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(self.0.as_ref().into());
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // Encryption with a valid key and in-memory buffers cannot fail; aes-gcm only errors on
        // messages longer than 64 GiB, which no caller produces.
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        blob.push(FORMAT_V1);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        blob
    }

    /// Decrypts a blob made by [`Key::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let Some((&version, rest)) = blob.split_first() else {
            return Err(CryptoError::Truncated(0));
        };
        if version != FORMAT_V1 {
            return Err(CryptoError::UnknownFormat(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Truncated(blob.len()));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(self.0.as_ref().into());
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Authentication)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Associated data for a secret sealed before owners were general (schema < 3): binds it to its
/// workspace, connector and field. Only opened, never written any more.
pub fn connector_secret_aad(workspace_id: &str, connector_id: &str, field: &str) -> Vec<u8> {
    format!("patchbay/secret/v{FORMAT_V1}\0{workspace_id}\0{connector_id}\0{field}").into_bytes()
}

/// Associated data for a secret: binds it to its workspace, its owner's kind and id, and its
/// field, so a ciphertext moved to any other place (another owner, even of another kind with
/// the same id) fails to open.
pub fn owned_secret_aad(
    workspace_id: &str,
    owner_kind: &str,
    owner_id: &str,
    field: &str,
) -> Vec<u8> {
    format!("patchbay/secret/v2\0{workspace_id}\0{owner_kind}\0{owner_id}\0{field}").into_bytes()
}

/// Associated data for a workspace data key wrapped by the master key.
pub fn workspace_key_aad(workspace_id: &str) -> Vec<u8> {
    format!("patchbay/workspace-key/v{FORMAT_V1}\0{workspace_id}").into_bytes()
}

/// Associated data for the check value that proves the keychain holds the right master key.
pub const KEY_CHECK_AAD: &[u8] = b"patchbay/master-key-check/v1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = Key::generate();
        let blob = key.seal(b"aad", b"hello");
        assert_eq!(
            key.open(b"aad", &blob).as_deref().map(Vec::as_slice),
            Ok(&b"hello"[..])
        );
    }

    #[test]
    fn nonces_are_fresh() {
        let key = Key::generate();
        assert_ne!(
            key.seal(b"a", b"same"),
            key.seal(b"a", b"same"),
            "each seal needs a new nonce"
        );
    }

    #[test]
    fn swapped_aad_fails() {
        let key = Key::generate();
        let blob = key.seal(
            &owned_secret_aad("w1", "connector", "c1", "token"),
            b"secret",
        );
        for aad in [
            owned_secret_aad("w1", "connector", "c2", "token"),
            owned_secret_aad("w2", "connector", "c1", "token"),
            owned_secret_aad("w1", "connector", "c1", "header:X-Api-Key"),
            owned_secret_aad("w1", "provider", "c1", "token"),
            connector_secret_aad("w1", "c1", "token"),
        ] {
            assert_eq!(
                key.open(&aad, &blob).err(),
                Some(CryptoError::Authentication),
                "a ciphertext moved to another record (or owner kind) must not decrypt"
            );
        }
        let legacy = key.seal(&connector_secret_aad("w1", "c1", "token"), b"secret");
        assert_eq!(
            key.open(&owned_secret_aad("w1", "connector", "c1", "token"), &legacy)
                .err(),
            Some(CryptoError::Authentication),
            "the two layouts are distinct: a legacy blob opens only with the legacy AAD"
        );
    }

    #[test]
    fn flipped_bits_fail_everywhere() {
        let key = Key::generate();
        let blob = key.seal(b"aad", b"some secret value");
        for index in 1..blob.len() {
            let mut tampered = blob.clone();
            tampered[index] ^= 0x01;
            assert_eq!(
                key.open(b"aad", &tampered).err(),
                Some(CryptoError::Authentication),
                "flipping byte {index} must be detected"
            );
        }
        let mut wrong_version = blob.clone();
        wrong_version[0] = 9;
        assert_eq!(
            key.open(b"aad", &wrong_version).err(),
            Some(CryptoError::UnknownFormat(9))
        );
    }

    #[test]
    fn truncation_fails() {
        let key = Key::generate();
        let blob = key.seal(b"aad", b"some secret value");
        for length in 0..blob.len() {
            assert!(
                key.open(b"aad", &blob[..length]).is_err(),
                "truncated to {length} must fail"
            );
        }
    }

    #[test]
    fn other_key_fails() {
        let blob = Key::generate().seal(b"aad", b"x");
        assert_eq!(
            Key::generate().open(b"aad", &blob).err(),
            Some(CryptoError::Authentication)
        );
    }

    #[test]
    fn key_debug_is_redacted() {
        let key = Key::from_bytes(&[7u8; 32]).map_err(|e| e.to_string());
        assert_eq!(format!("{key:?}"), "Ok(Key(<redacted>))");
    }
}
