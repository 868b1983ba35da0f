//! What a tool's answer becomes: parts the model receives (text, images, structured content as
//! JSON text) in each wire format's own way (the llm module places them), and the record the
//! transcript keeps. A result too long for a model's context is cut, with a marker that says so,
//! so neither the model nor the reader mistakes it for the whole.

use rmcp::model::CallToolResult;
use serde_json::Value;

use crate::llm::Part;

/// Where a result's text is cut: about 5,000 tokens, a sizeable share of a small model's context
/// and far more than any answer needs to quote.
pub const MAX_RESULT_CHARS: usize = 20_000;

/// One piece of a tool result as the transcript keeps it (images by size, not by content).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ResultPart {
    Text {
        text: String,
    },
    Image {
        media_type: String,
        bytes: usize,
    },
    /// Structured content (`structuredContent`), as JSON.
    Structured {
        #[cfg_attr(feature = "ts", ts(type = "unknown"))]
        value: Value,
    },
}

/// A converted result: what goes to the model, what the transcript keeps, and whether it was cut.
pub struct Converted {
    pub parts: Vec<Part>,
    pub record: Vec<ResultPart>,
    pub is_error: bool,
    pub truncated: bool,
}

/// Converts an MCP tool result, cutting its text at `limit` characters in all.
pub fn convert(result: &CallToolResult, limit: usize) -> Converted {
    let mut budget = Budget {
        left: limit,
        total: 0,
        truncated: false,
    };
    let mut parts = Vec::new();
    let mut record = Vec::new();
    for block in &result.content {
        // Through JSON: the wire shape is the spec's and stable across rmcp's type changes.
        let block = serde_json::to_value(block).unwrap_or(Value::Null);
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                let text = block
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                push_text(&mut parts, &mut record, &mut budget, text);
            }
            Some("image") => {
                let data = block
                    .get("data")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let media_type = block
                    .get("mimeType")
                    .and_then(Value::as_str)
                    .unwrap_or("image/png")
                    .to_owned();
                record.push(ResultPart::Image {
                    media_type: media_type.clone(),
                    bytes: data.len() / 4 * 3,
                });
                parts.push(Part::Image {
                    media_type,
                    data_base64: data.to_owned(),
                });
            }
            Some("resource") => {
                let resource = block.get("resource").cloned().unwrap_or(Value::Null);
                let text = match resource.get("text").and_then(Value::as_str) {
                    Some(text) => format!(
                        "[resource {}]\n{text}",
                        resource.get("uri").and_then(Value::as_str).unwrap_or("")
                    ),
                    None => format!(
                        "[binary resource {} not shown]",
                        resource.get("uri").and_then(Value::as_str).unwrap_or("")
                    ),
                };
                push_text(&mut parts, &mut record, &mut budget, &text);
            }
            Some("resource_link") => {
                let text = format!(
                    "[resource link {} {}]",
                    block.get("name").and_then(Value::as_str).unwrap_or(""),
                    block.get("uri").and_then(Value::as_str).unwrap_or("")
                );
                push_text(&mut parts, &mut record, &mut budget, &text);
            }
            Some(other) => {
                let text = format!("[{other} content not shown to the model]");
                push_text(&mut parts, &mut record, &mut budget, &text);
            }
            None => {}
        }
    }
    if let Some(structured) = &result.structured_content {
        let text = serde_json::to_string(structured).unwrap_or_default();
        if text.chars().count() <= budget.left {
            budget.left -= text.chars().count();
            parts.push(Part::json(structured));
            record.push(ResultPart::Structured {
                value: structured.clone(),
            });
        } else {
            push_text(&mut parts, &mut record, &mut budget, &text);
        }
    }
    if budget.truncated {
        let marker = format!(
            "[… cut by Patchbay: the result had {} characters; the first {limit} are above]",
            budget.total
        );
        parts.push(Part::Text(marker.clone()));
        record.push(ResultPart::Text { text: marker });
    }
    if parts.is_empty() {
        let empty = "(the tool returned no content)".to_owned();
        parts.push(Part::Text(empty.clone()));
        record.push(ResultPart::Text { text: empty });
    }
    Converted {
        parts,
        record,
        is_error: result.is_error.unwrap_or(false),
        truncated: budget.truncated,
    }
}

struct Budget {
    left: usize,
    total: usize,
    truncated: bool,
}

fn push_text(parts: &mut Vec<Part>, record: &mut Vec<ResultPart>, budget: &mut Budget, text: &str) {
    let length = text.chars().count();
    budget.total += length;
    let kept: String = if length <= budget.left {
        text.to_owned()
    } else {
        budget.truncated = true;
        text.chars().take(budget.left).collect()
    };
    budget.left -= kept.chars().count();
    if !kept.is_empty() {
        parts.push(Part::Text(kept.clone()));
        record.push(ResultPart::Text { text: kept });
    }
}

/// A failure to call the tool at all (not the tool's own error), as the model and the transcript
/// receive it.
pub fn failure(message: &str) -> Converted {
    Converted {
        parts: vec![Part::Text(message.to_owned())],
        record: vec![ResultPart::Text {
            text: message.to_owned(),
        }],
        is_error: true,
        truncated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(value: Value) -> CallToolResult {
        serde_json::from_value(value).unwrap_or_else(|_| CallToolResult::success(vec![]))
    }

    #[test]
    fn text_images_and_structured_content_each_go_their_way() {
        let converted = convert(
            &result(serde_json::json!({
                "content": [
                    {"type": "text", "text": "hello"},
                    {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"}
                ],
                "structuredContent": {"sum": 3},
                "isError": false
            })),
            MAX_RESULT_CHARS,
        );
        assert!(!converted.is_error && !converted.truncated);
        assert!(matches!(&converted.parts[0], Part::Text(text) if text == "hello"));
        assert!(
            matches!(&converted.parts[1], Part::Image { media_type, data_base64 } if media_type == "image/png" && data_base64 == "aGVsbG8="),
            "images go to the model as images"
        );
        assert_eq!(converted.parts.len(), 3, "structured content is sent too");
        assert!(matches!(
            &converted.record[1],
            ResultPart::Image { bytes: 6, .. }
        ));
    }

    #[test]
    fn a_huge_result_is_cut_with_a_marker() {
        let huge = "x".repeat(50_000);
        let converted = convert(
            &result(serde_json::json!({"content": [{"type": "text", "text": huge}]})),
            1_000,
        );
        assert!(converted.truncated);
        let text: String = converted
            .parts
            .iter()
            .filter_map(|part| match part {
                Part::Text(text) => Some(text.as_str()),
                Part::Image { .. } => None,
            })
            .collect();
        assert!(text.len() < 1_200, "cut near the limit: {}", text.len());
        assert!(
            text.contains("cut by Patchbay") && text.contains("50000"),
            "the marker says it was cut and how long it was"
        );
    }

    #[test]
    fn errors_and_empty_results_are_explicit() {
        let converted = convert(
            &result(serde_json::json!({"content": [], "isError": true})),
            MAX_RESULT_CHARS,
        );
        assert!(converted.is_error, "the tool's isError reaches the model");
        assert!(matches!(&converted.parts[0], Part::Text(text) if text.contains("no content")));
    }
}
