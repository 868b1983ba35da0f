//! The one repair both wire formats make to a tool's input schema before offering it: MCP
//! allows `{"type":"object"}` for a tool without parameters, but OpenAI rejects an object schema
//! without `properties` ("object schema missing properties"), so an empty one is added. The
//! schema is otherwise sent as the server declared it.

use serde_json::{Map, Value, json};

pub(crate) fn normalized(schema: &Value) -> Value {
    let Value::Object(object) = schema else {
        // Not a schema at all: offer the tool as taking no arguments.
        return json!({ "type": "object", "properties": {} });
    };
    let mut object: Map<String, Value> = object.clone();
    object.entry("type").or_insert_with(|| json!("object"));
    if object.get("type") == Some(&json!("object")) {
        object.entry("properties").or_insert_with(|| json!({}));
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_schema_gets_properties() {
        assert_eq!(
            normalized(&json!({ "type": "object" })),
            json!({ "type": "object", "properties": {} })
        );
        assert_eq!(
            normalized(&Value::Null),
            json!({ "type": "object", "properties": {} })
        );
        let full = json!({ "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] });
        assert_eq!(
            normalized(&full),
            full,
            "a complete schema is sent unchanged"
        );
    }
}
