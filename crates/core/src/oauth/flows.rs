//! Sign-ins waiting for the browser: a registry of pending flows keyed by the OAuth `state` each
//! one sent, and [`Flows::deliver`], the one door every authorization response comes through —
//! the app's deep link and the loopback listener alike.
//!
//! Invariants: a response reaches at most one flow, the one whose `state` it carries, and only
//! once (the entry is removed on delivery, so a replay finds nothing). A response with no pending
//! flow, an unknown, reused or expired `state`, a repeated parameter, or one that arrives at
//! another redirect URI than its flow registered is dropped: the flow (if any) keeps waiting,
//! nothing is exchanged, and none of the response's text goes anywhere — callers learn only a
//! [`Dropped`] reason. A response whose `state` matches but whose `iss` fails the RFC 9207 check
//! ends that flow with [`OAuthError::IssuerMismatch`] (RFC 9207 §2.4: reject the response and do
//! not proceed with the grant). Any number of flows may wait at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use url::Url;

use super::OAuthError;
use crate::secret::Secret;

/// How long a flow may be answered (RFC 6749 §10.12: `state` is short-lived). Longer than any
/// sign-in waits, so it only bites when a caller passes a longer limit or a waiter leaks.
pub const FLOW_LIFETIME: Duration = Duration::from_secs(600);

/// The error codes of RFC 6749 §4.1.2.1. Any other `error` value is the sender's own text and is
/// replaced by `unknown_error` before anyone sees it.
const ERROR_CODES: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// What a flow's callback must say about its issuer (RFC 9207), from the authorization server
/// metadata the flow discovered. The same four rows rmcp applies at the code exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerCheck {
    /// The metadata's `issuer`.
    pub expected: Option<String>,
    /// The metadata advertises `authorization_response_iss_parameter_supported`.
    pub required: bool,
}

impl IssuerCheck {
    /// Exact string comparison, as RFC 9207 §2.4 asks.
    pub fn accepts(&self, received: Option<&str>) -> bool {
        match (self.expected.as_deref(), received) {
            (Some(expected), Some(received)) => expected == received,
            // An `iss` that cannot be compared with anything is not trusted.
            (None, Some(_)) => false,
            (_, None) => !self.required,
        }
    }
}

/// An authorization response that answered its flow.
#[derive(Debug)]
pub struct Callback {
    pub code: Option<Secret>,
    pub state: String,
    pub issuer: Option<String>,
    /// The server's refusal, as a standard RFC 6749 error code (never the sender's text).
    pub error: Option<&'static str>,
}

/// Why a response was ignored. Carries no text from the response, so it is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Not an authorization response: unparsable, no `state`, or a parameter given twice.
    Malformed,
    /// No pending flow sent this `state`: never, or it was answered, cancelled or timed out.
    UnknownState,
    /// The flow started more than [`FLOW_LIFETIME`] ago.
    Expired,
    /// It came to another redirect URI than the one its flow registered.
    WrongRedirect,
}

/// What [`Flows::deliver`] did with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Handed to its flow, which goes on to exchange the code (or report the server's refusal).
    Accepted,
    /// It answered a pending flow but failed the issuer check: that flow ends, nothing exchanged.
    Rejected,
    /// Ignored; any pending flow keeps waiting.
    Dropped(Dropped),
}

type Answer = Result<Callback, OAuthError>;

struct Pending {
    /// Tells this entry from a later one with the same `state`, so a stale waiter cannot
    /// unregister its successor.
    id: u64,
    redirect_uri: String,
    issuer: IssuerCheck,
    started: Instant,
    answer: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    pending: HashMap<String, Pending>,
}

/// The pending flows of one process. Cheap to clone; clones share the registry.
#[derive(Clone, Default)]
pub struct Flows {
    registry: Arc<Mutex<Registry>>,
}

