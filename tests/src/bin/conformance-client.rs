//! The client under test for the official MCP conformance suite
//! (`@modelcontextprotocol/conformance client --command target/debug/conformance-client`).
//! It runs each scenario with patchbay-core's own MCP client and OAuth code; the only stand-in is
//! the browser: a headless one that fetches the authorization URL without following redirects
//! and delivers the redirect to Patchbay's loopback listener, as a real browser would.
//!
//! The suite appends the server URL as the last argument and names the scenario in
//! `MCP_CONFORMANCE_SCENARIO` (context, e.g. pre-registered client credentials, a signing key or
//! an enterprise ID token, in `MCP_CONFORMANCE_CONTEXT`). Elicitation requests are answered by
//! patchbay-core's `AcceptDefaults` responder, the automatic stand-in for the person.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use patchbay_core::mcp::elicitation::AcceptDefaults;
use patchbay_core::mcp::{CallError, Endpoint, OAuthCredentials, Session};
use patchbay_core::oauth::{
    self, ClientAuth, ClientChoice, CrossAppAccess, Grant, IdentityProvider, MachineClient,
};
use patchbay_core::secret::Secret;
use serde_json::{Map, Value, json};
use url::Url;

#[derive(Default, serde::Deserialize)]
struct Context_ {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    /// private_key_jwt (auth/client-credentials-jwt).
    #[serde(default)]
    private_key_pem: Option<String>,
    #[serde(default)]
    signing_algorithm: Option<String>,
    /// Enterprise cross-app access (auth/cross-app-access-complete-flow).
    #[serde(default)]
    idp_client_id: Option<String>,
    #[serde(default)]
    idp_id_token: Option<String>,
    #[serde(default)]
    idp_issuer: Option<String>,
    #[serde(default)]
    idp_token_endpoint: Option<String>,
    #[serde(default, alias = "toolCalls")]
    tool_calls: Vec<ToolCall>,
}

#[derive(serde::Deserialize)]
struct ToolCall {
    name: String,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
}

/// Fetches the authorization URL like a browser whose user clicks "Allow", without following
/// the redirect; then follows it to the redirect URI (Patchbay's loopback listener).
async fn headless_browser(url: Url) -> Result<(), patchbay_core::oauth::sign_in::BrowserError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            format!(
                "the authorization server answered {} without a redirect",
                response.status()
            )
        })?
        .to_owned();
    // Deliver the callback in the background: `authorize` is waiting on the loopback listener.
    tokio::spawn(async move {
        if let Err(error) = reqwest::get(&location).await {
            eprintln!("delivering the callback: {error}");
        }
    });
    Ok(())
}

async fn sign_in(server: &Url, client: ClientChoice, challenge: Option<String>) -> Result<Grant> {
    Ok(oauth::authorize(
        server,
        client,
        challenge,
        Duration::from_secs(20),
        &oauth::done_page(None),
        headless_browser,
    )
    .await?)
}

fn endpoint(server: &Url, grant: Option<Grant>) -> Endpoint {
    let mut endpoint = Endpoint::new(server.clone());
    endpoint.elicitation = Some(std::sync::Arc::new(AcceptDefaults));
    endpoint.oauth = grant.map(OAuthCredentials::detached);
    endpoint
}

/// Arguments for a tool from its input schema: each required property gets a plain value.
fn arguments_for(tool: &rmcp::model::Tool) -> Option<Map<String, Value>> {
    let properties = tool.input_schema.get("properties")?.as_object()?;
    let required: Vec<&str> = tool
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut arguments = Map::new();
    for (name, schema) in properties {
        if !required.contains(&name.as_str()) {
            continue;
        }
        let value = match schema.get("type").and_then(Value::as_str) {
            Some("number") => json!(1.0),
            Some("integer") => json!(1),
            Some("boolean") => json!(true),
            _ => json!("test"),
        };
        arguments.insert(name.clone(), value);
    }
    Some(arguments)
}

async fn connect(endpoint: &Endpoint) -> Result<Session> {
    Session::connect(endpoint)
        .await
        .map_err(|diagnosis| anyhow::anyhow!("{}: {}", diagnosis.summary(), diagnosis.hint))
}

