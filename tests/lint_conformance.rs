//! conftest conformance of `plangate lint`: for every case in
//! tests/conformance/hcl_cases.json (conftest-style policies for `.tf` files, run on
//! their own inputs), plangate's failures, warnings and exceptions per file equal what
//! OPA (conftest's engine) answered on the documents a real hcl2json build gives for
//! those files (tests/conformance/expected/hcl-*.json, made by
//! tests/conformance/regen.py with the real OPA; CI re-checks them). That plangate's
//! input document for each file is hcl2json's is tests/cli_lint.rs's
//! `input_documents_equal_what_hcl2json_gives`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{read, run};
use serde_json::Value;

/// Result keys `lint` consumes instead of keeping them as metadata (README, "Locations"):
/// `id` names the finding, `fix` is shown as the fix, `path` locates it.
const CONSUMED: &[&str] = &["id", "fix", "path"];

/// A comparable result: its message and metadata (with conftest's `query`), as
/// canonical JSON; `loc` is not compared (lint turns `_loc` into the finding's line).
fn canonical(msg: &Value, metadata: &serde_json::Map<String, Value>) -> String {
    let md: BTreeMap<&String, &Value> = metadata
        .iter()
        .filter(|(k, _)| !CONSUMED.contains(&k.as_str()))
        .collect();
    serde_json::json!({"msg": msg, "metadata": md}).to_string()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn conftest_tf_policies_give_the_same_results_as_opa() {
    let cases: Vec<Value> =
        serde_json::from_str(&read("tests/conformance/hcl_cases.json")).expect("parses");
    assert!(cases.len() >= 3);
    let (mut compared, mut results, mut mismatches) = (0usize, 0usize, Vec::new());
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let expected: Value =
            serde_json::from_str(&read(&format!("tests/conformance/expected/{name}.json")))
                .expect("expected parses");
        let strs = |k: &str| -> Vec<String> {
            case[k]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v.as_str().expect("string").to_string())
                .collect()
        };
        let mut args: Vec<String> = ["lint", "--no-builtin", "-o", "json"]
            .map(String::from)
            .to_vec();
        for p in strs("policy") {
            args.extend(["-p".into(), p]);
        }
        for d in strs("data") {
            args.extend(["-d".into(), d]);
        }
        if case["all"] == true {
            args.push("--all-namespaces".into());
        }
        for n in strs("namespaces") {
            args.extend(["-n".into(), n]);
        }
        let rego_version = case["rego_version"].as_str().unwrap_or("v1");
        args.extend(["--rego-version".into(), rego_version.into()]);
        args.extend(strs("inputs"));
        let r = run(&args);

        if case["load_error"] == true {
            assert!(expected.get("error").is_some(), "{name}: OPA loaded it");
            assert_eq!(r.code, 2, "{name}: a load error, like conftest: {r:?}");
            continue;
        }
        let doc = r.json();
        let files: BTreeMap<&str, &Value> = doc["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| (f["path"].as_str().expect("path"), f))
            .collect();
        let entries = expected.as_array().expect("a list");
        let want_files: BTreeSet<&str> = entries
            .iter()
            .map(|e| e["filename"].as_str().expect("filename"))
            .collect();
        assert_eq!(
            files.keys().copied().collect::<BTreeSet<_>>(),
            want_files,
            "{name}: the files lint walked are the ones conftest checks"
        );
        let mut failures = 0;
        for exp in entries {
            let file = exp["filename"].as_str().unwrap();
            let ns = exp["namespace"].as_str().expect("namespace");
            let ours = files[file];
            if exp.get("error").is_some() || ours.get("error").is_some() {
                if exp.get("error").is_none() || ours.get("error").is_none() {
                    mismatches.push(format!(
                        "{name}/{file}: error only on one side: OPA {} / plangate {}",
                        exp["error"], ours["error"]
                    ));
                }
                continue;
            }
            for (key, severity) in [("failures", "error"), ("warnings", "warning")] {
                let got: Vec<String> = ours["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .filter(|f| f["namespace"] == ns && f["severity"] == severity)
                    .map(|f| {
                        let mut md = f["metadata"].as_object().cloned().unwrap_or_default();
                        let query = format!("data.{ns}.{}", f["rule"].as_str().expect("rule"));
                        md.insert("query".into(), query.into());
                        for k in CONSUMED {
                            assert!(md.get(*k).is_none(), "{name}/{file}: {k} kept: {f}");
                        }
                        canonical(&f["msg"], &md)
                    })
                    .collect();
                let want: Vec<String> = exp[key]
                    .as_array()
                    .expect("results")
                    .iter()
                    .map(|x| {
                        let md = x["metadata"].as_object().cloned().unwrap_or_default();
                        canonical(&x["msg"], &md)
                    })
                    .collect();
                // Same messages and metadata, same counts (duplicates included).
                let (got, want) = (sorted(got), sorted(want));
                if got != want {
                    mismatches.push(format!(
                        "{name}/{file}/{ns}: {key} differ from OPA\n  plangate: {got:#?}\n  OPA:      {want:#?}"
                    ));
                }
                if key == "failures" {
                    failures += want.len();
                }
                results += want.len();
            }
            let got: Vec<String> = ours["exceptions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["namespace"] == ns)
                .map(|e| e["msg"].to_string())
                .collect();
            let want: Vec<String> = exp["exceptions"]
                .as_array()
                .expect("exceptions")
                .iter()
                .map(|e| e["msg"].to_string())
                .collect();
            let (got, want) = (sorted(got), sorted(want));
            if got != want {
                mismatches.push(format!(
                    "{name}/{file}/{ns}: exceptions differ from OPA\n  plangate: {got:?}\n  OPA:      {want:?}"
                ));
            }
            results += want.len();
            compared += 1;
        }
        assert_eq!(
            r.code,
            if failures > 0 { 1 } else { 0 },
            "{name}: exit code: {r:?}"
        );
        assert_eq!(doc["summary"]["failures"], failures, "{name}");
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(compared >= 6, "compared {compared} (file, namespace) pairs");
    assert!(
        results >= 25,
        "the cases exercise real findings ({results})"
    );
}
