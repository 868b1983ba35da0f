//! The HTTP client of an OAuth session whenever rmcp's own will not do: rmcp's OAuth state
//! machine sends every request through it ([`AuthorizationManager::new_with_oauth_http_client`]).
//! It is used when the connector's requests go through an explicit proxy, straight past the
//! system's, or trust extra CA certificates ([`Route`]: discovery, registration and token
//! requests must go the same way as the MCP requests, or a sign-in behind a corporate proxy
//! fails), and with a DPoP authorization server, where it adds a proof to each token request (a
//! form POST with `grant_type`: the code exchange and refreshes), retrying once with the server's
//! nonce when it answers `use_dpop_nonce`.
//!
//! rmcp builds its own client for [`AuthorizationManager::new`] with an address policy that is
//! private to it, so this one carries its own, the same rule (hand-written for that reason): a
//! host named by discovered metadata may resolve to a loopback or private address only when the
//! MCP server's URL names one of the same class (a loopback or private IP literal, or
//! `localhost`); link-local (cloud instance metadata), unspecified, multicast, broadcast and
//! reserved addresses are never connected to. Proxy hosts (the environment's and the route's)
//! are not filtered (the proxy resolves the target). Bodies are capped at 1 MiB and redirects
//! at 10, as rmcp does.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use oauth2::{HttpRequest, HttpResponse};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rmcp::transport::auth::{
    AuthError, AuthorizationManager, OAuthHttpClient, OAuthHttpClientError, OAuthHttpClientFuture,
    OAuthHttpRedirectPolicy, OAuthHttpRequest,
};
use url::Url;

use super::dpop::{Dpop, NONCE_HEADER, PROOF_HEADER, wants_nonce};
use crate::network::Route;

const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_BODY: usize = 1024 * 1024;
const MAX_REDIRECTS: usize = 10;
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// An rmcp authorization manager for `server_url` whose requests go `route`'s way and whose
/// token requests prove possession of `dpop`'s key, if there is one; rmcp's own when neither
/// changes anything.
pub async fn manager(
    server_url: &Url,
    route: &Route,
    dpop: Option<Arc<Dpop>>,
) -> Result<AuthorizationManager, AuthError> {
    if dpop.is_none() && route.is_plain() {
        return AuthorizationManager::new(server_url.as_str()).await;
    }
    let client = RoutedHttpClient::new(server_url, route, dpop)?;
    AuthorizationManager::new_with_oauth_http_client(server_url.as_str(), Arc::new(client)).await
}