impl Flows {
    pub fn new() -> Self {
        Self::default()
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a flow that sent `state` and expects its answer at `redirect_uri`. Register
    /// before the browser opens, so a quick answer finds its flow.
    pub fn register(&self, state: &str, redirect_uri: &str, issuer: IssuerCheck) -> Waiter {
        self.register_at(state, redirect_uri, issuer, Instant::now())
    }

    fn register_at(
        &self,
        state: &str,
        redirect_uri: &str,
        issuer: IssuerCheck,
        now: Instant,
    ) -> Waiter {
        let (sender, receiver) = oneshot::channel();
        let mut registry = self.registry();
        // Expired entries go now; dropping their senders ends their waiters.
        registry
            .pending
            .retain(|_, pending| now.duration_since(pending.started) <= FLOW_LIFETIME);
        registry.next_id += 1;
        let id = registry.next_id;
        registry.pending.insert(
            state.to_owned(),
            Pending {
                id,
                redirect_uri: redirect_uri.to_owned(),
                issuer,
                started: now,
                answer: sender,
            },
        );
        Waiter {
            flows: self.clone(),
            state: state.to_owned(),
            id,
            answer: receiver,
        }
    }

    /// How many flows are waiting.
    pub fn pending(&self) -> usize {
        self.registry().pending.len()
    }

    /// Routes an authorization response (the full redirect URL, query included) to its flow.
    pub fn deliver(&self, callback_url: &str) -> Delivery {
        self.deliver_at(callback_url, Instant::now())
    }

    fn deliver_at(&self, callback_url: &str, now: Instant) -> Delivery {
        let Some(response) = Response::parse(callback_url) else {
            return Delivery::Dropped(Dropped::Malformed);
        };
        let pending = {
            let mut registry = self.registry();
            let Some(pending) = registry.pending.get(&response.state) else {
                return Delivery::Dropped(Dropped::UnknownState);
            };
            if now.duration_since(pending.started) > FLOW_LIFETIME {
                registry.pending.remove(&response.state);
                return Delivery::Dropped(Dropped::Expired);
            }
            if pending.redirect_uri != response.redirect_uri {
                return Delivery::Dropped(Dropped::WrongRedirect);
            }
            match registry.pending.remove(&response.state) {
                Some(pending) => pending,
                None => return Delivery::Dropped(Dropped::UnknownState),
            }
        };
        if !pending.issuer.accepts(response.callback.issuer.as_deref()) {
            if pending
                .answer
                .send(Err(OAuthError::IssuerMismatch))
                .is_err()
            {
                return Delivery::Dropped(Dropped::UnknownState);
            }
            return Delivery::Rejected;
        }
        match pending.answer.send(Ok(response.callback)) {
            Ok(()) => Delivery::Accepted,
            // The flow was being cancelled as the answer came.
            Err(_) => Delivery::Dropped(Dropped::UnknownState),
        }
    }
}

/// A parsed authorization response.
struct Response {
    /// The URL without query and fragment: where the browser was sent back to.
    redirect_uri: String,
    state: String,
    callback: Callback,
}

impl Response {
    fn parse(callback_url: &str) -> Option<Self> {
        let url = Url::parse(callback_url).ok()?;
        let (mut code, mut state, mut issuer, mut error) = (None, None, None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "code" => &mut code,
                "state" => &mut state,
                "iss" => &mut issuer,
                "error" => &mut error,
                _ => continue,
            };
            // A repeated parameter is ambiguous (which one would the server have meant?).
            if slot.replace(value.into_owned()).is_some() {
                return None;
            }
        }
        let state = state.filter(|state| !state.is_empty())?;
        let mut redirect_uri = url;
        redirect_uri.set_query(None);
        redirect_uri.set_fragment(None);
        Some(Self {
            redirect_uri: redirect_uri.into(),
            callback: Callback {
                code: code.map(Secret::new),
                state: state.clone(),
                issuer,
                error: error.map(|error| {
                    ERROR_CODES
                        .iter()
                        .find(|known| **known == error)
                        .copied()
                        .unwrap_or("unknown_error")
                }),
            },
            state,
        })
    }
}

