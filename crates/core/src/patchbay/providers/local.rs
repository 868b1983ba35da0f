//! Finding model servers running on this computer, so a person can add one without knowing its
//! address.
//!
//! Only 127.0.0.1 is ever contacted: the address is fixed here, and the probe's HTTP client uses
//! no proxy and follows no redirect, so neither a proxy setting nor an answer can send a probe
//! elsewhere. A port counts only when it answers `GET {base}/models` with a model list within
//! [`PROBE_TIMEOUT`]; a closed port, or some other program on it, is left out. Nothing is saved:
//! the person adds what they pick with [`Patchbay::add_provider`].

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::llm::ProviderKind;
use crate::patchbay::Patchbay;

/// The servers looked for, as `(suggested name, port)`, each at `http://127.0.0.1:PORT/v1`: the
/// default ports of the local servers people install (all speak OpenAI Chat Completions under
/// `/v1`), so a fresh install is found without any setting.
pub const LOCAL_SERVERS: &[(&str, u16)] = &[
    // `ollama serve`.
    ("Ollama", 11434),
    // LM Studio's local server.
    ("LM Studio", 1234),
    // llama.cpp's `llama-server`.
    ("llama.cpp", 8080),
];

/// A local server lists its models in milliseconds; a port this slow is not one.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Far above any real model list; stops a program that streams without end on a probed port.
const MAX_LIST_BYTES: usize = 4 * 1024 * 1024;

/// A model server found on this computer, ready to be added as a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalProvider {
    pub kind: ProviderKind,
    /// What the server is usually called ("Ollama"); the person may pick another name.
    pub suggested_name: String,
    pub base_url: String,
    /// The ids of the models it serves now (possibly none: nothing downloaded yet).
    pub models: Vec<String>,
}

impl Patchbay {
    /// Looks for model servers on this computer's default ports ([`LOCAL_SERVERS`]), all at once;
    /// returns those that answered, in the order of the list.
    pub async fn discover_local_providers(&self) -> Vec<LocalProvider> {
        self.discover_local_providers_on(LOCAL_SERVERS).await
    }

    /// [`Patchbay::discover_local_providers`] on other 127.0.0.1 ports: for tests, whose servers
    /// listen on free ports rather than the default ones.
    #[doc(hidden)]
    pub async fn discover_local_providers_on(
        &self,
        candidates: &[(&str, u16)],
    ) -> Vec<LocalProvider> {
        let http = match reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(PROBE_TIMEOUT)
            .timeout(PROBE_TIMEOUT)
            .user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(http) => http,
            Err(error) => {
                tracing::warn!(%error, "cannot look for local model servers");
                return Vec::new();
            }
        };
        let probes = candidates
            .iter()
            .map(|(name, port)| probe(&http, name, *port));
        futures::future::join_all(probes)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

/// The server on `port`, if a model server answers there.
async fn probe(http: &reqwest::Client, name: &str, port: u16) -> Option<LocalProvider> {
    let base_url = format!("http://127.0.0.1:{port}/v1");
    match model_ids(http, &base_url).await {
        Ok(models) => Some(LocalProvider {
            kind: ProviderKind::OpenAiCompatible,
            suggested_name: name.to_owned(),
            base_url,
            models,
        }),
        Err(reason) => {
            // The usual case (nothing installed), so not worth more than a debug line.
            tracing::debug!(port, reason, "no local model server");
            None
        }
    }
}

/// The model ids `GET {base_url}/models` lists, or why the answer is not a model list.
async fn model_ids(http: &reqwest::Client, base_url: &str) -> Result<Vec<String>, String> {
    let mut response = http
        .get(format!("{base_url}/models"))
        .send()
        .await
        .map_err(|error| error.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| error.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_LIST_BYTES {
            return Err("the answer is too large to be a model list".into());
        }
    }
    let list: Value =
        serde_json::from_slice(&body).map_err(|error| format!("not JSON ({error})"))?;
    // Ollama sends `"data": null` while no model is downloaded.
    match list.get("data") {
        Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(entries)) => Ok(entries
            .iter()
            .filter_map(|entry| entry.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()),
        _ => Err("not a model list".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::LOCAL_SERVERS;

    #[test]
    fn only_the_known_default_ports_are_probed() {
        let ports: Vec<u16> = LOCAL_SERVERS.iter().map(|(_, port)| *port).collect();
        assert_eq!(
            ports,
            vec![11434, 1234, 8080],
            "Ollama, LM Studio, llama.cpp; adding a port means probing someone else's program"
        );
    }
}
