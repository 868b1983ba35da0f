//! What can go wrong talking to a model, sorted into the cases the runner and the front ends act
//! on differently, and the classification of a provider's error answer into them.
//!
//! Invariant: an error never carries a response body, only one line of at most
//! [`MAX_MESSAGE_CHARS`] characters taken from the provider's own error message (bodies can be
//! huge HTML pages, or echo the prompt). Nothing here ever sees the API key.

use std::time::Duration;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// No answer: the connection failed, or the provider went silent past a timeout.
    #[error("could not reach the model provider at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// HTTP 401 or 403: the key is missing, wrong, or lacks access.
    #[error("the model provider refused the API key: {message}")]
    Unauthorized { message: String },
    #[error("the model provider does not offer the model {model:?}: {message}")]
    UnknownModel { model: String, message: String },
    #[error("the conversation is longer than the model's context window: {message}")]
    ContextTooLong { message: String },
    #[error("the model provider is limiting the request rate, try again later: {message}")]
    RateLimited {
        message: String,
        /// From `Retry-After`, when the provider said how long to wait.
        retry_after: Option<Duration>,
    },
    /// Any other error answer. `status` is `None` for an error reported inside a stream.
    #[error("{}", provider_sentence(*status, message))]
    Provider {
        status: Option<u16>,
        message: String,
    },
    /// An answer that is not in the format the provider's API promises.
    #[error("the model provider sent an answer that could not be read: {0}")]
    BadResponse(String),
}

fn provider_sentence(status: Option<u16>, message: &str) -> String {
    match status {
        Some(status) => format!("the model provider answered with HTTP {status}: {message}"),
        None => format!("the model provider reported an error: {message}"),
    }
}

/// The longest provider message an error keeps.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// What an error answer said, read leniently: OpenAI and Anthropic nest an object under `error`,
/// Ollama puts a string there, vLLM and others use a top-level `message` or `detail`.
#[derive(Debug, Default)]
struct ErrorBody {
    message: String,
    /// OpenAI's `code` or Anthropic's / llama.cpp's `type` (`context_length_exceeded`,
    /// `not_found_error`, `exceed_context_size_error`, …).
    codes: Vec<String>,
}

fn read_error_body(body: &str) -> ErrorBody {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        // Plain text is usable; an HTML error page is not.
        let message = if body.trim_start().starts_with('<') {
            String::new()
        } else {
            one_line(body)
        };
        return ErrorBody {
            message,
            codes: Vec::new(),
        };
    };
    let error = value.get("error").unwrap_or(&value);
    let text = |value: &Value, key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let message = match error {
        Value::String(message) => message.clone(),
        _ => [
            text(error, "message"),
            text(&value, "message"),
            text(&value, "detail"),
        ]
        .into_iter()
        .find(|message| !message.is_empty())
        .unwrap_or_default(),
    };
    let codes = ["code", "type"]
        .iter()
        .filter_map(|key| error.get(key).and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    ErrorBody {
        message: one_line(&message),
        codes,
    }
}

/// Classifies an HTTP error answer. `model` is the model the request named, `None` for requests
/// that name none (listing models), where a 404 means a wrong address rather than a wrong model.
pub(crate) fn from_status(
    status: u16,
    body: &str,
    model: Option<&str>,
    retry_after: Option<Duration>,
) -> LlmError {
    let body = read_error_body(body);
    let message = if body.message.is_empty() {
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("no details given")
            .to_owned()
    } else {
        body.message.clone()
    };
    classify(Some(status), &body, message, model, retry_after)
}

/// Classifies an error a provider reported inside a stream that had begun with HTTP 200
/// (Anthropic's `error` event, an OpenAI chunk holding `error`).
pub(crate) fn from_stream(data: &str) -> LlmError {
    let body = read_error_body(data);
    // Anthropic names the HTTP status it would have sent by the error's type.
    let status = body.codes.iter().find_map(|code| match code.as_str() {
        "authentication_error" => Some(401),
        "permission_error" => Some(403),
        "rate_limit_error" => Some(429),
        _ => None,
    });
    let message = if body.message.is_empty() {
        "no details given".to_owned()
    } else {
        body.message.clone()
    };
    // The model was accepted when the stream began, so a "not found" here is not about it.
    match classify(status, &body, message, None, None) {
        LlmError::Provider { message, .. } => LlmError::Provider {
            status: None,
            message,
        },
        other => other,
    }
}

