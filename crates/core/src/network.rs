//! A connector's own network settings: how long to wait to connect and for each request, where
//! the app-wide default does not suit it (a server that is slow on purpose, one behind a slow
//! VPN), which proxy to go through (the system's — `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY` — none, or an explicit one), and extra CA certificates to trust (a company's
//! private CA). Stored with the connector as JSON (`connectors.network`), so settings added
//! later need no migration; an absent field is the default. The proxy's credentials are the one
//! secret: they never enter the JSON, they are sealed like a token ([`NetworkInput`]).
//!
//! A tool call's request timeout is how long the server may stay silent: each progress
//! notification it sends for the call starts the wait again, up to the hard ceiling of the call
//! ([`crate::mcp::Session::call_tool_watched`]).

mod desktop;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mcp::Timeouts;
use crate::secret::Secret;
use crate::validate::InvalidInput;

/// The largest CA bundle a connector keeps (a bundle of a few dozen certificates).
pub const MAX_CA_PEM_BYTES: usize = 256 * 1024;

/// Which proxy a connector's requests go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ProxySetting {
    /// The environment's (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    System,
    /// Straight to the server, whatever the environment says.
    Direct,
    /// This proxy (`http://` or `https://`, without credentials: those are sealed apart).
    Explicit { url: String },
}

/// The longest connect timeout a connector may set.
pub const MAX_CONNECT_TIMEOUT_SECS: u32 = 300;
/// The longest request timeout a connector may set (a long call that reports progress may run
/// longer: see the module note).
pub const MAX_REQUEST_TIMEOUT_SECS: u32 = 3600;

/// A connector's network settings; `None` everywhere is "as the app says".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorNetwork {
    /// Seconds to set up the TCP and TLS connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<u32>,
    /// Seconds one request may take (or a tool call stay silent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u32>,
    /// Its proxy; absent: the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxySetting>,
    /// Whether the explicit proxy's credentials are stored (sealed; never shown).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proxy_credentials_set: bool,
    /// Extra CA certificates (PEM) this connector's server may be signed by, besides the
    /// system's trust store. Certificates are public: kept in clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

/// A connector's network settings as given on Add or Edit: the settings, and the explicit
/// proxy's credentials (`user:password`), which are sealed, never stored in the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkInput {
    pub settings: ConnectorNetwork,
    pub proxy_credentials: Option<Secret>,
}

impl From<ConnectorNetwork> for NetworkInput {
    fn from(settings: ConnectorNetwork) -> Self {
        Self {
            settings,
            proxy_credentials: None,
        }
    }
}

impl ConnectorNetwork {
    /// Refuses timeouts of zero or past the ceilings, a proxy URL that is not http(s) or
    /// carries credentials, and a CA file without readable certificates, saying which.
    pub fn validated(self) -> Result<Self, InvalidInput> {
        let check = |value: Option<u32>, max: u32, what: &str| match value {
            Some(0) => Err(InvalidInput::Other(format!(
                "the {what} timeout must be at least 1 second"
            ))),
            Some(value) if value > max => Err(InvalidInput::Other(format!(
                "the {what} timeout must be at most {max} seconds, not {value}"
            ))),
            _ => Ok(()),
        };
        check(
            self.connect_timeout_secs,
            MAX_CONNECT_TIMEOUT_SECS,
            "connect",
        )?;
        check(
            self.request_timeout_secs,
            MAX_REQUEST_TIMEOUT_SECS,
            "request",
        )?;
        if let Some(ProxySetting::Explicit { url }) = &self.proxy {
            proxy_url(url)?;
        }
        if let Some(pem) = &self.ca_pem {
            certificates(pem)?;
        }
        Ok(self)
    }

    /// The settings as a diagnosis names them (`connector show`): [`Route::describe`] of a
    /// route with only these settings.
    pub fn describe(&self) -> Option<String> {
        Route {
            settings: self.clone(),
            ..Route::default()
        }
        .describe()
    }

