//! Plan digests: a stable identity for "what this plan will do", so an approval or a
//! verified apply is bound to the exact plan, and a coarser change-set digest that
//! recognises the same change in two environments.

use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::Plan;

/// Marker for values unknown until apply.
const UNKNOWN: &str = "(known after apply)";
/// Marker for values the plan marks sensitive.
const SENSITIVE: &str = "(sensitive)";

/// `sha256:<hex>` of the canonical JSON of every change: address, deposed key,
/// action class and planned values, with unknown and sensitive values replaced by
/// markers. Key order, whitespace, timestamps and tool versions do not matter.
pub fn plan_digest(plan: &Plan) -> String {
    let changes = &plan.input["resource_changes"];
    let mut items: Vec<Json> = plan
        .changes
        .iter()
        .map(|c| {
            let change = &changes[c.index_in_plan]["change"];
            let to_json = |v: &regorus::Value| serde_json::to_value(v).unwrap_or(Json::Null);
            let after = normalise(
                &to_json(&change["after"]),
                &to_json(&change["after_unknown"]),
                &to_json(&change["after_sensitive"]),
            );
            let before = normalise(
                &to_json(&change["before"]),
                &Json::Null,
                &to_json(&change["before_sensitive"]),
            );
            json!([c.address, c.deposed, c.action.as_str(), before, after])
        })
        .collect();
    items.sort_by_key(|v| v.to_string());
    let outputs: Vec<Json> = plan
        .outputs
        .iter()
        .map(|o| json!([o.name, o.action.as_str()]))
        .collect();
    hash(&json!({"changes": items, "outputs": outputs}))
}

/// `sha256:<hex>` of the sorted (module-relative address, type, action class) of the
/// changes that do something: the same change applied to another environment's
/// root module has the same change-set digest.
pub fn changeset_digest(plan: &Plan) -> String {
    let mut items: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action.does_something())
        .map(|c| {
            let relative = match &c.module_address {
                Some(m) => c
                    .address
                    .strip_prefix(m.as_str())
                    .map(|r| r.trim_start_matches('.'))
                    .unwrap_or(&c.address),
                None => &c.address,
            };
            format!("{relative}\t{}\t{}", c.type_, c.action)
        })
        .collect();
    items.sort();
    hash(&json!(items))
}

/// Replace unknown and sensitive leaves with markers, recursively, following the
/// plan's parallel masks.
fn normalise(value: &Json, unknown: &Json, sensitive: &Json) -> Json {
    if sensitive == &Json::Bool(true) {
        return Json::String(SENSITIVE.into());
    }
    if unknown == &Json::Bool(true) {
        return Json::String(UNKNOWN.into());
    }
    match value {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            // Unknown attributes may be absent from `after`.
            if let Json::Object(u) = unknown {
                keys.extend(u.keys().filter(|k| !m.contains_key(*k)));
            }
            keys.sort();
            keys.dedup();
            Json::Object(
                keys.into_iter()
                    .map(|k| {
                        (
                            k.clone(),
                            normalise(
                                m.get(k).unwrap_or(&Json::Null),
                                unknown.get(k).unwrap_or(&Json::Null),
                                sensitive.get(k).unwrap_or(&Json::Null),
                            ),
                        )
                    })
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(
            a.iter()
                .enumerate()
                .map(|(i, v)| {
                    normalise(
                        v,
                        unknown.get(i).unwrap_or(&Json::Null),
                        sensitive.get(i).unwrap_or(&Json::Null),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Canonical JSON (sorted keys) hashed with SHA-256.
fn hash(v: &Json) -> String {
    fn canonical(v: &Json, out: &mut String) {
        match v {
            Json::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Json::String((*k).clone()).to_string());
                    out.push(':');
                    canonical(&m[k.as_str()], out);
                }
                out.push('}');
            }
            Json::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canonical(v, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A well-formed digest: `sha256:` and 64 lower-case hex digits.
pub fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: &str) -> Plan {
        super::super::parse_bytes("p.json", json.as_bytes()).expect("plan")
    }

    const A: &str = r#"{"format_version":"1.2","timestamp":"2026-01-01T00:00:00Z","planned_values":{},
      "resource_changes":[{"address":"t.a","type":"t","name":"a","change":{"actions":["create"],
      "after":{"x":1,"s":"secret-1"},"after_unknown":{"id":true},"after_sensitive":{"s":true}}}]}"#;

    #[test]
    fn digest_ignores_timestamps_key_order_and_secret_values() {
        let b = A
            .replace("2026-01-01", "2027-02-02")
            .replace(r#""x":1,"s":"secret-1""#, r#""s":"secret-2","x":1"#);
        assert_eq!(plan_digest(&plan(A)), plan_digest(&plan(&b)));
        assert!(is_digest(&plan_digest(&plan(A))));
    }

    #[test]
    fn digest_changes_with_values_and_actions() {
        let b = A.replace(r#""x":1"#, r#""x":2"#);
        assert_ne!(plan_digest(&plan(A)), plan_digest(&plan(&b)));
        let c = A.replace(r#"["create"]"#, r#"["update"]"#);
        assert_ne!(plan_digest(&plan(A)), plan_digest(&plan(&c)));
    }

    #[test]
    fn changeset_digest_ignores_values_and_module_instances() {
        let b = A.replace(r#""x":1"#, r#""x":2"#);
        assert_eq!(changeset_digest(&plan(A)), changeset_digest(&plan(&b)));
        let m = A.replace(
            r#""address":"t.a""#,
            r#""address":"module.env[\"prod\"].t.a","module_address":"module.env[\"prod\"]""#,
        );
        assert_eq!(changeset_digest(&plan(A)), changeset_digest(&plan(&m)));
    }
}
