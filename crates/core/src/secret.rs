//! Secret values: tokens, header values, keys. A [`Secret`] cannot be printed (its `Debug` is
//! redacted and it has no `Display`), cannot be serialized (no `Serialize`), and its bytes are
//! zeroized when dropped. Code that needs the value calls [`Secret::expose`] at the last moment.

use zeroize::Zeroizing;

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
