//! JSON Schemas of the record files, generated from the raw record types, so editors can
//! complete and check records. The domain list comes from the site configuration.

use serde_json::{Value, json};

use crate::config::SiteConfig;
use crate::load::{RawDataset, RawDepartment};
use crate::model::Vocabulary;
use crate::workflows::{
    applications::RawApplication, demands::RawDemand, notices::RawNotice, plans::RawPlan,
    showcase::RawShowcaseApp, takedowns::RawTakedown,
};

/// Every record schema with its site path (`schema/<kind>.schema.json`): datasets,
/// departments, takedowns, notices, applications, showcase entries, demands, plans.
pub fn all(config: &SiteConfig) -> Vec<(&'static str, Value)> {
    vec![
        ("schema/dataset.schema.json", dataset_schema(config)),
        ("schema/department.schema.json", department_schema(config)),
        ("schema/takedown.schema.json", takedown_schema(config)),
        ("schema/notice.schema.json", notice_schema(config)),
        ("schema/application.schema.json", application_schema(config)),
        ("schema/app.schema.json", app_schema(config)),
        ("schema/demand.schema.json", demand_schema(config)),
        ("schema/plan.schema.json", plan_schema(config)),
    ]
}

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
    with_id(
        config,
        "department",
        serde_json::to_value(schemars::schema_for!(RawDepartment)).unwrap_or(Value::Null),
    )
}

/// The JSON Schema of a takedown record (`content/takedowns/<id>.yaml`).
pub fn takedown_schema(config: &SiteConfig) -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(RawTakedown)).unwrap_or(Value::Null);
    add_slugs::<crate::model::Grounds>(&mut schema, "Grounds", &[]);
    for key in [
        "received",
        "suspended",
        "verified",
        "withdrawn",
        "restored",
        "reopened",
    ] {
        if let Some(property) = schema.pointer_mut(&format!("/properties/{key}")) {
            property["format"] = json!("date");
        }
    }
    with_id(config, "takedown", schema)
}

/// The JSON Schema of a maintenance notice (`content/notices/<id>.yaml`).
pub fn notice_schema(config: &SiteConfig) -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(RawNotice)).unwrap_or(Value::Null);
    for key in ["published", "start", "end"] {
        if let Some(property) = schema.pointer_mut(&format!("/properties/{key}")) {
            property["pattern"] = json!("^\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2})?$");
        }
    }
    with_id(config, "notice", schema)
}

/// The JSON Schema of a conditional-open application (`content/applications/<year>/<id>.yaml`).
pub fn application_schema(config: &SiteConfig) -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(RawApplication)).unwrap_or(Value::Null);
    add_slugs::<crate::model::ApplicantKind>(&mut schema, "ApplicantKind", &[]);
    add_slugs::<crate::model::Urgency>(&mut schema, "Urgency", &[]);
    add_slugs::<crate::model::Decision>(&mut schema, "Decision", &[]);
    add_slugs::<crate::model::Delivery>(&mut schema, "Delivery", &[]);
    with_id(config, "application", schema)
}

/// The JSON Schema of a showcase entry (`content/apps/<id>.yaml`).
pub fn app_schema(config: &SiteConfig) -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(RawShowcaseApp)).unwrap_or(Value::Null);
    if let Some(property) = schema.pointer_mut("/properties/published") {
        property["pattern"] = json!("^\\d{4}-\\d{2}-\\d{2}$");
    }
    with_id(config, "app", schema)
}

/// The JSON Schema of a demand for data (`content/demands/<id>.yaml`).
pub fn demand_schema(config: &SiteConfig) -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(RawDemand)).unwrap_or(Value::Null);
    if let Some(status) = schema.pointer_mut("/properties/status") {
        let labels: Vec<&str> = crate::model::DemandStatus::ALL
            .iter()
            .flat_map(|s| [s.label(), s.slug()])
            .collect();
        status["enum"] = json!(labels);
    }
    for key in ["received", "answered"] {
        if let Some(property) = schema.pointer_mut(&format!("/properties/{key}")) {
            property["pattern"] = json!("^\\d{4}-\\d{2}-\\d{2}$");
        }
    }
    with_id(config, "demand", schema)
}

/// The JSON Schema of an annual opening plan (`content/plans/<year>/<department>.yaml`).
pub fn plan_schema(config: &SiteConfig) -> Value {
    let schema = serde_json::to_value(schemars::schema_for!(RawPlan)).unwrap_or(Value::Null);
    with_id(config, "plan", schema)
}

/// `schema` with its `$id` on the site, when the site has an address.
fn with_id(config: &SiteConfig, kind: &str, mut schema: Value) -> Value {
    if !config.base_url.is_empty() {
        schema["$id"] = json!(format!(
            "{}/schema/{kind}.schema.json",
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
