//! How the CLI prints: aligned text for people, JSON (`--json`) for scripts. Data goes to
//! stdout; progress, confirmations and errors go to stderr.

use patchbay_core::{
    ClientAuthentication, ConnectorView, Diagnosis, OAuthClientView, RegistrationMethod, Saved,
    Workspace,
};
use rmcp::model::{Prompt, Resource};
use serde::Serialize;

use crate::Failure;

pub fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::Other(e.to_string()))?;
    // As serde wrote it: control characters are escaped in JSON strings.
    crate::term::out(&format!("{text}\n"));
    Ok(())
}

pub fn workspaces(workspaces: &[Workspace], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&workspaces);
    }
    for workspace in workspaces {
        println!("{}", workspace.name);
    }
    Ok(())
}

fn status_label(connector: &ConnectorView) -> &'static str {
    if connector.paused {
        return "paused";
    }
    match connector.status {
        patchbay_core::ConnectorStatus::Unknown => "not checked",
        patchbay_core::ConnectorStatus::Connected => "connected",
        patchbay_core::ConnectorStatus::Disconnected => "disconnected",
        patchbay_core::ConnectorStatus::NeedsAuth => "needs authentication",
        patchbay_core::ConnectorStatus::Error => "error",
    }
}

pub fn connectors(connectors: &[ConnectorView], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&connectors);
    }
    if connectors.is_empty() {
        eprintln!(
            "No connectors yet. Add one with `patchbay connector add --name NAME --url URL`."
        );
        return Ok(());
    }
    let name_width = connectors
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let status_width = connectors
        .iter()
        .map(|c| status_label(c).len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:<name_width$}  {:<6}  {:<status_width$}  URL",
        "NAME", "AUTH", "STATUS"
    );
    for connector in connectors {
        println!(
            "{:<name_width$}  {:<6}  {:<status_width$}  {}",
            connector.name,
            connector.auth.as_str(),
            status_label(connector),
            connector.url
        );
    }
    Ok(())
}

/// `connector show --json`: the connector's view plus, for OAuth connectors, its client (never
/// a secret or key).
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    connector: &'a ConnectorView,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_client: Option<&'a OAuthClientView>,
}

fn client_line(client: &OAuthClientView) -> String {
    let how = match client.method {
        RegistrationMethod::ClientCredentials => "machine client, client-credentials grant",
        RegistrationMethod::PreRegistered => "pre-registered",
        RegistrationMethod::MetadataDocument => "client ID metadata document",
        RegistrationMethod::Dynamic => "dynamically registered",
    };
    let proof = match client.authentication {
        ClientAuthentication::None => "",
        ClientAuthentication::ClientSecret => ", client secret (hidden)",
        ClientAuthentication::PrivateKeyJwt => ", private_key_jwt (key hidden)",
    };
    format!("{:?} ({how}{proof})", client.client_id)
}

pub fn connector(
    connector: &ConnectorView,
    client: Option<&OAuthClientView>,
    json: bool,
) -> Result<(), Failure> {
    if json {
        return print_json(&Shown {
            connector,
            oauth_client: client,
        });
    }
    println!("Name:          {}", connector.name);
    println!("Workspace:     {}", connector.workspace);
    println!("URL:           {}", connector.url);
    println!("Auth:          {}", connector.auth.as_str());
    if connector.auth == patchbay_core::AuthKind::Token {
        println!(
            "Token:         {}",
            if connector.token_set {
                "set"
            } else {
                "not set"
            }
        );
    }
    if let Some(client) = client {
        println!("OAuth client:  {}", client_line(client));
        if let Some(issuer) = &client.issuer {
            println!("Issuer:        {issuer}");
        }
    }
    if !connector.header_names.is_empty() {
        println!(
            "Headers:       {} (values hidden)",
            connector.header_names.join(", ")
        );
    }
    println!("Status:        {}", status_label(connector));
    println!(
        "Last checked:  {}",
        connector.last_checked_at.as_deref().unwrap_or("never")
    );
    if let Some(error) = &connector.last_error {
        println!("Last error:    {error}");
    }
    if let Some(count) = connector.tool_count {
        println!("Tools:         {count} (at the last check that listed them)");
    }
    if connector.paused {
        println!("Paused:        yes (not checked, not offered to steps)");
    }
    if let Some(seconds) = connector.network.connect_timeout_secs {
        println!("Connect timeout: {seconds} s (its own)");
    }
    if let Some(seconds) = connector.network.request_timeout_secs {
        println!("Request timeout: {seconds} s (its own; progress notifications extend a call)");
    }
    if let Some(route) = connector.network.describe() {
        println!("Network:       {route}");
    }
    if connector.muted {
        println!("Notifications: off for this connector");
    }
    println!("Created:       {}", connector.created_at);
    println!("Updated:       {}", connector.updated_at);
    Ok(())
}

/// What was saved and how its test went. A saved connector whose test did not pass (a sign-in
/// kept although the server wants more scope) says what is wrong and, when signing in again is
/// the fix, the command for it (`login`).
pub fn saved(saved: &Saved, verb: &str, login: &str, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(saved);
    }
    match &saved.diagnosis {
        Some(diagnosis) if !diagnosis.ok => {
            let then = match diagnosis.remedy {
                Some(patchbay_core::Remedy::SignInAgain) => {
                    format!("; sign in again with: {login}")
                }
                _ => String::new(),
            };
            eprintln!(
                "{verb} {:?}, but it cannot be used yet: {} — {}{then}",
                saved.connector.name, diagnosis.detail, diagnosis.hint
            );
        }
        Some(diagnosis) => eprintln!(
            "{verb} {:?}: {}",
            saved.connector.name,
            success_line(diagnosis)
        ),
        None => eprintln!("{verb} {:?} without testing it.", saved.connector.name),
    }
    Ok(())
}

fn success_line(diagnosis: &Diagnosis) -> String {
    let server = match (&diagnosis.server_name, &diagnosis.server_version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.clone(),
        _ => "server".into(),
    };
    format!(
        "connected to {server} (protocol {}, {} tools, {} ms)",
        diagnosis.protocol_version.as_deref().unwrap_or("?"),
        diagnosis
            .tool_count
            .map_or("?".into(), |count| count.to_string()),
        diagnosis.latency_ms
    )
}

pub fn diagnosis(diagnosis: &Diagnosis, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(diagnosis);
    }
    if diagnosis.ok {
        println!("OK: {}", success_line(diagnosis));
        if let Some(transport) = diagnosis.transport {
            println!(
                "Transport: {}",
                serde_json::to_value(transport).map_or_else(
                    |_| String::new(),
                    |v| v.as_str().unwrap_or_default().to_owned()
                )
            );
        }
        if let Some(route) = &diagnosis.route {
            println!("Network: {route}");
        }
    }
    Ok(())
}

/// The extra lines printed under a failed connection's error line.
pub fn diagnosis_details(diagnosis: &Diagnosis) {
    eprintln!("  stage: {}", diagnosis.stage.label());
    if let Some(status) = diagnosis.http_status {
        eprintln!("  HTTP status: {status}");
    }
    eprintln!("  after: {} ms", diagnosis.latency_ms);
    if let Some(route) = &diagnosis.route {
        eprintln!("  network: {route}");
    }
}

pub fn resources(resources: &[Resource], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&resources);
    }
    for resource in resources {
        println!("{}\t{}", resource.uri, resource.name);
    }
    Ok(())
}

pub fn prompts(prompts: &[Prompt], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&prompts);
    }
    for prompt in prompts {
        println!(
            "{}\t{}",
            prompt.name,
            prompt.description.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}
