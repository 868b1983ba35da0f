//! Step-up authorization (MCP authorization, "scope challenge handling"; RFC 6750 §3.1): a
//! server that refuses a request with `403` and `error="insufficient_scope"` names the scope the
//! request needs. Signing in again then asks for the union of the scopes the grant holds and the
//! ones the server named (SEP-2350: challenged scopes add to what was asked before, they never
//! replace it), so the tools that worked keep working.
//!
//! No loop: a scope the grant already holds (the last sign-in asked for it and the token
//! response did not say otherwise) or one the last re-authentication asked for and the server
//! did not grant is never asked for again by itself ([`Verdict::NotGranted`]): the person is
//! told the server did not grant it, and may still choose to re-authenticate.
//!
//! Why not rmcp's `AuthorizationManager::request_scope_upgrade`: it unions the scopes one
//! manager obtained during its lifetime and counts attempts in memory, while each Patchbay
//! sign-in starts a fresh manager (the grant is sealed in the store in between, and the CLI is a
//! new process each time). The union is therefore computed here from the stored grant, with
//! rmcp's rules (whitespace-separated, first-seen order, no duplicates), and handed to rmcp as the
//! sign-in's explicit scopes, to which rmcp still adds `offline_access` when it is offered. The
//! cap lives in the store (the connector's step-up state), so it holds across processes.

use url::Url;

use super::{Grant, Registration};

/// Scopes as a list: whitespace-separated (RFC 6749 §3.3), first-seen order, no duplicates.
pub fn scopes(text: &str) -> Vec<String> {
    union(&[], text)
}

/// `held` followed by the scopes of `required` it lacks.
pub fn union(held: &[String], required: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::with_capacity(held.len() + 1);
    for scope in held
        .iter()
        .map(String::as_str)
        .chain(required.split_whitespace())
    {
        if !all.iter().any(|known| known == scope) {
            all.push(scope.to_owned());
        }
    }
    all
}

/// The scopes of `required` that are not in `held`.
pub fn missing(required: &str, held: &[String]) -> Vec<String> {
    scopes(required)
        .into_iter()
        .filter(|scope| !held.contains(scope))
        .collect()
}

/// The scopes a grant holds, as rmcp recorded them: the token response's `scope`, or, when the
/// response named none (RFC 6749 §5.1: then it granted what was asked), the scopes requested.
/// Empty when unreadable.
pub fn granted(grant: &Grant) -> Vec<String> {
    grant
        .to_stored()
        .map(|stored| stored.granted_scopes)
        .unwrap_or_default()
}

/// What a refusal for lack of scope means for a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signing in again, asking for the grant's scopes and `required`, may help.
    SignInAgain { required: String },
    /// Every scope in `required` was asked for already, at the last sign-in or re-authentication,
    /// and the server did not grant it (or granted it and still refuses): asking again would ask
    /// for the same and loop, so Patchbay does not.
    NotGranted { required: String },
    /// The credentials are not a person's sign-in (an access token, or a machine client): they
    /// must be given the scope where they were issued.
    NotSignedIn { required: String },
    /// The server named no scope: there is nothing to ask for.
    Unnamed,
}

impl Verdict {
    /// Judges a refusal that named `required` (space-separated), for a connector whose OAuth
    /// grant is `grant` (`None`: not OAuth) and whose last re-authentication was refused the
    /// scopes `refused`.
    pub fn judge(required: Option<&str>, grant: Option<&Grant>, refused: Option<&str>) -> Self {
        let Some(required) = required.filter(|text| !text.trim().is_empty()) else {
            return Self::Unnamed;
        };
        let required = scopes(required).join(" ");
        let Some(grant) = grant else {
            return Self::NotSignedIn { required };
        };
        let machine = grant
            .registration()
            .ok()
            .flatten()
            .is_some_and(|registration| registration.is_machine());
        if machine {
            return Self::NotSignedIn { required };
        }
        let asked = union(&granted(grant), refused.unwrap_or_default());
        if missing(&required, &asked).is_empty() {
            Self::NotGranted { required }
        } else {
            Self::SignInAgain { required }
        }
    }

    /// The scopes the server named, if it named any.
    pub fn required(&self) -> Option<&str> {
        match self {
            Self::SignInAgain { required }
            | Self::NotGranted { required }
            | Self::NotSignedIn { required } => Some(required),
            Self::Unnamed => None,
        }
    }

    /// Whether new credentials are what the connector needs (its status: needs
    /// authentication); otherwise asking again would not help (its status: error).
    pub fn needs_auth(&self) -> bool {
        matches!(self, Self::SignInAgain { .. } | Self::NotSignedIn { .. })
    }

    /// What happened, in one line.
    pub fn detail(&self) -> String {
        match self.required() {
            Some(required) => format!("needs more permissions: scope {required}"),
            None => "the server refused for lack of permissions without naming a scope".into(),
        }
    }

    /// What to do about it, in one line.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::SignInAgain { .. } => "re-authenticate to grant them",
            Self::NotGranted { .. } => {
                "the server did not grant it when Patchbay asked at the last sign-in, so Patchbay \
                 will not ask again by itself; check the account's permissions with the server's \
                 administrator"
            }
            Self::NotSignedIn { .. } => {
                "give the connector's credentials that scope where they were issued (a new access \
                 token, or the machine client's permissions at the authorization server)"
            }
            Self::Unnamed => "check the account's permissions on the server",
        }
    }

    /// `detail — hint`: the connector's last error.
    pub fn message(&self) -> String {
        format!("{} — {}", self.detail(), self.hint())
    }
}

