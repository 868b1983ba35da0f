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
use patchbay_core::network::Route;
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
    /// Workload identity (auth/wif-jwt-bearer): the platform's JWT for this server.
    #[serde(default)]
    valid_jwt: Option<String>,
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

/// The tool a server offers to see what a client kept of another tool's input schema: it is
/// called with each other tool's `inputSchema`, as listed, under `schema`.
const SCHEMA_ECHO: &str = "json_schema_echo";

/// Lists tools and calls each (or the context's calls); returns the first error a new sign-in
/// could fix (the listing refused for lack of scope or for a token no longer accepted, or a call
/// refused for lack of scope) or the first call error.
async fn exercise(session: &Session, context: &Context_) -> Result<Option<CallError>> {
    let tools = match session.list_tools().await {
        Ok(tools) => tools,
        Err(error @ (CallError::InsufficientScope { .. } | CallError::Unauthorized { .. })) => {
            return Ok(Some(error));
        }
        Err(error) => return Err(error.into()),
    };
    let mut first_error = None;
    if context.tool_calls.is_empty() {
        for tool in &tools {
            let calls: Vec<Option<Map<String, Value>>> = if tool.name == SCHEMA_ECHO {
                tools
                    .iter()
                    .filter(|other| other.name != SCHEMA_ECHO)
                    .map(|other| {
                        let mut arguments = Map::new();
                        arguments.insert(
                            "schema".into(),
                            Value::Object(other.input_schema.as_ref().clone()),
                        );
                        Some(arguments)
                    })
                    .collect()
            } else {
                vec![arguments_for(tool)]
            };
            for arguments in calls {
                match session.call_tool(&tool.name, arguments).await {
                    Ok(_) => {}
                    // The server answered the call with a JSON-RPC error (a listed tool it
                    // does not run, say): an answer, which the suite judges, not a client fault.
                    Err(CallError::Service(rmcp::ServiceError::McpError(error))) => {
                        eprintln!("{}: the server answered with an error: {error}", tool.name);
                    }
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
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

/// The grant a scenario's context describes. The context's shape decides, not the scenario's
/// name, which changes between suite versions (0.1.16's `auth/cross-app-access-complete-flow`
/// is the alpha's `auth/enterprise-managed-authorization`); only a client ID and secret need
/// the name to tell a machine client from a pre-registered browser client.
async fn machine_grant(scenario: &str, server: &Url, context: &Context_) -> Result<Option<Grant>> {
    if let (Some(id_token), Some(issuer), Some(token_endpoint), Some(idp_client_id)) = (
        &context.idp_id_token,
        &context.idp_issuer,
        &context.idp_token_endpoint,
        &context.idp_client_id,
    ) {
        let access = CrossAppAccess {
            idp: IdentityProvider {
                issuer: issuer.clone(),
                token_endpoint: token_endpoint.clone(),
                client_id: idp_client_id.clone(),
                client_secret: None,
            },
            id_token: Secret::new(id_token.clone()),
            client_id: context.client_id.clone().context("the MCP client id")?,
            client_secret: context.client_secret.clone().map(Secret::new),
            scopes: Vec::new(),
        };
        return Ok(Some(
            oauth::cross_app_access(server, &access, &Route::default()).await?,
        ));
    }
    if let Some(assertion) = &context.valid_jwt {
        let workload = oauth::Workload {
            client_id: context
                .client_id
                .clone()
                .context("the workload's client id")?,
            assertion: Secret::new(assertion.clone()),
            scopes: Vec::new(),
        };
        return Ok(Some(
            oauth::workload_grant(server, &workload, &Route::default()).await?,
        ));
    }
    if let Some(private_key_pem) = &context.private_key_pem {
        let client = MachineClient {
            client_id: context
                .client_id
                .clone()
                .context("the scenario gives a client id")?,
            auth: ClientAuth::PrivateKeyJwt {
                private_key_pem: Secret::new(private_key_pem.clone()),
                algorithm: context
                    .signing_algorithm
                    .as_deref()
                    .context("and its algorithm")?
                    .parse()?,
            },
            scopes: Vec::new(),
        };
        return Ok(Some(
            oauth::machine_grant(server, &client, &Route::default()).await?,
        ));
    }
    if let (Some(client_id), Some(secret)) = (&context.client_id, &context.client_secret)
        && scenario.contains("client-credentials")
    {
        return Ok(Some(
            oauth::client_credentials(server, client_id, &Secret::new(secret.clone())).await?,
        ));
    }
    Ok(None)
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
    let grant = machine_grant(scenario, server, context).await?;
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
    // A client ID the scenario gives (and no machine grant took) is a pre-registered client.
    client.client_id = context.client_id.clone();
    client.client_secret = context.client_secret.clone().map(Secret::new);
    // Step-up: a 403 insufficient_scope sends us back to the authorization server for the
    // scopes already held plus the challenged one (SEP-2350), a bounded number of times.
    let mut grant = sign_in(server, client.clone(), None).await?;
    for attempt in 0..3 {
        let session = connect(&endpoint(server, Some(grant.clone()))).await?;
        let outcome = exercise(&session, context).await;
        session.close().await;
        match outcome? {
            None => return Ok(()),
            Some(CallError::InsufficientScope { required_scope, .. }) if attempt < 2 => {
                eprintln!("attempt {attempt}: insufficient scope; signing in again with more");
                let required = required_scope.context("the refusal names no scope")?;
                let again = oauth::step_up::Reauthentication {
                    server_url: server.clone(),
                    previous: grant.registration()?,
                    scopes: oauth::step_up::union(&oauth::step_up::granted(&grant), &required),
                    required: Some(required),
                };
                grant = oauth::reauthenticate(
                    &again,
                    client.clone(),
                    Duration::from_secs(20),
                    &oauth::done_page(None),
                    headless_browser,
                )
                .await?;
            }
            // The token is refused now (say the server moved to another authorization server,
            // SEP-2352): sign in again as the person would, the stored client kept only where
            // it is registered.
            Some(CallError::Unauthorized { challenge }) if attempt < 2 => {
                eprintln!("attempt {attempt}: the token is refused; signing in again");
                grant = oauth::authorize_again(
                    server,
                    client.clone(),
                    grant.registration()?.as_ref(),
                    Some(challenge),
                    Duration::from_secs(20),
                    &oauth::done_page(None),
                    headless_browser,
                )
                .await?;
            }
            Some(error) => bail!("a tool call failed: {error}"),
        }
    }
    bail!("still refused for lack of scope after signing in three times")
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
