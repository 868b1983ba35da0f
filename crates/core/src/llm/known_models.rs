//! Which well-known models can call tools, by name.
//!
//! A table, because the model lists of OpenAI-compatible servers (OpenAI, Ollama, llama.cpp,
//! vLLM) report no capabilities, yet a person picking a model for a step should be warned before
//! the first run fails. Compiled from the vendors' own pages: OpenAI's model pages (function
//! calling), Anthropic's tool-use documentation (every Claude 3 and later model), Ollama's
//! "tools" model tag, and the model cards of Qwen, Llama 3.1+ and Mistral. A wrong guess costs
//! only a hint: a provider that cannot do tools says so, and the error is shown. Unknown names
//! get `None`, never a guess.

/// Name prefixes and whether those models call tools. The first matching prefix wins, so a
/// specific exception comes before its family.
const TABLE: &[(&str, bool)] = &[
    // OpenAI: the exceptions first.
    ("gpt-3.5-turbo-instruct", false),
    ("chatgpt-4o-latest", false),
    ("o1-mini", false),
    ("o1-preview", false),
    ("gpt-image", false),
    ("gpt-4o-realtime", false),
    ("gpt-4o-audio", false),
    ("gpt-4o-transcribe", false),
    ("gpt-4o-mini-transcribe", false),
    ("gpt-4o-mini-tts", false),
    ("gpt-4o", true),
    ("gpt-4.1", true),
    ("gpt-4-turbo", true),
    ("gpt-4-vision", false),
    ("gpt-4", true),
    ("gpt-3.5-turbo", true),
    ("gpt-5", true),
    ("gpt-oss", true),
    ("o1", true),
    ("o3", true),
    ("o4", true),
    ("text-embedding", false),
    ("whisper", false),
    ("dall-e", false),
    ("tts-", false),
    ("omni-moderation", false),
    ("text-moderation", false),
    ("davinci", false),
    ("babbage", false),
    // Anthropic: tool use arrived with Claude 3.
    ("claude-instant", false),
    ("claude-1", false),
    ("claude-2", false),
    ("claude-", true),
    // Open-weight families as served by Ollama, llama.cpp, LM Studio, vLLM.
    ("qwen2.5", true),
    ("qwen2", true),
    ("qwen3", true),
    ("qwq", true),
    ("llama3.2-vision", false),
    ("llama3.1", true),
    ("llama3.2", true),
    ("llama3.3", true),
    ("llama-3.1", true),
    ("llama-3.2", true),
    ("llama-3.3", true),
    ("llama4", true),
    ("llama-4", true),
    ("llama2", false),
    ("llama-2", false),
    ("mistral", true),
    ("mixtral", true),
    ("ministral", true),
    ("magistral", true),
    ("devstral", true),
    ("command-r", true),
    ("hermes3", true),
    ("hermes-3", true),
    ("granite3", true),
    ("firefunction", true),
    ("gemini-", true),
    ("grok-", true),
    ("deepseek-chat", true),
    ("deepseek-v3", true),
];

/// Words that mark a model which only embeds, ranks or moderates text: none call tools.
const NON_CHAT_MARKERS: &[&str] = &["embed", "rerank", "minilm", "moderation"];

/// Whether the model `model_id` can call tools, when its name is well known: `Some(true)` for
/// gpt-4o, Claude 3+, Qwen 2.5, Llama 3.1+, Mistral and the like, `Some(false)` for embedding,
/// speech and image models, `None` for everything else.
///
/// Names are matched case-insensitively on their last path segment, so
/// `openai/gpt-4o`, `meta-llama/Meta-Llama-3.1-8B-Instruct` and
/// `qwen2.5-coder-1.5b-instruct-q4_k_m.gguf` are all recognized.
pub fn known_tool_support(model_id: &str) -> Option<bool> {
    let lower = model_id.trim().to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let name = name.strip_prefix("meta-").unwrap_or(name);
    if NON_CHAT_MARKERS.iter().any(|marker| name.contains(marker)) {
        return Some(false);
    }
    TABLE
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, tools)| *tools)
}

#[cfg(test)]
mod tests {
    use super::known_tool_support;

    #[test]
    fn well_known_models_are_classified() {
        for model in [
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-5-mini",
            "o3-mini",
            "o4-mini",
            "claude-3-5-sonnet-20241022",
            "claude-sonnet-4-5",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            "qwen2.5:7b",
            "llama3.1:8b",
            "meta-llama/Meta-Llama-3.1-8B-Instruct",
            "mistral-small",
            "mixtral-8x7b",
            "openai/gpt-4o",
        ] {
            assert_eq!(known_tool_support(model), Some(true), "{model} calls tools");
        }
        for model in [
            "text-embedding-3-small",
            "nomic-embed-text",
            "whisper-1",
            "dall-e-3",
            "tts-1-hd",
            "o1-mini",
            "claude-2.1",
            "llama3.2-vision",
        ] {
            assert_eq!(
                known_tool_support(model),
                Some(false),
                "{model} does not call tools"
            );
        }
        assert_eq!(
            known_tool_support("my-finetune"),
            None,
            "unknown names are not guessed"
        );
        assert_eq!(
            known_tool_support("llama3"),
            None,
            "Llama 3.0 is not known to call tools"
        );
    }
}
