//! conftest conformance: for every case in tests/conformance/cases.json, plangate's
//! failures, warnings and exceptions per plan equal what OPA (conftest's engine)
//! answered on the same policies and plans (tests/conformance/expected, made by
//! tests/conformance/regen.py with the real OPA; CI re-checks them).

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Results excluded from the comparison, each a documented difference (README,
/// "Differences from conftest"): (case, rule query, why).
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "builtin-errors",
        "data.main.warn_sprintf",
        "sprintf with a missing argument: Go prints %!d(MISSING), regorus does not",
    ),
    (
        "with-data-yaml",
        "data.main.warn_settings",
        "YAML 1.1 booleans (`yes`): OPA reads true, plangate's YAML 1.2 reader a string",
    ),
];

fn known(case: &str, r: &Value) -> bool {
    KNOWN
        .iter()
        .any(|(c, q, _)| *c == case && r["metadata"]["query"] == *q)
}

/// Numbers compare by value (OPA prints them as written), objects by content.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(o) => {
            let sorted: BTreeMap<&String, Value> =
                o.iter().map(|(k, x)| (k, normalize(x))).collect();
            Value::Object(sorted.into_iter().map(|(k, x)| (k.clone(), x)).collect())
        }
        other => other.clone(),
    }
}

/// Values a plan marks sensitive in its resource changes (an independent, simple
/// walk of the masks): plangate masks them in every output, OPA does not.
fn secrets_of(plan: &Value) -> Vec<String> {
    fn walk(mask: &Value, v: &Value, out: &mut Vec<String>) {
        match (mask, v) {
            (Value::Bool(true), Value::String(s)) => out.push(s.clone()),
            (Value::Bool(true), Value::Array(a)) => a.iter().for_each(|x| walk(mask, x, out)),
            (Value::Bool(true), Value::Object(o)) => o.values().for_each(|x| walk(mask, x, out)),
            (Value::Object(m), _) => m.iter().for_each(|(k, sub)| walk(sub, &v[k.as_str()], out)),
            (Value::Array(m), _) => m
                .iter()
                .enumerate()
                .for_each(|(i, sub)| walk(sub, &v[i], out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        let c = &rc["change"];
        walk(&c["before_sensitive"], &c["before"], &mut out);
        walk(&c["after_sensitive"], &c["after"], &mut out);
    }
    out.retain(|s| s.len() >= 4);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

fn redact(v: &Value, secrets: &[String]) -> Value {
    match v {
        Value::String(s) => Value::String(secrets.iter().fold(s.clone(), |acc, sec| {
            acc.replace(sec.as_str(), "(sensitive)")
        })),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact(x, secrets)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), redact(x, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A comparable, sorted list of results.
fn results(items: &[Value], keep: &[&str], secrets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            for k in keep {
                if let Some(v) = r.get(*k) {
                    m.insert(k.to_string(), normalize(&redact(v, secrets)));
                }
            }
            Value::Object(m).to_string()
        })
        .collect();
    out.sort();
    out
}

fn shared_plans() -> Vec<String> {
    let dir = Path::new(ROOT).join("fixtures/plans/shared");
    let mut plans: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/plans/shared exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json"))
        .map(|n| format!("fixtures/plans/shared/{n}"))
        .collect();
    plans.sort();
    plans
}

#[test]
fn conftest_libraries_give_the_same_results_as_opa() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("tests/conformance/cases.json"))
            .expect("cases.json"),
    )
    .expect("cases.json parses");
    let plans = shared_plans();
    assert!(plans.len() >= 10, "the shared real plans are present");
    let mut compared = 0usize;
    let mut mismatches: Vec<String> = Vec::new();
    let mut non_empty = 0usize;
    for case in &cases {
        let name = case["name"].as_str().expect("case name");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(
                Path::new(ROOT).join(format!("tests/conformance/expected/{name}.json")),
            )
            .expect("expected file"),
        )
        .expect("expected parses");

        let mut args: Vec<String> = vec![
            "check".into(),
            "--no-builtin".into(),
            "-o".into(),
            "json".into(),
            "--color".into(),
            "never".into(),
        ];
        for p in case["policy"].as_array().into_iter().flatten() {
            args.push("-p".into());
            args.push(p.as_str().unwrap_or_default().to_string());
        }
        for d in case["data"].as_array().into_iter().flatten() {
            args.push("-d".into());
            args.push(d.as_str().unwrap_or_default().to_string());
        }
        if case["all"] == Value::Bool(true) {
            args.push("--all-namespaces".into());
        }
        for n in case["namespaces"].as_array().into_iter().flatten() {
            args.push("-n".into());
            args.push(n.as_str().unwrap_or_default().to_string());
        }
        if case["rego_version"] == "v0" {
            args.push("--rego-version".into());
            args.push("v0".into());
        }
        args.extend(plans.iter().cloned());
        let out = Command::cargo_bin("plangate")
            .expect("binary")
            .current_dir(ROOT)
            .args(&args)
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = out.status.code();

        if case["load_error"] == Value::Bool(true)
            || case.get("known_difference").is_some()
            || name == "namespaces-missing"
        {
            // conftest fails to load these (or, for a namespace matching no package,
            // silently passes; plangate fails closed instead: README, "Differences").
            assert_eq!(code, Some(2), "{name}: expected a load error, got {stdout}");
            continue;
        }
        let doc: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{name}: output is not JSON ({e}): {stdout}"));
        let mut ours: BTreeMap<&str, &Value> = BTreeMap::new();
        for p in doc["plans"].as_array().expect("plans") {
            ours.insert(p["path"].as_str().expect("path"), p);
        }
        for exp in expected.as_array().expect("expected is a list") {
            let file = exp["filename"].as_str().expect("filename");
            let ns = exp["namespace"].as_str().expect("namespace");
            let plan = ours
                .get(file)
                .unwrap_or_else(|| panic!("{name}: no result for {file}"));
            if exp.get("error").is_some() {
                if plan.get("error").is_none() {
                    mismatches.push(format!(
                        "{name}/{file}: OPA errored ({}), plangate did not",
                        exp["error"]
                    ));
                }
                continue;
            }
            if plan.get("error").is_some() {
                mismatches.push(format!("{name}/{file}: unexpected error {}", plan["error"]));
                continue;
            }
            let plan_json: Value = serde_json::from_str(
                &std::fs::read_to_string(Path::new(ROOT).join(file)).expect("plan"),
            )
            .expect("plan parses");
            let secrets = secrets_of(&plan_json);
            let in_ns = |key: &str| -> Vec<Value> {
                plan[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["namespace"] == ns)
                    .cloned()
                    .collect()
            };
            for key in ["failures", "warnings"] {
                let keep = ["msg", "metadata", "loc"];
                let exp_items: Vec<Value> = exp[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| !known(name, r))
                    .cloned()
                    .collect();
                let our_items: Vec<Value> =
                    in_ns(key).into_iter().filter(|r| !known(name, r)).collect();
                let want = results(&exp_items, &keep, &secrets);
                let got = results(&our_items, &keep, &[]);
                if got != want {
                    mismatches.push(format!("{name}/{file}/{ns}: {key} differ from OPA\n  plangate: {got:?}\n  OPA:      {want:?}"));
                }
                non_empty += want.len();
            }
            let want = results(
                exp["exceptions"].as_array().map_or(&[][..], |v| v),
                &["msg"],
                &secrets,
            );
            let got = results(&in_ns("exceptions"), &["msg"], &[]);
            if got != want {
                mismatches.push(format!("{name}/{file}/{ns}: exceptions differ from OPA\n  plangate: {got:?}\n  OPA:      {want:?}"));
            }
            non_empty += want.len();
            compared += 1;
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        compared > 100,
        "compared {compared} (plan, namespace) pairs"
    );
    assert!(
        non_empty > 200,
        "the corpus exercises real findings ({non_empty})"
    );
}