    /// The timeouts to use: this connector's where it sets them, else `base`.
    pub fn timeouts(&self, base: Timeouts) -> Timeouts {
        Timeouts {
            connect: self
                .connect_timeout_secs
                .map_or(base.connect, |secs| Duration::from_secs(secs.into())),
            request: self
                .request_timeout_secs
                .map_or(base.request, |secs| Duration::from_secs(secs.into())),
        }
    }

    /// As stored: `None` when everything is the default.
    pub(crate) fn stored(&self) -> Option<String> {
        (*self != Self::default()).then(|| serde_json::to_string(self).unwrap_or_default())
    }

    /// From the stored column; a value this version cannot read is the default (a newer
    /// Patchbay may have added settings), never a failure to list connectors.
    pub(crate) fn from_stored(text: Option<&str>) -> Self {
        text.and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }
}

/// A change to one setting: keep it, set it, or go back to the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Default,
}

impl<T: Clone> Change<T> {
    pub fn apply(&self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Set(value) => Some(value.clone()),
            Self::Default => None,
        }
    }
}

/// Changes to a connector's network settings. A new explicit proxy without
/// `proxy_credentials` keeps the stored credentials only if it is the same proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkEdit {
    pub connect_timeout_secs: Change<u32>,
    pub request_timeout_secs: Change<u32>,
    pub proxy: Change<ProxySetting>,
    /// `user:password` for the explicit proxy; `Default` deletes the stored ones.
    pub proxy_credentials: Change<Secret>,
    pub ca_pem: Change<String>,
}

impl NetworkEdit {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The settings after the edit, and what happens to the sealed proxy credentials
    /// (`Keep`, `Set`, or `Default`: delete).
    pub fn apply(&self, current: &ConnectorNetwork) -> (ConnectorNetwork, Change<Secret>) {
        let proxy = self.proxy.apply(current.proxy.clone());
        let same_proxy = proxy == current.proxy;
        let explicit = matches!(proxy, Some(ProxySetting::Explicit { .. }));
        let credentials = match (&self.proxy_credentials, explicit) {
            (_, false) if current.proxy_credentials_set => Change::Default,
            (_, false) => Change::Keep,
            (Change::Keep, true) if !same_proxy && current.proxy_credentials_set => Change::Default,
            (change, true) => change.clone(),
        };
        let credentials_set = match &credentials {
            Change::Keep => current.proxy_credentials_set,
            Change::Set(_) => true,
            Change::Default => false,
        };
        let settings = ConnectorNetwork {
            connect_timeout_secs: self
                .connect_timeout_secs
                .apply(current.connect_timeout_secs),
            request_timeout_secs: self
                .request_timeout_secs
                .apply(current.request_timeout_secs),
            proxy,
            proxy_credentials_set: credentials_set,
            ca_pem: self.ca_pem.apply(current.ca_pem.clone()),
        };
        (settings, credentials)
    }
}

/// An explicit proxy's URL, refused unless http(s) with a host and without credentials (they
/// are given apart and sealed).
pub fn proxy_url(text: &str) -> Result<url::Url, InvalidInput> {
    let url = url::Url::parse(text.trim())
        .map_err(|error| InvalidInput::Other(format!("the proxy URL is not valid: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(InvalidInput::Other(format!(
            "the proxy URL must be http:// or https:// with a host, not {:?}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidInput::Other(
            "the proxy URL must not contain a user name or password; give them as the proxy's \
             credentials, which are sealed"
                .into(),
        ));
    }
    Ok(url)
}

/// The certificates in a PEM bundle, refused when it holds none or is too large.
pub fn certificates(pem: &str) -> Result<Vec<reqwest::Certificate>, InvalidInput> {
    if pem.len() > MAX_CA_PEM_BYTES {
        return Err(InvalidInput::Other(format!(
            "the CA file is larger than {} KiB",
            MAX_CA_PEM_BYTES / 1024
        )));
    }
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(InvalidInput::Other(
            "the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|error| {
        InvalidInput::Other(format!(
            "the CA file's certificates cannot be read: {error}"
        ))
    })
}

