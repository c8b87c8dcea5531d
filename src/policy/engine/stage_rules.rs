//! Parsing the plangate stage rules `cap` and `gate` (docs/policy-api.md).

use regorus::Value;

use crate::decision::StageRule;
use crate::diag::Diag;
use crate::stage::Stage;

/// Read `cap` / `gate` results (docs/policy-api.md): objects with a `reason`, an
/// optional `address`, `id` and `unblock`, and for caps a `stage`.
pub(super) fn stage_rules(namespace: &str, kind: &str, v: &Value) -> Result<Vec<StageRule>, Diag> {
    let elements: Vec<&Value> = match v {
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        Value::Undefined => Vec::new(),
        _ => vec![v],
    };
    let bad = |what: String| {
        Diag::new(
            "plangate::policy::bad_stage_rule",
            format!("a result of data.{namespace}.{kind} {what}"),
        )
        .help(format!(
            "`{kind}` results are objects: {{\"reason\": \"...\"{}, \"address\": \"optional\", \"id\": \"optional\"}}; see docs/policy-api.md",
            if kind == "cap" { ", \"stage\": \"plan-only\"" } else { ", \"unblock\": \"optional\"" }
        ))
    };
    let text = |el: &Value, key: &str| -> Result<Option<String>, Diag> {
        match &el[key] {
            Value::Undefined | Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.to_string())),
            other => Err(bad(format!("has a `{key}` that is not a string: {other}"))),
        }
    };
    let mut out = Vec::new();
    for el in elements {
        if el.as_object().is_err() {
            return Err(bad(format!("is not an object: {el}")));
        }
        let reason = text(el, "reason")?.ok_or_else(|| bad("has no `reason`".into()))?;
        let stage = if kind == "gate" {
            Stage::Blocked
        } else {
            match &el["stage"] {
                Value::String(s) => s.parse::<Stage>().map_err(bad)?,
                Value::Number(_) => el["stage"]
                    .as_u64()
                    .ok()
                    .and_then(Stage::from_level)
                    .ok_or_else(|| bad("has a `stage` number outside 0-4".into()))?,
                _ => return Err(bad("has no `stage` (a name or 0-4)".into())),
            }
        };
        out.push(StageRule {
            rule: text(el, "id")?.unwrap_or_else(|| format!("{namespace}.{kind}")),
            address: text(el, "address")?,
            // "" means the current object, as the built-in rules write it.
            deposed: text(el, "deposed")?,
            stage,
            reason,
            unblock: text(el, "unblock")?,
        });
    }
    Ok(out)
}