/// The HTTP client for OAuth requests to `server_url`'s authorization servers outside a
/// manager (token exchanges rmcp runs on a client it is handed): rmcp's own when `route`
/// changes nothing.
pub fn client(server_url: &Url, route: &Route) -> Result<Box<dyn OAuthHttpClient>, AuthError> {
    if route.is_plain() {
        return Ok(Box::new(rmcp::transport::auth::default_oauth_http_client()?));
    }
    Ok(Box::new(RoutedHttpClient::new(server_url, route, None)?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    Loopback,
    Private,
    Blocked,
}

fn class(address: IpAddr) -> Class {
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match address {
        IpAddr::V4(v4) => {
            let [first, second, ..] = v4.octets();
            if v4.is_loopback() {
                Class::Loopback
            } else if v4.is_private() || (first == 100 && (64..=127).contains(&second)) {
                Class::Private
            } else if v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || first == 0
                || first >= 240
            {
                Class::Blocked
            } else {
                Class::Public
            }
        }
        IpAddr::V6(v6) => {
            let [first, second, ..] = v6.segments();
            if v6.is_loopback() {
                Class::Loopback
            } else if first & 0xfe00 == 0xfc00 {
                Class::Private
            } else if v6.is_unspecified()
                || v6.is_multicast()
                || first & 0xffc0 == 0xfe80
                || (first == 0x2001 && second == 0x0db8)
            {
                Class::Blocked
            } else {
                Class::Public
            }
        }
    }
}

/// The host as an IP address, if it is one (the address rule `ensure_openable` uses too).
fn literal(url: &Url) -> Option<IpAddr> {
    crate::oauth::host_address(url)
}

/// Which addresses this session may connect to.
#[derive(Debug, Clone)]
struct Policy {
    base: Option<IpAddr>,
    /// Loopback or private, when the MCP server's URL names such a host.
    also: Option<Class>,
    proxies: Arc<[String]>,
}

impl Policy {
    fn new(server_url: &Url, route: &Route) -> Self {
        let base = literal(server_url);
        let also = match (base, server_url.host_str()) {
            (Some(address), _) => Some(class(address)),
            (None, Some(host)) if host.eq_ignore_ascii_case("localhost") => Some(Class::Loopback),
            _ => None,
        }
        .filter(|class| matches!(class, Class::Loopback | Class::Private));
        let proxies = PROXY_VARIABLES
            .iter()
            .filter_map(|variable| std::env::var(variable).ok())
            .filter_map(|proxy| {
                let proxy = if proxy.contains("://") {
                    proxy
                } else {
                    format!("http://{proxy}")
                };
                Some(Url::parse(&proxy).ok()?.host_str()?.to_ascii_lowercase())
            })
            .chain(route.proxy_hosts())
            .collect();
        Self {
            base,
            also,
            proxies,
        }
    }

    fn allows(&self, address: IpAddr) -> bool {
        match class(address) {
            Class::Public => true,
            Class::Blocked => false,
            other => Some(other) == self.also,
        }
    }

    /// IP-literal hosts are connected to without resolving: checked here.
    fn allows_url(&self, url: &Url) -> bool {
        literal(url).is_none_or(|address| self.base == Some(address) || self.allows(address))
    }
}

impl Resolve for Policy {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let exempt = policy.proxies.contains(&host.to_ascii_lowercase());
            let lookup = host.clone();
            let addresses: Vec<SocketAddr> =
                tokio::task::spawn_blocking(move || (lookup.as_str(), 0).to_socket_addrs())
                    .await??
                    .filter(|address| exempt || policy.allows(address.ip()))
                    .collect();
            if addresses.is_empty() {
                return Err(
                    format!("{host} resolves to no address Patchbay may connect to").into(),
                );
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

struct RoutedHttpClient {
    follow: reqwest::Client,
    stop: reqwest::Client,
    policy: Policy,
    dpop: Option<Arc<Dpop>>,
}

fn boxed(error: impl Into<OAuthHttpClientError>) -> OAuthHttpClientError {
    error.into()
}

impl RoutedHttpClient {
    fn new(server_url: &Url, route: &Route, dpop: Option<Arc<Dpop>>) -> Result<Self, AuthError> {
        let policy = Policy::new(server_url, route);
        let resolver = Arc::new(policy.clone());
        let redirects = policy.clone();
        let follow = reqwest::redirect::Policy::custom(move |attempt| {
            if !redirects.allows_url(attempt.url()) {
                let refused = format!("redirect to {} refused: address not allowed", attempt.url());
                attempt.error(refused)
            } else if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else {
                attempt.follow()
            }
        });
        let build = |redirect: reqwest::redirect::Policy| {
            let builder = reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(redirect)
                .dns_resolver(resolver.clone());
            route
                .apply(builder)
                .map_err(AuthError::InternalError)?
                .build()
                .map_err(|error| AuthError::InternalError(error.to_string()))
        };
        Ok(Self {
            follow: build(follow)?,
            stop: build(reqwest::redirect::Policy::none())?,
            policy,
            dpop,
        })
    }

    async fn send(
        &self,
        request: &HttpRequest,
        redirect: OAuthHttpRedirectPolicy,
    ) -> Result<HttpResponse, OAuthHttpClientError> {
        let mut request = request.clone();
        let url = Url::parse(&request.uri().to_string()).map_err(boxed)?;
        if !self.policy.allows_url(&url) {
            return Err(boxed(format!("{url} refused: address not allowed")));
        }
        if let Some(dpop) = &self.dpop
            && is_token_request(&request)
        {
            let proof = dpop.proof("POST", &url, None).map_err(boxed)?;
            request
                .headers_mut()
                .insert(PROOF_HEADER, proof.parse().map_err(boxed)?);
        }
        let client = match redirect {
            OAuthHttpRedirectPolicy::Stop => &self.stop,
            _ => &self.follow,
        };
        let response = client
            .execute(reqwest::Request::try_from(request).map_err(boxed)?)
            .await
            .map_err(boxed)?;
        let nonce = response
            .headers()
            .get(NONCE_HEADER)
            .and_then(|value| value.to_str().ok());
        if let Some(dpop) = &self.dpop {
            dpop.remember_nonce(&url, nonce);
        }
        let mut builder = oauth2::http::Response::builder()
            .status(response.status())
            .version(response.version());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(boxed)?;
            if chunk.len() > MAX_BODY - body.len() {
                return Err(boxed(format!(
                    "the response is larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(boxed)
    }
}

/// A token request: a form POST with a `grant_type`.
fn is_token_request(request: &HttpRequest) -> bool {
    request.method() == oauth2::http::Method::POST
        && url::form_urlencoded::parse(request.body()).any(|(name, _)| name == "grant_type")
}

/// A token endpoint's `use_dpop_nonce` answer (RFC 9449 §8: 400 with that error).
fn asks_for_nonce(response: &HttpResponse) -> bool {
    response.status() == oauth2::http::StatusCode::BAD_REQUEST
        && response.headers().contains_key(NONCE_HEADER)
        && wants_nonce(&String::from_utf8_lossy(response.body()))
}

impl OAuthHttpClient for RoutedHttpClient {
    fn execute(&self, request: OAuthHttpRequest) -> OAuthHttpClientFuture<'_> {
        Box::pin(async move {
            let redirect = request.redirect_policy;
            let response = self.send(&request.request, redirect).await?;
            if self.dpop.is_some()
                && is_token_request(&request.request)
                && asks_for_nonce(&response)
            {
                // The nonce is remembered; the same request goes once more with it.
                return self.send(&request.request, redirect).await;
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn internal_addresses_only_for_a_server_that_is_itself_internal() {
        let public = Policy::new(&url("https://mcp.example.com/mcp"), &Route::default());
        let loopback = Policy::new(&url("http://localhost:3000/mcp"), &Route::default());
        let private = Policy::new(&url("http://10.0.0.5/mcp"), &Route::default());
        let metadata: IpAddr = [169, 254, 169, 254].into();
        let home: IpAddr = [127, 0, 0, 1].into();
        let office: IpAddr = [192, 168, 1, 9].into();
        let outside: IpAddr = [93, 184, 215, 14].into();
        for policy in [&public, &loopback, &private] {
            assert!(!policy.allows(metadata), "cloud metadata is never reached");
            assert!(policy.allows(outside));
        }
        assert!(!public.allows(home) && !public.allows(office));
        assert!(loopback.allows(home) && !loopback.allows(office));
        assert!(private.allows(office) && !private.allows(home));
        let mapped: IpAddr = "::ffff:169.254.169.254"
            .parse()
            .unwrap_or_else(|_| panic!("an address"));
        assert!(
            !loopback.allows(mapped),
            "IPv4-mapped spellings are unwrapped"
        );
        assert!(!public.allows_url(&url("http://127.0.0.1:9/token")));
        assert!(loopback.allows_url(&url("http://127.0.0.1:9/token")));
    }

    #[test]
    fn an_explicit_proxy_is_exempt_and_a_plain_route_keeps_rmcps_client() {
        use crate::network::{AppRoute, ConnectorNetwork, ProxySetting};
        let through = |url: &str| Route {
            app: AppRoute {
                proxy: Some(ProxySetting::Explicit { url: url.into() }),
                ..AppRoute::default()
            },
            ..Route::default()
        };
        let policy = Policy::new(
            &url("https://mcp.example.com/mcp"),
            &through("http://Proxy.Corp:3128"),
        );
        assert!(policy.proxies.contains(&"proxy.corp".to_owned()));
        assert!(Route::default().is_plain());
        assert!(!through("http://proxy.corp:3128").is_plain());
        let own_ca = Route {
            settings: ConnectorNetwork {
                ca_pem: Some("pem".into()),
                ..ConnectorNetwork::default()
            },
            ..Route::default()
        };
        assert!(!own_ca.is_plain());
        let direct = Route {
            settings: ConnectorNetwork {
                proxy: Some(ProxySetting::Direct),
                ..ConnectorNetwork::default()
            },
            ..Route::default()
        };
        assert!(!direct.is_plain() && direct.proxy_hosts().is_empty());
    }

    #[test]
    fn only_form_posts_with_a_grant_type_are_token_requests() {
        let request = |method: &str, body: &str| {
            oauth2::http::Request::builder()
                .method(method)
                .uri("https://as.example/token")
                .body(body.as_bytes().to_vec())
                .unwrap_or_else(|_| panic!("a request"))
        };
        assert!(is_token_request(&request(
            "POST",
            "grant_type=authorization_code&code=x"
        )));
        assert!(is_token_request(&request(
            "POST",
            "code=x&grant_type=refresh_token"
        )));
        assert!(!is_token_request(&request(
            "POST",
            r#"{"client_name":"Patchbay"}"#
        )));
        assert!(!is_token_request(&request("GET", "grant_type=x")));
    }
}