/// The proxy the environment names for HTTPS, if any (shown, never with its credentials).
fn system_proxy() -> Option<String> {
    [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
    .map(|value| match url::Url::parse(&value) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "(unreadable)".to_owned(),
    })
}

/// How one connection goes out: the proxy (with its credentials) and extra roots, ready for
/// the HTTP client — the connector's own settings first, then the app's.
#[derive(Clone, Default)]
pub struct Route {
    pub settings: ConnectorNetwork,
    pub proxy_credentials: Option<Secret>,
    pub app: AppRoute,
}

/// The app's proxy and extra CA (Settings), for connectors without their own.
#[derive(Clone, Default)]
pub struct AppRoute {
    pub proxy: Option<ProxySetting>,
    pub proxy_credentials: Option<Secret>,
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// The proxy in use and its credentials, and whose setting it is.
    fn proxy(&self) -> (Option<&ProxySetting>, Option<&Secret>, &'static str) {
        match (&self.settings.proxy, &self.app.proxy) {
            (Some(own), _) => (
                Some(own),
                self.proxy_credentials.as_ref(),
                "this connector's",
            ),
            (None, Some(app)) => (Some(app), self.app.proxy_credentials.as_ref(), "the app's"),
            (None, None) => (None, None, ""),
        }
    }

