//! `hotdev schema`: the JSON Schema of `.hotdev.toml`, generated from the `file` structs so
//! that it cannot drift from what hotdev accepts. Their doc comments are the descriptions.
//!
//! Draft-07, which Taplo (Even Better TOML) and most editors understand. TOML has no null, so
//! optional keys are simply not required, never `null`.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

use super::file::FileConfig;

/// The schema as pretty-printed JSON, with a final newline (as committed in
/// `hotdev.schema.json`).
pub fn json() -> String {
    let generator = SchemaSettings::draft07()
        .with_transform(RecursiveTransform(never_null))
        .into_generator();
    let schema = generator.into_root_schema_for::<FileConfig>();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    format!("{text}\n")
}

/// Drops the `null` that schemars adds for `Option` fields: in TOML an optional key is absent.
fn never_null(schema: &mut Schema) {
    let is_null =
        |value: &Value| value == "null" || *value == serde_json::json!({ "type": "null" });
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| !is_null(t));
        if let [only] = types.as_mut_slice() {
            let only = only.take();
            schema.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = schema.get_mut("anyOf") {
        alternatives.retain(|a| !is_null(a));
        if alternatives.len() == 1 {
            // `allOf` rather than inlining: a `$ref` with siblings is ignored by draft-07.
            if let Some(single) = schema.remove("anyOf") {
                schema.insert("allOf".to_owned(), single);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> serde_json::Value {
        serde_json::from_str(&json()).unwrap_or_else(|e| panic!("the schema is not JSON: {e}"))
    }

    #[test]
    fn unknown_keys_are_rejected_like_the_parser_does() {
        let schema = schema();
        assert_eq!(schema["additionalProperties"], false);
        let run = &schema["definitions"]["RunFile"];
        assert_eq!(run["additionalProperties"], false, "{run}");
    }

    #[test]
    fn doc_comments_become_descriptions() {
        let schema = schema();
        let debounce = &schema["definitions"]["WatchFile"]["properties"]["debounce"];
        assert!(
            debounce["description"]
                .as_str()
                .is_some_and(|d| d.contains("Quiet period")),
            "{debounce}"
        );
    }

    #[test]
    fn optional_keys_are_never_null() {
        assert!(!json().contains("\"null\""));
    }
}