/// Everything signing in again to a stored connector needs.
#[derive(Debug, Clone)]
pub struct Reauthentication {
    pub server_url: Url,
    /// The client registration kept with the grant: a pre-registered client is reused with the
    /// authorization server it belongs to (see [`super::sign_in::sign_in_reusing`]).
    pub previous: Option<Registration>,
    /// The scopes beyond the grant's that this sign-in asks for: the recorded step-up need, and
    /// scopes the server did not grant last time (a person re-authenticating on purpose may try
    /// again). `None`: no step-up.
    pub required: Option<String>,
    /// What to ask for: with `required`, the union of the grant's scopes and `required`; empty
    /// without (the usual selection: the server's challenge, else its metadata).
    pub scopes: Vec<String>,
}

impl Reauthentication {
    /// The scopes of [`Self::required`] a new grant does not hold. Known only when the token
    /// response names its scopes; otherwise rmcp takes the request as granted in full and a
    /// refusal shows at the next request ([`Verdict::NotGranted`]).
    pub fn not_granted(&self, grant: &Grant) -> Vec<String> {
        self.required
            .as_deref()
            .map(|required| missing(required, &granted(grant)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::RegistrationMethod;
    use crate::secret::Secret;
    use rmcp::transport::auth::StoredCredentials;

    fn grant(granted: &[&str], machine: bool) -> Result<Grant, crate::oauth::OAuthError> {
        let credentials = StoredCredentials::new(
            "client".into(),
            None,
            granted.iter().map(|scope| (*scope).to_owned()).collect(),
            Some(1),
        );
        let registration = Registration {
            client_id: "client".into(),
            client_secret: machine.then(|| Secret::new("s")),
            signing_key: None,
            issuer: Some("https://auth.example.com".into()),
            method: if machine {
                RegistrationMethod::ClientCredentials
            } else {
                RegistrationMethod::Dynamic
            },
            redirect_uri: String::new(),
            scopes: Vec::new(),
        };
        Grant::new(&credentials, Some(&registration))
    }

    #[test]
    fn the_union_keeps_what_is_held_first_and_adds_each_new_scope_once() {
        let held = vec!["files:read".to_owned(), "profile".to_owned()];
        assert_eq!(
            union(&held, "  files:write profile\tfiles:write "),
            ["files:read", "profile", "files:write"],
            "held scopes first, new ones once, in the server's order"
        );
        assert_eq!(missing("files:read files:write", &held), ["files:write"]);
        assert!(scopes("  ").is_empty());
    }

    #[test]
    fn a_scope_the_grant_lacks_asks_for_a_sign_in() -> Result<(), crate::oauth::OAuthError> {
        let grant = grant(&["files:read"], false)?;
        assert_eq!(
            Verdict::judge(Some("files:write"), Some(&grant), None),
            Verdict::SignInAgain {
                required: "files:write".into()
            }
        );
        assert_eq!(
            Verdict::judge(Some("files:write"), Some(&grant), Some("admin")),
            Verdict::SignInAgain {
                required: "files:write".into()
            },
            "another scope's refusal does not stop this one"
        );
        Ok(())
    }

    #[test]
    fn a_scope_already_asked_for_is_not_asked_for_again() -> Result<(), crate::oauth::OAuthError> {
        let stepped_up = grant(&["files:read", "files:write"], false)?;
        let verdict = Verdict::judge(Some("files:write"), Some(&stepped_up), None);
        assert_eq!(
            verdict,
            Verdict::NotGranted {
                required: "files:write".into()
            },
            "granted at the last sign-in and still refused: signing in again would loop"
        );
        assert!(
            !verdict.needs_auth(),
            "and the connector is not sent to sign in"
        );
        assert!(verdict.message().contains("did not grant"), "{verdict:?}");

        let narrowed = grant(&["files:read"], false)?;
        assert_eq!(
            Verdict::judge(Some("files:write"), Some(&narrowed), Some("files:write")),
            Verdict::NotGranted {
                required: "files:write".into()
            },
            "asked for at the last re-authentication and not granted"
        );
        Ok(())
    }

    #[test]
    fn other_credentials_and_unnamed_scopes_get_no_sign_in() -> Result<(), crate::oauth::OAuthError>
    {
        assert_eq!(
            Verdict::judge(Some("files:write"), None, None),
            Verdict::NotSignedIn {
                required: "files:write".into()
            },
            "an access token cannot be stepped up by signing in"
        );
        assert_eq!(
            Verdict::judge(Some("files:write"), Some(&grant(&[], true)?), None),
            Verdict::NotSignedIn {
                required: "files:write".into()
            },
            "nor can a machine client"
        );
        assert_eq!(
            Verdict::judge(Some(" "), Some(&grant(&[], false)?), None),
            Verdict::Unnamed
        );
        assert_eq!(
            Verdict::SignInAgain {
                required: "files:write".into()
            }
            .message(),
            "needs more permissions: scope files:write — re-authenticate to grant them"
        );
        Ok(())
    }

    #[test]
    fn a_new_grant_is_checked_for_the_scopes_asked_for() -> Result<(), crate::oauth::OAuthError> {
        let again = Reauthentication {
            server_url: Url::parse("https://mcp.example.com/mcp")
                .map_err(|e| crate::oauth::OAuthError::Credentials(e.to_string()))?,
            previous: None,
            required: Some("files:write".into()),
            scopes: vec!["files:read".into(), "files:write".into()],
        };
        assert_eq!(
            again.not_granted(&grant(&["files:read"], false)?),
            ["files:write"]
        );
        assert!(
            again
                .not_granted(&grant(&["files:read", "files:write"], false)?)
                .is_empty()
        );
        Ok(())
    }
}