fn classify(
    status: Option<u16>,
    body: &ErrorBody,
    message: String,
    model: Option<&str>,
    retry_after: Option<Duration>,
) -> LlmError {
    let has_code = |wanted: &[&str]| {
        body.codes
            .iter()
            .any(|code| wanted.contains(&code.as_str()))
    };
    let lower = message.to_lowercase();
    if matches!(status, Some(401 | 403)) {
        return LlmError::Unauthorized { message };
    }
    let context_phrases = [
        "prompt is too long",
        "maximum context length",
        "context length",
        "context size",
        "context window",
    ];
    if has_code(&["context_length_exceeded", "exceed_context_size_error"])
        || context_phrases.iter().any(|phrase| lower.contains(phrase))
    {
        return LlmError::ContextTooLong { message };
    }
    // OpenAI answers 429 `insufficient_quota` when the account is out of credit: waiting does not
    // help, so it is not a rate limit.
    let out_of_quota = has_code(&["insufficient_quota"]);
    if (status == Some(429) && !out_of_quota)
        || has_code(&["rate_limit_error", "rate_limit_exceeded"])
    {
        return LlmError::RateLimited {
            message,
            retry_after,
        };
    }
    if let Some(model) = model {
        let names_model = lower.contains("model");
        let missing = lower.contains("not found")
            || lower.contains("does not exist")
            || lower.contains("unknown");
        if has_code(&["model_not_found"])
            || (status == Some(404) && names_model)
            || (names_model && missing)
        {
            return LlmError::UnknownModel {
                model: model.to_owned(),
                message,
            };
        }
    }
    let message = if status == Some(404) {
        format!("{message} (no such endpoint: the base URL usually ends in /v1)")
    } else {
        message
    };
    LlmError::Provider { status, message }
}

/// The first non-empty line of `text`, whitespace collapsed, cut to [`MAX_MESSAGE_CHARS`].
pub(crate) fn one_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_MESSAGE_CHARS {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Reads a `Retry-After` header given in seconds (the HTTP-date form is not used by model APIs).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: Option<&str> = Some("gpt-test");

    #[test]
    fn unauthorized_keeps_the_provider_message() {
        let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;
        assert_eq!(
            from_status(401, body, MODEL, None),
            LlmError::Unauthorized {
                message: "invalid x-api-key".into()
            }
        );
        assert!(matches!(
            from_status(403, "forbidden", MODEL, None),
            LlmError::Unauthorized { .. }
        ));
    }

    #[test]
    fn context_overflow_is_recognized_across_providers() {
        let openai = r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;
        let llama_cpp = r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":8192}}"#;
        let anthropic = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#;
        for body in [openai, llama_cpp, anthropic] {
            assert!(
                matches!(
                    from_status(400, body, MODEL, None),
                    LlmError::ContextTooLong { .. }
                ),
                "{body} must read as a context overflow"
            );
        }
    }

    #[test]
    fn unknown_models_are_named() {
        let openai = r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#;
        let ollama = r#"{"error":"model \"llama9\" not found, try pulling it first"}"#;
        let anthropic =
            r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}"#;
        for (status, body) in [
            (404, openai),
            (404, ollama),
            (404, anthropic),
            (400, ollama),
        ] {
            let error = from_status(status, body, MODEL, None);
            assert!(
                matches!(&error, LlmError::UnknownModel { model, .. } if model == "gpt-test"),
                "{body} must read as an unknown model, got {error:?}"
            );
        }
    }

    #[test]
    fn a_bare_404_points_at_the_base_url() {
        let error = from_status(404, "<html><body>Not Found</body></html>", None, None);
        let LlmError::Provider { status, message } = &error else {
            panic!("a 404 without a model is a wrong address, got {error:?}");
        };
        assert_eq!(*status, Some(404));
        assert!(
            message.contains("Not Found") && message.contains("/v1"),
            "{message}"
        );
        assert!(
            !message.contains("<html>"),
            "an HTML page must never be echoed"
        );
    }

    #[test]
    fn rate_limits_carry_the_wait() {
        let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#;
        assert_eq!(
            from_status(429, body, MODEL, Some(Duration::from_secs(7))),
            LlmError::RateLimited {
                message: "slow down".into(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }

    #[test]
    fn an_exhausted_quota_is_not_a_rate_limit() {
        let body = r#"{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        assert_eq!(
            from_status(429, body, MODEL, None),
            LlmError::Provider {
                status: Some(429),
                message: "You exceeded your current quota.".into()
            },
            "retrying cannot fix an empty account"
        );
    }

    #[test]
    fn other_errors_keep_one_short_line() {
        let long = format!(
            "first line {}\nsecond line\n{}",
            "x".repeat(1000),
            "y".repeat(1000)
        );
        let LlmError::Provider { status, message } = from_status(500, &long, MODEL, None) else {
            panic!("a 500 is a provider error");
        };
        assert_eq!(status, Some(500));
        assert!(
            message.chars().count() <= MAX_MESSAGE_CHARS,
            "{}",
            message.len()
        );
        assert!(
            !message.contains("second line"),
            "only the first line is kept"
        );
    }

    #[test]
    fn stream_errors_are_classified_without_a_status() {
        let overloaded =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            from_stream(overloaded),
            LlmError::Provider {
                status: None,
                message: "Overloaded".into()
            }
        );
        let limited = r#"{"type":"error","error":{"type":"rate_limit_error","message":"wait"}}"#;
        assert!(matches!(from_stream(limited), LlmError::RateLimited { .. }));
    }

    #[test]
    fn messages_read_as_sentences() {
        let error = LlmError::Unreachable {
            url: "http://127.0.0.1:9/v1".into(),
            reason: "the connection was refused".into(),
        };
        assert_eq!(
            error.to_string(),
            "could not reach the model provider at http://127.0.0.1:9/v1: the connection was refused"
        );
    }
}