/// Lists tools and calls each (or the context's calls); returns the first call error.
async fn exercise(session: &Session, context: &Context_) -> Result<Option<CallError>> {
    let tools = session.list_tools().await?;
    let mut first_error = None;
    if context.tool_calls.is_empty() {
        for tool in &tools {
            if let Err(error) = session.call_tool(&tool.name, arguments_for(tool)).await {
                first_error.get_or_insert(error);
            }
        }
    } else {
        for call in &context.tool_calls {
            session
                .call_tool(&call.name, call.arguments.clone())
                .await?;
        }
    }
    Ok(first_error)
}

async fn run(scenario: &str, server: &Url, context: &Context_) -> Result<()> {
    if !scenario.starts_with("auth/") {
        let session = connect(&endpoint(server, None)).await?;
        let outcome = exercise(&session, context).await;
        session.close().await;
        if let Some(error) = outcome? {
            bail!("a tool call failed: {error}");
        }
        return Ok(());
    }
    // Grants without a browser: the machine client (client credentials) and enterprise access.
    let grant = match scenario {
        "auth/client-credentials-basic" => Some(
            oauth::client_credentials(
                server,
                context
                    .client_id
                    .as_deref()
                    .context("the scenario gives a client id")?,
                &Secret::new(context.client_secret.clone().context("and a secret")?),
            )
            .await?,
        ),
        "auth/client-credentials-jwt" => {
            let client = MachineClient {
                client_id: context
                    .client_id
                    .clone()
                    .context("the scenario gives a client id")?,
                auth: ClientAuth::PrivateKeyJwt {
                    private_key_pem: Secret::new(
                        context
                            .private_key_pem
                            .clone()
                            .context("and a private key")?,
                    ),
                    algorithm: context
                        .signing_algorithm
                        .as_deref()
                        .context("and its algorithm")?
                        .parse()?,
                },
                scopes: Vec::new(),
            };
            Some(oauth::machine_grant(server, &client).await?)
        }
        "auth/cross-app-access-complete-flow" => {
            let access = CrossAppAccess {
                idp: IdentityProvider {
                    issuer: context.idp_issuer.clone().context("the IdP's issuer")?,
                    token_endpoint: context
                        .idp_token_endpoint
                        .clone()
                        .context("its token endpoint")?,
                    client_id: context.idp_client_id.clone().context("the IdP client id")?,
                    client_secret: None,
                },
                id_token: Secret::new(context.idp_id_token.clone().context("an ID token")?),
                client_id: context.client_id.clone().context("the MCP client id")?,
                client_secret: context.client_secret.clone().map(Secret::new),
                scopes: Vec::new(),
            };
            Some(oauth::cross_app_access(server, &access).await?)
        }
        _ => None,
    };
    if let Some(grant) = grant {
        let session = connect(&endpoint(server, Some(grant))).await?;
        let outcome = exercise(&session, context).await;
        session.close().await;
        return match outcome? {
            None => Ok(()),
            Some(error) => bail!("a tool call failed: {error}"),
        };
    }
    // The suite's client ID metadata document URL (what a published Patchbay build would host); servers that
    // support CIMD use it instead of dynamic registration (the suite's mock does not fetch it).
    let mut client = ClientChoice {
        metadata_url: Some("https://conformance-test.local/client-metadata.json".into()),
        ..ClientChoice::default()
    };
    if scenario == "auth/pre-registration" {
        client.client_id = context.client_id.clone();
        client.client_secret = context.client_secret.clone().map(Secret::new);
    }
    let mut challenge = None;
    // Step-up: a 403 insufficient_scope sends us back to the authorization server with the
    // challenge's scope, a bounded number of times.
    for attempt in 0..3 {
        let grant = sign_in(server, client.clone(), challenge.take()).await?;
        let session = connect(&endpoint(server, Some(grant))).await?;
        let outcome = exercise(&session, context).await;
        session.close().await;
        match outcome? {
            None => return Ok(()),
            Some(CallError::InsufficientScope {
                challenge: header, ..
            }) => {
                eprintln!("attempt {attempt}: insufficient scope; signing in again with more");
                challenge = Some(header);
            }
            Some(error) => bail!("a tool call failed: {error}"),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    // RUST_LOG (e.g. rmcp=debug,reqwest=debug) explains a failing scenario: the suite keeps the
    // client's stderr with its results (`-o DIR`).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let scenario =
        std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_else(|_| "initialize".into());
    let server: Url = std::env::args()
        .next_back()
        .context("the server URL is the last argument")?
        .parse()?;
    let context: Context_ = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    tokio::time::timeout(Duration::from_secs(25), run(&scenario, &server, &context))
        .await
        .map_err(|_| anyhow::anyhow!("scenario {scenario} timed out"))?
}
