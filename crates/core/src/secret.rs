//! Secret values: tokens, header values, keys. A [`Secret`] cannot be printed (its `Debug` is
//! redacted and it has no `Display`), cannot be serialized (no `Serialize`), and its bytes are
//! zeroized when dropped. Code that needs the value calls [`Secret::expose`] at the last moment.
//! Values that reach code Patchbay does not control, which may log them (a URL's query
//! credential), are remembered and taken out of every log line ([`redact_remembered`]).

use std::borrow::Cow;
use std::sync::{PoisonError, RwLock};

use zeroize::Zeroizing;

/// Values the logs must never show though they reach code that logs them (a URL's query
/// credential, quoted by the HTTP client in its own log events). Shorter ones are not kept:
/// replacing a three-letter string everywhere would garble the logs and hide nothing.
static REMEMBERED: RwLock<Vec<Zeroizing<String>>> = RwLock::new(Vec::new());
const REMEMBERED_MIN_LEN: usize = 6;

/// Adds `value` to what [`redact_remembered`] takes out.
pub fn remember_for_redaction(value: &str) {
    if value.len() < REMEMBERED_MIN_LEN {
        return;
    }
    let mut remembered = REMEMBERED.write().unwrap_or_else(PoisonError::into_inner);
    if !remembered.iter().any(|known| known.as_str() == value) {
        remembered.push(Zeroizing::new(value.to_owned()));
    }
}

/// `text` with every remembered value replaced by `****`: the front ends pass each log line
/// through it.
pub fn redact_remembered(text: &str) -> Cow<'_, str> {
    let remembered = REMEMBERED.read().unwrap_or_else(PoisonError::into_inner);
    let mut text = Cow::Borrowed(text);
    for value in remembered.iter() {
        if text.contains(value.as_str()) {
            text = Cow::Owned(text.replace(value.as_str(), "****"));
        }
    }
    text
}

/// A secret string. Secrets flow from the user into Rust and out to servers, never back to a UI.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The plain value. Call only where the value leaves the process (an HTTP header) or is
    /// encrypted; never log or format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("sentinel-value-123");
        let printed = format!("{secret:?} {:?}", vec![secret.clone()]);
        assert!(
            !printed.contains("sentinel"),
            "Debug output leaked the secret: {printed}"
        );
    }
}