/// One registered flow's side: waits for its answer; unregisters the flow when dropped
/// (cancelled, timed out or done), so a late answer finds nothing.
pub struct Waiter {
    flows: Flows,
    state: String,
    id: u64,
    answer: oneshot::Receiver<Answer>,
}

impl Waiter {
    /// The flow's answer, or [`OAuthError::TimedOut`] after `limit`.
    pub async fn wait(mut self, limit: Duration) -> Result<Callback, OAuthError> {
        match tokio::time::timeout(limit, &mut self.answer).await {
            Ok(Ok(answer)) => answer,
            // The registry let go of the flow: it outlived FLOW_LIFETIME.
            Ok(Err(_)) => Err(OAuthError::TimedOut(FLOW_LIFETIME)),
            Err(_) => Err(OAuthError::TimedOut(limit)),
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut registry = self.flows.registry();
        if registry
            .pending
            .get(&self.state)
            .is_some_and(|pending| pending.id == self.id)
        {
            registry.pending.remove(&self.state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "dev.patchbay.desktop:/oauth/callback";
    const ISSUER: &str = "https://auth.example.com";

    fn issuer(required: bool) -> IssuerCheck {
        IssuerCheck {
            expected: Some(ISSUER.into()),
            required,
        }
    }

    fn answer(state: &str, extra: &str) -> String {
        format!("{APP}?code=the-code&state={state}{extra}")
    }

    /// Whether the waiter has an answer already, without waiting.
    async fn answered(waiter: Waiter) -> Option<Result<Callback, OAuthError>> {
        match waiter.wait(Duration::from_millis(20)).await {
            Err(OAuthError::TimedOut(_)) => None,
            other => Some(other),
        }
    }

    #[tokio::test]
    async fn an_answer_reaches_its_own_flow_once() -> Result<(), OAuthError> {
        let flows = Flows::new();
        let first = flows.register("state-one", APP, issuer(false));
        let second = flows.register("state-two", APP, issuer(false));
        assert_eq!(flows.pending(), 2, "two sign-ins wait at once");

        let url = answer("state-two", &format!("&iss={ISSUER}"));
        assert_eq!(flows.deliver(&url), Delivery::Accepted);
        assert_eq!(
            flows.deliver(&url),
            Delivery::Dropped(Dropped::UnknownState),
            "a replayed answer finds nothing: state is single use"
        );
        let callback = second.wait(Duration::from_secs(1)).await?;
        assert_eq!(
            callback.state, "state-two",
            "the answer went to its own flow"
        );
        assert_eq!(callback.code.as_ref().map(Secret::expose), Some("the-code"));
        assert!(
            answered(first).await.is_none(),
            "the other flow got nothing and still waits"
        );
        Ok(())
    }

    #[tokio::test]
    async fn unsolicited_and_malformed_answers_are_dropped() {
        let flows = Flows::new();
        assert_eq!(
            flows.deliver(&answer("nobody-asked", "")),
            Delivery::Dropped(Dropped::UnknownState),
            "no pending flow at all"
        );
        let waiter = flows.register("real-state", APP, issuer(false));
        for (url, reason) in [
            (answer("guessed", ""), Dropped::UnknownState),
            (format!("{APP}?code=c"), Dropped::Malformed),
            (format!("{APP}?code=c&state="), Dropped::Malformed),
            (answer("real-state", "&state=other"), Dropped::Malformed),
            (answer("real-state", "&code=second"), Dropped::Malformed),
            ("not a url".to_owned(), Dropped::Malformed),
            (
                "http://127.0.0.1:4444/callback?code=c&state=real-state".to_owned(),
                Dropped::WrongRedirect,
            ),
        ] {
            assert_eq!(flows.deliver(&url), Delivery::Dropped(reason), "{url}");
        }
        assert!(
            answered(waiter).await.is_none(),
            "dropped answers leave the flow waiting for the real one"
        );
    }

    #[tokio::test]
    async fn an_expired_flow_cannot_be_answered() {
        let flows = Flows::new();
        let started = Instant::now();
        let waiter = flows.register_at("old", APP, issuer(false), started);
        let late = started + FLOW_LIFETIME + Duration::from_secs(1);
        assert_eq!(
            flows.deliver_at(&answer("old", ""), late),
            Delivery::Dropped(Dropped::Expired)
        );
        assert_eq!(flows.pending(), 0, "the expired flow is gone");
        assert!(
            matches!(
                waiter.wait(Duration::from_secs(1)).await,
                Err(OAuthError::TimedOut(_))
            ),
            "its waiter ends instead of hanging"
        );
    }

    #[tokio::test]
    async fn a_wrong_issuer_ends_the_flow_without_its_text() {
        let flows = Flows::new();
        let waiter = flows.register("s", APP, issuer(false));
        assert_eq!(
            flows.deliver(&answer("s", "&iss=https://evil.example")),
            Delivery::Rejected
        );
        let outcome = waiter.wait(Duration::from_secs(1)).await;
        let message = match outcome {
            Err(error @ OAuthError::IssuerMismatch) => error.to_string(),
            other => panic!("a mismatched iss must end the flow: {other:?}"),
        };
        assert!(!message.contains("evil"), "no attacker text: {message}");
        assert_eq!(flows.pending(), 0);
    }

    #[test]
    fn the_issuer_check_follows_rfc_9207() {
        let other = Some("https://evil.example");
        let same = Some(ISSUER);
        // (advertised support, expected issuer known, received iss, accepted)
        let rows = [
            (true, true, same, true),
            (true, true, None, false),
            (true, true, other, false),
            (false, true, same, true),
            (false, true, None, true),
            (false, true, other, false),
            (false, false, None, true),
            (false, false, same, false),
            (true, false, None, false),
        ];
        for (required, known, received, accepted) in rows {
            let check = IssuerCheck {
                expected: known.then(|| ISSUER.to_owned()),
                required,
            };
            assert_eq!(
                check.accepts(received),
                accepted,
                "required={required} known={known} received={received:?}"
            );
        }
        assert!(
            !issuer(false).accepts(Some("https://auth.example.com/")),
            "exact comparison: a trailing slash is another issuer"
        );
    }

    #[tokio::test]
    async fn a_refusal_keeps_only_the_standard_error_code() -> Result<(), OAuthError> {
        let flows = Flows::new();
        let standard = flows.register("a", APP, IssuerCheck::default());
        let made_up = flows.register("b", APP, IssuerCheck::default());
        let url = |state: &str, error: &str| format!("{APP}?state={state}&error={error}");
        assert_eq!(
            flows.deliver(&url("a", "access_denied")),
            Delivery::Accepted
        );
        assert_eq!(
            flows.deliver(&url("b", "Call%20this%20number")),
            Delivery::Accepted
        );
        assert_eq!(
            standard.wait(Duration::from_secs(1)).await?.error,
            Some("access_denied")
        );
        assert_eq!(
            made_up.wait(Duration::from_secs(1)).await?.error,
            Some("unknown_error"),
            "the sender's own words never reach the person"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_cancelled_flow_is_unregistered() {
        let flows = Flows::new();
        let waiter = flows.register("s", APP, IssuerCheck::default());
        drop(waiter);
        assert_eq!(flows.pending(), 0);
        assert_eq!(
            flows.deliver(&answer("s", "")),
            Delivery::Dropped(Dropped::UnknownState),
            "an answer after Cancel finds nothing"
        );
    }

    #[tokio::test]
    async fn the_wait_expires() {
        let flows = Flows::new();
        let waiter = flows.register("s", APP, IssuerCheck::default());
        assert!(matches!(
            waiter.wait(Duration::from_millis(50)).await,
            Err(OAuthError::TimedOut(limit)) if limit == Duration::from_millis(50)
        ));
    }
}
