//! Signing in, as one use case per thing a person does: Authorize a new OAuth connector (sign in
//! → test → save), Re-authenticate an existing one (step-up scopes asked for, the new grant
//! tested before it replaces the old, the scopes the server left out reported), and saving a
//! grant obtained some other way. The registry that OAuth callbacks are delivered to lives here,
//! in core, with a cancel switch per running sign-in; a front end supplies only what is its
//! own through [`SignInFront`]: showing the sign-in page, and its words for each step.
//!
//! A failed, refused, cancelled or abandoned sign-in leaves the stored connector exactly as it
//! was (nothing is written before the new grant has been tested).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use url::Url;

use super::connectors::view;
use super::{ConnectorSpec, Patchbay, Saved, blocking, now, step_up};
use crate::error::Error;
use crate::mcp::{Endpoint, OAuthCredentials};
use crate::oauth::RegistrationMethod;
use crate::oauth::flows::{Delivery, Flows};
use crate::oauth::redirect::{DEEP_LINK_DONE, RedirectChoice};
use crate::oauth::sign_in::{self as flow, SignInRequest};
use crate::oauth::{self, ClientChoice, Grant};
use crate::store::{AuthKind, ConnectorRow, SecretField};
use crate::validate::{self, InvalidInput};

pub use crate::oauth::sign_in::{BrowserError, Visit};

/// The longest flow id a front end may choose (the app sends a UUID).
const MAX_FLOW_ID_LEN: usize = 64;

/// What a front end does while a sign-in runs.
#[async_trait::async_trait]
pub trait SignInFront: Send + Sync {
    /// Sends the person to `visit.authorization_url` (opens a browser, or prints the link). Must
    /// not wait for them; an error ends the sign-in.
    async fn visit(&self, visit: Visit) -> Result<(), BrowserError>;

    /// A step of the flow, for a progress line or a dialog's working text.
    fn progress(&self, step: SignInStep<'_>);
}

/// The steps a sign-in reports while it runs.
#[derive(Debug, Clone, Copy)]
pub enum SignInStep<'a> {
    /// Discovery and registration with `server` (up to [`flow::PREPARE_LIMIT`]).
    Discovering { server: &'a Url },
    /// Signing in again with the client saved with the connector: one the person entered
    /// (pre-registered), or the one Patchbay registered with this server before (`dynamic`).
    ReusingClient { client_id: &'a str, dynamic: bool },
    /// A step-up: `required` is asked for beside what was granted before (`scopes` in all).
    AskingForMoreScopes {
        required: &'a str,
        scopes: &'a [String],
    },
    /// The browser was sent; waiting for the person for at most `limit`.
    Waiting { limit: Duration },
    /// A machine client asks the authorization server for a token.
    RequestingToken { client_id: &'a str, server: &'a Url },
    /// The new credentials are being tested before they are saved.
    Testing,
}

/// How a sign-in runs.
#[derive(Debug, Clone, Default)]
pub struct SignInOptions {
    /// A pre-registered client entered by the person (under "Advanced"), if any.
    pub client: ClientChoice,
    /// Where the browser comes back: the app's deep link (falling back to loopback) or loopback.
    pub redirect: RedirectChoice,
    /// The id a front end cancels this sign-in by ([`Patchbay::cancel_sign_in`]); letters,
    /// digits and dashes. `None`: it ends only by finishing, failing, timing out or being
    /// dropped.
    pub flow_id: Option<String>,
    /// Register Patchbay afresh instead of reusing the client an earlier dynamic registration
    /// made (say the server forgot it and its sign-in page rejects it).
    pub new_client: bool,
}

/// What Re-authenticate returns: the saved connector, and the scopes it asked for that the
/// server did not grant (empty when it granted them all, or did not say what it granted).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reauthorized {
    pub saved: Saved,
    pub not_granted: Vec<String>,
}

/// The redirect URIs a person registers for a pre-registered client, per choice.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RedirectUris {
    /// The app's own link (RFC 8252 §7.1).
    pub deep_link: String,
    /// The loopback redirect; any port (RFC 8252 §7.3).
    pub loopback: String,
}

impl RedirectUris {
    pub fn get() -> Self {
        Self {
            deep_link: RedirectChoice::DeepLink.uri_to_register().to_owned(),
            loopback: RedirectChoice::Loopback.uri_to_register().to_owned(),
        }
    }
}

/// The sign-ins in flight: where their callbacks are delivered, and a cancel switch per flow id.
#[derive(Clone, Default)]
pub(crate) struct SignIns {
    flows: Flows,
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl SignIns {
    /// Records a sign-in under `flow_id` until the returned guard is dropped. Several may run
    /// at once; an id already in use is refused.
    fn begin(&self, flow_id: &str) -> Result<Running, Error> {
        if flow_id.is_empty()
            || flow_id.len() > MAX_FLOW_ID_LEN
            || !flow_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(InvalidInput::Other(
                "a sign-in needs a flow id of letters, digits and dashes".into(),
            )
            .into());
        }
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running.contains_key(flow_id) {
            return Err(InvalidInput::Other(
                "a sign-in with this flow id is already running".into(),
            )
            .into());
        }
        let cancel = CancellationToken::new();
        running.insert(flow_id.to_owned(), cancel.clone());
        Ok(Running {
            flow_id: flow_id.to_owned(),
            cancel,
            running: self.running.clone(),
        })
    }
}

