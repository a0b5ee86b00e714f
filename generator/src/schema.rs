//! JSON Schemas of the record files, generated from the raw record types, so editors can
//! complete and check records. The domain list comes from the site configuration.

use serde_json::{Value, json};

use crate::config::SiteConfig;
use crate::load::{RawDataset, RawDepartment};
use crate::model::Vocabulary;

/// The JSON Schema of a dataset record, with `domain` limited to the site's list.
pub fn dataset_schema(config: &SiteConfig) -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(RawDataset)).unwrap_or(Value::Null);
    let names: Vec<&str> = config.domains.iter().map(|d| d.name.as_str()).collect();
    if let Some(domain) = schema.pointer_mut("/properties/domain") {
        domain["enum"] = json!(names);
    }
    // The build also accepts each value's English slug (and 每天, the platform's own spelling of
    // 每日), so editors must too.
    add_slugs::<crate::model::Level>(&mut schema, "Level", &[]);
    add_slugs::<crate::model::OpenType>(&mut schema, "OpenType", &[]);
    add_slugs::<crate::model::UpdateFrequency>(&mut schema, "UpdateFrequency", &["每天"]);
    if let Some(id) = schema.pointer_mut("/properties/id") {
        id["pattern"] = json!("^[a-z0-9]+(-[a-z0-9]+)*$");
    }
    if !config.base_url.is_empty() {
        schema["$id"] = json!(format!(
            "{}/schema/dataset.schema.json",
            config.base_url.trim_end_matches('/')
        ));
    }
    schema
}

fn add_slugs<V: Vocabulary>(schema: &mut Value, definition: &str, extra: &[&str]) {
    let mut also: Vec<&str> = V::ALL.iter().map(|v| v.slug()).collect();
    also.extend_from_slice(extra);
    if let Some(Value::Array(choices)) = schema.pointer_mut(&format!("/$defs/{definition}/oneOf")) {
        choices.push(json!({ "type": "string", "enum": also, "description": "English slug" }));
    }
}

/// The JSON Schema of `department.yaml`.
pub fn department_schema(config: &SiteConfig) -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(RawDepartment)).unwrap_or(Value::Null);
    if !config.base_url.is_empty() {
        schema["$id"] = json!(format!(
            "{}/schema/department.schema.json",
            config.base_url.trim_end_matches('/')
        ));
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_schema_lists_keys_and_controlled_values() {
        let config = SiteConfig::parse(
            "title = \"t\"\ndescription = \"d\"\ndomains = [{ slug = \"transport\", name = \"交通运输\" }]\n",
        )
        .unwrap();
        let schema = dataset_schema(&config);
        let text = schema.to_string();
        for key in [
            "title",
            "summary",
            "open_conditions",
            "update_frequency",
            "reviews",
            "resources",
        ] {
            assert!(schema["properties"][key].is_object(), "missing {key}");
        }
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["properties"]["domain"]["enum"], json!(["交通运输"]));
        assert!(text.contains("有条件开放") && text.contains("每季度"));
        assert!(text.contains("\"conditional\"") && text.contains("每天"));
        let required = schema["required"].as_array().unwrap();
        assert!(required.contains(&json!("open_type")));
    }
}