    /// A hash of everything [`Route::apply`] builds a client from (the credentials among them,
    /// hashed, never kept), so clients can be shared between connections that go out alike.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hash = std::collections::hash_map::DefaultHasher::new();
        self.settings.stored().hash(&mut hash);
        format!("{:?}", self.app.proxy).hash(&mut hash);
        self.app.ca_pem.hash(&mut hash);
        for credentials in [&self.proxy_credentials, &self.app.proxy_credentials] {
            credentials.as_ref().map(Secret::expose).hash(&mut hash);
        }
        format!("{:?}", self.desktop()).hash(&mut hash);
        hash.finish()
    }

    /// Whether requests going this way need nothing reqwest's defaults lack: no proxy setting
    /// besides the environment's, no desktop proxy, no extra CA.
    pub fn is_plain(&self) -> bool {
        let (proxy, _, _) = self.proxy();
        matches!(proxy, None | Some(ProxySetting::System))
            && self.settings.ca_pem.is_none()
            && self.app.ca_pem.is_none()
            && self.desktop().is_none()
    }

    /// The hosts of the proxies this route names (explicit, or the desktop's), lower-cased.
    pub fn proxy_hosts(&self) -> Vec<String> {
        let host = |url: &str| Some(url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase());
        match self.proxy().0 {
            Some(ProxySetting::Explicit { url }) => host(url).into_iter().collect(),
            Some(ProxySetting::Direct) => Vec::new(),
            Some(ProxySetting::System) | None => match self.desktop() {
                Some(desktop) => ["http", "https"]
                    .iter()
                    .filter_map(|scheme| host(desktop.for_scheme(scheme)?))
                    .collect(),
                None => Vec::new(),
            },
        }
    }

    /// The desktop's proxy, when the system's is in use and the environment names none.
    fn desktop(&self) -> Option<desktop::DesktopProxy> {
        matches!(self.proxy().0, None | Some(ProxySetting::System))
            .then(|| system_proxy().is_none())
            .filter(|none_in_env| *none_in_env)
            .and_then(|_| desktop::desktop_proxy())
    }

    /// What a diagnosis says of the route: the proxy (whose) and the extra CAs, when not the
    /// system's defaults.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        let (proxy, credentials, whose) = self.proxy();
        match proxy {
            Some(ProxySetting::Explicit { url }) => parts.push(format!(
                "through {whose} proxy {url}{}",
                // A view without the secret (`connector show`) still knows it is stored.
                if credentials.is_some()
                    || (self.settings.proxy.is_some() && self.settings.proxy_credentials_set)
                {
                    " (with its stored credentials)"
                } else {
                    ""
                }
            )),
            Some(ProxySetting::Direct) => parts.push(format!("without a proxy ({whose} setting)")),
            Some(ProxySetting::System) | None => {
                if let Some(proxy) = system_proxy() {
                    parts.push(format!("through the system proxy {proxy}"));
                }
                match self.desktop() {
                    Some(desktop::DesktopProxy::Automatic) => parts.push(
                        "straight out: the desktop's automatic proxy configuration (PAC) is not \
                         followed; set the proxy in Patchbay's Settings if one is needed"
                            .to_owned(),
                    ),
                    Some(desktop) => {
                        let proxies: Vec<&str> = ["https", "http"]
                            .iter()
                            .filter_map(|scheme| desktop.for_scheme(scheme))
                            .collect();
                        parts.push(format!(
                            "through the desktop's proxy {} (its settings)",
                            proxies.join(" and ")
                        ));
                    }
                    None => {}
                }
            }
        }
        for (pem, whose) in [
            (&self.settings.ca_pem, "this connector's"),
            (&self.app.ca_pem, "the app's"),
        ] {
            if let Some(pem) = pem {
                let count = pem.matches("-----BEGIN CERTIFICATE-----").count();
                parts.push(format!(
                    "trusting {count} extra CA certificate{} ({whose}) as well as the system's",
                    if count == 1 { "" } else { "s" }
                ));
            }
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// `builder` going out this way.
    pub(crate) fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, String> {
        let (proxy, credentials, _) = self.proxy();
        match proxy {
            None | Some(ProxySetting::System) => {
                if let Some(desktop) = self.desktop() {
                    for scheme in ["http", "https"] {
                        if let Some(url) = desktop.for_scheme(scheme) {
                            let proxy = if scheme == "http" {
                                reqwest::Proxy::http(url)
                            } else {
                                reqwest::Proxy::https(url)
                            }
                            .map_err(|error| format!("the desktop's proxy {url}: {error}"))?
                            .no_proxy(desktop.no_proxy());
                            builder = builder.proxy(proxy);
                        }
                    }
                }
            }
            Some(ProxySetting::Direct) => builder = builder.no_proxy(),
            Some(ProxySetting::Explicit { url }) => {
                let url = proxy_url(url).map_err(|error| error.to_string())?;
                let mut proxy = reqwest::Proxy::all(url.as_str())
                    .map_err(|error| format!("the proxy URL cannot be used: {error}"))?;
                if let Some(credentials) = credentials {
                    let (user, password) = credentials
                        .expose()
                        .split_once(':')
                        .unwrap_or((credentials.expose(), ""));
                    proxy = proxy.basic_auth(user, password);
                }
                builder = builder.proxy(proxy);
            }
        }
        for pem in [&self.settings.ca_pem, &self.app.ca_pem]
            .into_iter()
            .flatten()
        {
            for certificate in certificates(pem).map_err(|error| error.to_string())? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connectors_timeouts_override_the_apps_and_only_where_set() {
        let base = Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
        };
        let own = ConnectorNetwork {
            request_timeout_secs: Some(120),
            ..Default::default()
        };
        let used = own.timeouts(base);
        assert_eq!(used.connect, Duration::from_secs(10));
        assert_eq!(used.request, Duration::from_secs(120));
    }

    #[test]
    fn bad_timeouts_are_refused_with_the_limit() {
        for (network, expected) in [
            (
                ConnectorNetwork {
                    connect_timeout_secs: Some(0),
                    ..Default::default()
                },
                "at least 1 second",
            ),
            (
                ConnectorNetwork {
                    request_timeout_secs: Some(MAX_REQUEST_TIMEOUT_SECS + 1),
                    ..Default::default()
                },
                "at most 3600 seconds",
            ),
        ] {
            let error = network.validated().err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains(expected)),
                "{error:?}"
            );
        }
    }

    #[test]
    fn routes_that_go_out_alike_share_a_fingerprint_and_only_they() {
        let through = |credentials: Option<&str>| Route {
            settings: ConnectorNetwork {
                proxy: Some(ProxySetting::Explicit {
                    url: "http://proxy.corp:3128".into(),
                }),
                ..Default::default()
            },
            proxy_credentials: credentials.map(Secret::new),
            app: AppRoute::default(),
        };
        assert_eq!(through(None).fingerprint(), through(None).fingerprint());
        assert_ne!(through(None).fingerprint(), Route::default().fingerprint());
        assert_ne!(
            through(Some("a:1")).fingerprint(),
            through(Some("a:2")).fingerprint()
        );
    }

    #[test]
    fn stored_text_round_trips_and_unknown_text_is_the_default() {
        assert_eq!(ConnectorNetwork::default().stored(), None);
        let own = ConnectorNetwork {
            connect_timeout_secs: Some(3),
            ..Default::default()
        };
        let text = own.stored();
        assert_eq!(text.as_deref(), Some(r#"{"connect_timeout_secs":3}"#));
        assert_eq!(ConnectorNetwork::from_stored(text.as_deref()), own);
        assert_eq!(
            ConnectorNetwork::from_stored(Some("not json")),
            ConnectorNetwork::default()
        );
        // A setting a newer version added is ignored, the rest kept.
        assert_eq!(
            ConnectorNetwork::from_stored(Some(r#"{"connect_timeout_secs":3,"future":"x"}"#)),
            own
        );
    }

    #[test]
    fn an_edit_keeps_sets_or_resets_each_setting() {
        let current = ConnectorNetwork {
            connect_timeout_secs: Some(3),
            request_timeout_secs: Some(90),
            ..Default::default()
        };
        let edit = NetworkEdit {
            connect_timeout_secs: Change::Default,
            ..Default::default()
        };
        let (after, credentials) = edit.apply(&current);
        assert_eq!(
            after,
            ConnectorNetwork {
                request_timeout_secs: Some(90),
                ..Default::default()
            }
        );
        assert_eq!(credentials, Change::Keep);
        assert!(NetworkEdit::default().is_empty());
    }

    #[test]
    fn proxy_credentials_follow_their_proxy() {
        let proxy = |url: &str| ProxySetting::Explicit { url: url.into() };
        let current = ConnectorNetwork {
            proxy: Some(proxy("http://proxy.corp:3128")),
            proxy_credentials_set: true,
            ..Default::default()
        };
        // Another proxy without credentials: the old ones are not sent to it.
        let (after, credentials) = NetworkEdit {
            proxy: Change::Set(proxy("http://other.corp:8080")),
            ..Default::default()
        }
        .apply(&current);
        assert_eq!(credentials, Change::Default);
        assert!(!after.proxy_credentials_set);
        // Back to the system's proxy: deleted.
        let (after, credentials) = NetworkEdit {
            proxy: Change::Default,
            ..Default::default()
        }
        .apply(&current);
        assert_eq!(credentials, Change::Default);
        assert_eq!(after.proxy, None);
        // A timeout change keeps them.
        let (after, credentials) = NetworkEdit {
            request_timeout_secs: Change::Set(9),
            ..Default::default()
        }
        .apply(&current);
        assert_eq!(credentials, Change::Keep);
        assert!(after.proxy_credentials_set);
    }

    #[test]
    fn proxy_urls_and_ca_files_are_checked() {
        assert!(proxy_url("http://127.0.0.1:3128").is_ok());
        for bad in [
            "socks5://127.0.0.1:1080",
            "http://user:pw@proxy:3128",
            "proxy:3128",
        ] {
            assert!(proxy_url(bad).is_err(), "{bad}");
        }
        assert!(certificates("not a certificate").is_err());
        assert!(certificates(&"x".repeat(MAX_CA_PEM_BYTES + 1)).is_err());
        let describe = Route {
            settings: ConnectorNetwork {
                proxy: Some(ProxySetting::Explicit {
                    url: "http://proxy.corp:3128/".into(),
                }),
                proxy_credentials_set: true,
                ..Default::default()
            },
            proxy_credentials: Some(Secret::new("alice:pw")),
            app: AppRoute::default(),
        }
        .describe()
        .unwrap_or_default();
        assert!(
            describe.contains(
                "through this connector's proxy http://proxy.corp:3128/ (with its stored credentials)"
            ),
            "{describe}"
        );
    }
}