/// A running sign-in's entry, removed when the sign-in ends however it ends.
struct Running {
    flow_id: String,
    cancel: CancellationToken,
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.flow_id);
    }
}

impl Patchbay {
    /// Hands an OAuth callback (a deep link) to the sign-in waiting for it. Anything else — no
    /// pending flow, a forged or replayed `state`, Patchbay's own "done" link — is dropped; only
    /// the reason is logged, never the URL (it may carry a code, or an attacker's text).
    pub fn deliver_callback(&self, url: &str) -> Delivery {
        let delivery = self.sign_ins.flows.deliver(url);
        tracing::info!(?delivery, "OAuth callback");
        delivery
    }

    /// Stops the sign-in `flow_id` if it is still running; a late Cancel does nothing.
    pub fn cancel_sign_in(&self, flow_id: &str) {
        let cancel = self
            .sign_ins
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(flow_id);
        if let Some(cancel) = cancel {
            cancel.cancel();
        }
    }

    /// Authorize: signs in to a new OAuth connector's server, then tests (unless `test` is
    /// false) and saves it. Nothing is saved on any failure or cancel.
    pub async fn authorize_connector(
        &self,
        workspace: &str,
        mut spec: ConnectorSpec,
        options: SignInOptions,
        test: bool,
        front: &dyn SignInFront,
    ) -> Result<Saved, Error> {
        if spec.auth != AuthKind::OAuth {
            return Err(InvalidInput::Other(
                "only OAuth connectors are authorized in a browser".into(),
            )
            .into());
        }
        // Registered first: the flow id is what Cancel finds it by, whatever fails next.
        let running = self.begin_sign_in(&options)?;
        // The person's mistakes next, before the browser opens.
        validate::name(&spec.name, "the connector name")?;
        let server = validate::url(&spec.url)?;
        self.ensure_name_free(workspace, &spec.name)?;
        let route = self.new_route(&spec.network)?;
        let grant = self
            .run_sign_in(&server, &route, options, running, None, front)
            .await?;
        spec.oauth = Some(grant);
        if test {
            front.progress(SignInStep::Testing);
        }
        self.add_connector(workspace, spec, test).await
    }

    /// Re-authenticate: signs in again to an existing OAuth connector (expired or revoked
    /// tokens, or a step-up), reusing its stored client with the same authorization server and
    /// asking for the scopes a server refused a request for. A machine connector runs its grant
    /// again instead (no browser). The stored credentials are replaced only once the new ones
    /// work; the result names the scopes asked for that the server left out.
    pub async fn reauthenticate(
        &self,
        workspace: &str,
        name: &str,
        options: SignInOptions,
        front: &dyn SignInFront,
    ) -> Result<Reauthorized, Error> {
        let running = self.begin_sign_in(&options)?;
        let again = self.reauthentication(workspace, name)?;
        if again
            .previous
            .as_ref()
            .is_some_and(oauth::Registration::is_machine)
        {
            // A secret entered with it replaces the stored one (a rotated secret).
            let credential = options
                .client
                .client_secret
                .map(super::MachineCredential::ClientSecret);
            let saved = self
                .renew_machine_connector(
                    workspace,
                    name,
                    options.client.client_id,
                    credential,
                    front,
                )
                .await?;
            return Ok(Reauthorized {
                saved,
                not_granted: Vec::new(),
            });
        }
        if let Some(required) = &again.required {
            front.progress(SignInStep::AskingForMoreScopes {
                required,
                scopes: &again.scopes,
            });
        }
        let server = again.server_url.clone();
        let route = self.route_of(workspace, name)?;
        let grant = self
            .run_sign_in(&server, &route, options, running, Some(&again), front)
            .await?;
        let not_granted = again.not_granted(&grant);
        if !not_granted.is_empty() {
            tracing::warn!(
                ?not_granted,
                "the server did not grant every scope asked for"
            );
        }
        front.progress(SignInStep::Testing);
        let saved = self.sign_in(workspace, name, grant).await?;
        Ok(Reauthorized { saved, not_granted })
    }

    /// Registers the sign-in under its flow id (if it has one) until the guard is dropped.
    fn begin_sign_in(&self, options: &SignInOptions) -> Result<Option<Running>, Error> {
        options
            .flow_id
            .as_deref()
            .map(|flow_id| self.sign_ins.begin(flow_id))
            .transpose()
    }

