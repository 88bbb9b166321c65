//! The plan as JSON, for bots and CI scripts: a documented, versioned format.
//!
//! In: a [`Plan`]. Out: one JSON object with sorted keys — `format_version` (1; raised only on
//! an incompatible change: fields may be added within a version), `genops_version`, `previous`
//! (the last build as its manifest records it, or `null`), `summary` (`add`, `change`,
//! `destroy`, `has_changes`), `semantic_changes`, `conflicts`, `changes` (each `target`,
//! `file`, `address`, `action` — `create`, `update` or `delete` — `before`, `after`) and
//! `files` (what a build writes or deletes, with SHA-256s). docs/plans.md documents each field.

use serde_json::{Value, json};

use super::{Action, Plan};

/// Changes only on an incompatible change of the format.
pub const FORMAT_VERSION: u64 = 1;

pub fn render(plan: &Plan) -> String {
    let semantic: Vec<Value> = plan
        .semantic
        .iter()
        .map(|c| {
            json!({
                "kind": c.kind,
                "name": c.name,
                "change": c.change.as_str(),
                "field": c.field,
                "before": c.before,
                "after": c.after,
                "note": c.note,
                "warning": c.warning,
                "message": c.message(),
            })
        })
        .collect();
    let conflicts: Vec<Value> = plan
        .conflicts
        .iter()
        .map(|c| json!({ "file": c.file, "reason": c.reason.as_str(), "message": c.reason.describe() }))
        .collect();
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .map(|c| {
            json!({
                "target": c.target,
                "file": c.file,
                "address": c.address,
                "action": c.action.as_str(),
                "before": c.before,
                "after": c.after,
            })
        })
        .collect();
    let files: Vec<Value> = plan
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "action": f.action.as_str(),
                "before_sha256": f.before,
                "after_sha256": f.after,
            })
        })
        .collect();
    let mut doc = json!({
        "format_version": FORMAT_VERSION,
        "genops_version": env!("CARGO_PKG_VERSION"),
        "previous": plan.previous.as_ref().map(|p| json!({
            "genops_version": p.genops_version,
            "spec_sha256": p.spec_sha256,
            "interrupted": p.interrupted,
        })),
        "summary": {
            "add": plan.count(Action::Create),
            "change": plan.count(Action::Update),
            "destroy": plan.count(Action::Delete),
            "has_changes": plan.has_changes(),
        },
    });
    // Moved in: `json!` would copy them whole (a plan's changes can be megabytes).
    doc["semantic_changes"] = Value::Array(semantic);
    doc["conflicts"] = Value::Array(conflicts);
    doc["changes"] = Value::Array(changes);
    doc["files"] = Value::Array(files);
    doc.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_plan() {
        let doc: Value = serde_json::from_str(&render(&Plan::default())).unwrap();
        assert_eq!(doc["format_version"], 1);
        assert_eq!(doc["summary"], json!({ "add": 0, "change": 0, "destroy": 0, "has_changes": false }));
        assert_eq!(doc["changes"], json!([]));
        assert!(doc["previous"].is_null());
    }
}