    /// One browser sign-in, until it returns credentials, fails, times out or is cancelled.
    async fn run_sign_in(
        &self,
        server: &Url,
        route: &crate::network::Route,
        options: SignInOptions,
        running: Option<Running>,
        again: Option<&oauth::step_up::Reauthentication>,
        front: &dyn SignInFront,
    ) -> Result<Grant, Error> {
        if options.client.client_secret.is_some() && options.client.client_id.is_none() {
            return Err(InvalidInput::Other(
                "a client secret needs the client ID it belongs to".into(),
            )
            .into());
        }
        // The loopback page sends the browser back to the app when the app is what waits.
        let done_page = match options.redirect {
            RedirectChoice::DeepLink => oauth::done_page(Some(DEEP_LINK_DONE)),
            RedirectChoice::Loopback => oauth::done_page(None),
        };
        let request = SignInRequest {
            server_url: server.clone(),
            client: options.client.clone(),
            challenge: None,
            redirect: options.redirect,
            limit: oauth::AUTHORIZE_TIMEOUT,
            done_page,
            route: route.clone(),
        };
        front.progress(SignInStep::Discovering { server });
        // `--new-client`: the earlier dynamic registration is not offered.
        let fresh_again;
        let again = match again {
            Some(again)
                if options.new_client
                    && again
                        .previous
                        .as_ref()
                        .is_some_and(|previous| previous.method == RegistrationMethod::Dynamic) =>
            {
                fresh_again = oauth::step_up::Reauthentication {
                    previous: None,
                    ..again.clone()
                };
                Some(&fresh_again)
            }
            again => again,
        };
        if options.client.client_id.is_none()
            && let Some(previous) = again.and_then(|again| again.previous.as_ref())
            && let Some(client) = previous.reusable()
            && let Some(id) = &client.client_id
        {
            front.progress(SignInStep::ReusingClient {
                client_id: id,
                dynamic: previous.method == RegistrationMethod::Dynamic,
            });
        }
        let browser = |visit: Visit| async move {
            front.visit(visit).await?;
            front.progress(SignInStep::Waiting {
                limit: oauth::AUTHORIZE_TIMEOUT,
            });
            Ok(())
        };
        let flows = &self.sign_ins.flows;
        let signing_in = async {
            match again {
                Some(again) => flow::reauthenticate(flows, request, again, browser).await,
                None => flow::sign_in(flows, request, browser).await,
            }
        };
        match &running {
            Some(running) => tokio::select! {
                result = signing_in => Ok(result?),
                () = running.cancel.cancelled() => Err(Error::Cancelled("sign-in")),
            },
            None => Ok(signing_in.await?),
        }
    }

    /// Replaces a connector's OAuth credentials after a new sign-in (re-authenticate, or a
    /// machine connector's grant run again), testing them first. A recorded step-up need is
    /// cleared; scopes the sign-in asked for and did not get are remembered, so they are not
    /// asked for again by themselves (see [`Patchbay::reauthentication`]).
    pub async fn sign_in(&self, workspace: &str, name: &str, grant: Grant) -> Result<Saved, Error> {
        let (workspace, row, mut endpoint) = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            if row.auth != AuthKind::OAuth {
                return Err(
                    InvalidInput::Other(format!("{:?} does not use OAuth", row.name)).into(),
                );
            }
            // Not `self.endpoint()`: re-authenticating must work even if the old grant is damaged.
            let mut endpoint = Endpoint::new(self.connector_url(&store, &row)?);
            endpoint.timeouts = row.network.timeouts(self.timeouts());
            endpoint.route = self.route(&store, &row)?;
            endpoint.headers = self.headers(&store, &row)?;
            Ok((workspace, row, endpoint))
        })?;
        // Tested on its own: a refresh during the test changes what gets sealed below.
        let pending = OAuthCredentials::detached(grant);
        endpoint.oauth = Some(pending.clone());
        let diagnosis = self.checked(&endpoint).await?;
        let grant = pending.grant();
        blocking(|| {
            let mut store = self.store();
            let step_up = step_up::after_sign_in(&store.step_up(&row.id)?, &grant);
            // Over the row as it is now: a rename or header change made during the sign-in
            // stays. A grant for a server the connector no longer points at is not saved.
            let updated = Self::rewrite_connector(
                &mut store,
                &workspace,
                &row.id,
                name,
                |store, current| {
                    if current.url != row.url || current.auth != row.auth {
                        return Err(Error::Changed {
                            what: "connector",
                            name: name.to_owned(),
                        });
                    }
                    let sealed =
                        self.seal(store, &workspace.id, &row.id, SecretField::OAuth, &grant.0)?;
                    let timestamp = now();
                    let updated = ConnectorRow {
                        status: diagnosis.status(),
                        last_checked_at: Some(timestamp.clone()),
                        last_error: None,
                        updated_at: timestamp,
                        ..current
                    };
                    Ok((updated, vec![sealed]))
                },
            )?;
            store.set_step_up(&updated.id, &step_up)?;
            let connector = view(&store, &workspace, updated)?;
            Ok(Saved {
                connector,
                diagnosis: Some(diagnosis),
            })
        })
    }
}
