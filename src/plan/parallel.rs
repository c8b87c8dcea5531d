//! Parsing a large plan on every core.
//!
//! A plan of tens of thousands of resources is hundreds of megabytes of JSON, and
//! parsing it into the policy input is most of a `check`. serde_json stays the only
//! parser: it first splits the text into raw slices (`RawValue`, a scan without
//! allocation), then the slices are parsed on rayon's pool: each top-level member,
//! large members recursively, and large arrays in runs of consecutive elements.
//! `resource_changes` and `resource_drift` give the typed view from the same runs,
//! while they are in cache.
//!
//! The result is the value and typed view the one-thread path gives. Anything
//! unusual (invalid JSON, a duplicate top-level key, a shape the typed view
//! refuses) returns `None`, and the caller parses the plan the one-thread way,
//! which gives the located diagnostic.

use std::collections::BTreeMap;

use rayon::prelude::*;
use regorus::Value;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::model::{RawPlan, RawResourceChange};

/// Plans smaller than this are parsed on one thread: splitting would cost more
/// than it saves, and many small plans are already parsed in parallel.
pub const MIN_PARALLEL: usize = 1 << 20;

/// Target size of one parsing job.
const RUN: usize = 1 << 20;

/// Values nested deeper than this are parsed whole, so that the nesting limit of
/// serde_json (128) still bounds every value: the split adds at most this much.
const MAX_SPLIT_DEPTH: usize = 8;

/// Top-level members the typed view reads only from the runs (the change arrays) or
/// never (the value trees): left out of the document the typed view is parsed from.
const NOT_IN_HEAD: &[&str] = &[
    "resource_changes",
    "resource_drift",
    "planned_values",
    "prior_state",
];

/// The policy input and typed view of `text`, parsed in parallel; `None` when the
/// one-thread path must decide (see the module docs).
pub fn parse(text: &str) -> Option<(Value, RawPlan)> {
    parse_in_runs(text, RUN)
}

/// [`parse`] with jobs of about `run` bytes (small in tests, to split small plans).
pub(crate) fn parse_in_runs(text: &str, run: usize) -> Option<(Value, RawPlan)> {
    let members = top_level(text)?;
    let mut head = String::from("{");
    for (key, raw) in &members {
        if NOT_IN_HEAD.contains(&key.as_str()) {
            continue;
        }
        if head.len() > 1 {
            head.push(',');
        }
        head.push_str(&serde_json::to_string(key).ok()?);
        head.push(':');
        head.push_str(raw.get());
    }
    head.push('}');
    let (raw_head, parsed) = rayon::join(
        || serde_json::from_str::<RawPlan>(&head).ok(),
        || {
            members
                .par_iter()
                .map(|(key, raw)| match key.as_str() {
                    "resource_changes" | "resource_drift" => {
                        changes(raw.get(), run).map(|(v, typed)| (v, Some(typed)))
                    }
                    _ => value(raw.get(), run, 1).map(|v| (v, None)),
                })
                .collect::<Option<Vec<_>>>()
        },
    );
    let mut raw_plan = raw_head?;
    let mut object = BTreeMap::new();
    for ((key, _), (v, typed)) in members.iter().zip(parsed?) {
        match (key.as_str(), typed) {
            ("resource_changes", Some(t)) => raw_plan.resource_changes = t,
            ("resource_drift", Some(t)) => raw_plan.resource_drift = t,
            _ => {}
        }
        object.insert(Value::from(key.as_str()), v);
    }
    Some((Value::from(object), raw_plan))
}

/// The members of the top-level object as raw slices, in order; `None` for
/// anything but an object with distinct keys.
fn top_level(text: &str) -> Option<Vec<(String, &RawValue)>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let members = <Members as serde::Deserialize>::deserialize(&mut de)
        .ok()?
        .0;
    de.end().ok()?;
    let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    let distinct = keys.windows(2).all(|w| w[0] != w[1]);
    distinct.then_some(members)
}

/// Any JSON value as regorus parses it: small ones whole, large objects member by
/// member and large arrays in runs, in parallel.
fn value(raw: &str, run: usize, depth: usize) -> Option<Value> {
    if raw.len() < run || depth > MAX_SPLIT_DEPTH {
        return super::json::from_str(raw).ok();
    }
    match raw.as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
            let parts = runs(raw, &items, run)
                .par_iter()
                .map(|job| match job {
                    Run::One(item) => value(item, run, depth + 1).map(|v| vec![v]),
                    Run::Many(text) => array_run(text),
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Value::from(parts.concat()))
        }
        Some(b'{') => {
            // Duplicate keys: the last one wins, as in regorus' own parse.
            let members: Vec<(String, &RawValue)> = serde_json::from_str::<Members>(raw).ok()?.0;
            let values = members
                .par_iter()
                .map(|(_, v)| value(v.get(), run, depth + 1))
                .collect::<Option<Vec<_>>>()?;
            let mut object = BTreeMap::new();
            for ((key, _), v) in members.into_iter().zip(values) {
                object.insert(Value::from(key), v);
            }
            Some(Value::from(object))
        }
        _ => super::json::from_str(raw).ok(),
    }
}

/// Members of an object in order, duplicates kept.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<(String, &'de RawValue)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        d.deserialize_map(V).map(Members)
    }
}

/// `resource_changes` or `resource_drift`: the policy value and the typed changes,
/// each run of elements parsed both ways by one job. `None` unless an array.
fn changes(raw: &str, run: usize) -> Option<(Value, Vec<RawResourceChange>)> {
    if !raw.starts_with('[') {
        return None;
    }
    let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
    let parts = runs(raw, &items, run)
        .par_iter()
        .map(|job| match job {
            Run::One(item) => {
                let typed = serde_json::from_str::<RawResourceChange>(item).ok()?;
                Some((vec![value(item, run, 2)?], vec![typed]))
            }
            Run::Many(text) => {
                let list = bracketed(text);
                let typed = serde_json::from_str::<Vec<RawResourceChange>>(&list).ok()?;
                Some((elements(&list)?, typed))
            }
        })
        .collect::<Option<Vec<_>>>()?;
    let (values, typed): (Vec<Vec<Value>>, Vec<Vec<RawResourceChange>>) = parts.into_iter().unzip();
    Some((
        Value::from(values.concat()),
        typed.into_iter().flatten().collect(),
    ))
}

/// A parsing job over an array: one large element, or consecutive small ones (the
/// text from the first to the last, commas included).
enum Run<'a> {
    One(&'a str),
    Many(&'a str),
}

/// Group the elements of the array `raw` into jobs of about `run` bytes.
fn runs<'a>(raw: &'a str, items: &[&'a RawValue], run: usize) -> Vec<Run<'a>> {
    let offset = |s: &str| s.as_ptr() as usize - raw.as_ptr() as usize;
    let mut out = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for item in items {
        let s = item.get();
        let (start, end) = (offset(s), offset(s) + s.len());
        if s.len() >= run {
            if let Some((a, b)) = open.take() {
                out.push(Run::Many(&raw[a..b]));
            }
            out.push(Run::One(s));
            continue;
        }
        let (a, _) = open.get_or_insert((start, end));
        let a = *a;
        open = Some((a, end));
        if end - a >= run {
            out.push(Run::Many(&raw[a..end]));
            open = None;
        }
    }
    if let Some((a, b)) = open {
        out.push(Run::Many(&raw[a..b]));
    }
    out
}

/// The elements of a run, parsed as one array (one key-interning table per run).
fn array_run(text: &str) -> Option<Vec<Value>> {
    elements(&bracketed(text))
}

/// The elements of a JSON array.
fn elements(list: &str) -> Option<Vec<Value>> {
    match super::json::from_str(list).ok()? {
        Value::Array(a) => {
            Some(std::sync::Arc::try_unwrap(a).map_or_else(|a| a.to_vec(), |a| a.into_vec()))
        }
        _ => None,
    }
}

fn bracketed(text: &str) -> String {
    let mut list = String::with_capacity(text.len() + 2);
    list.push('[');
    list.push_str(text);
    list.push(']');
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-thread result: the value and the typed view, or nothing.
    fn serial(text: &str) -> Option<(Value, String)> {
        let value = super::super::json::from_str(text).ok()?;
        let raw = serde_json::from_str::<RawPlan>(text).ok()?;
        Some((value, format!("{raw:?}")))
    }

    fn split(text: &str, run: usize) -> Option<(Value, String)> {
        parse_in_runs(text, run).map(|(v, raw)| (v, format!("{raw:?}")))
    }

    fn plans() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for dir in ["fixtures/plans", "fixtures/plans/shared"] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        assert!(out.len() > 30, "the real plans are missing");
        out
    }

    #[test]
    fn every_real_plan_splits_into_the_same_value_and_view() {
        // Runs of a few bytes split every member and every array of these small
        // plans, as a huge plan is split.
        for (name, text) in plans() {
            let expected = serial(&text).unwrap();
            for run in [1, 64, 4096, usize::MAX] {
                let got = split(&text, run).unwrap_or_else(|| panic!("{name}: not split"));
                assert!(got.0 == expected.0, "{name} (run {run}): another value");
                assert_eq!(got.1, expected.1, "{name} (run {run}): another typed view");
            }
        }
    }

    #[test]
    fn anything_unusual_is_left_to_the_one_thread_parse() {
        let plan = std::fs::read_to_string("fixtures/plans/mixed.json").unwrap();
        let body = plan.trim().trim_start_matches('{');
        for text in [
            format!("{{\"format_version\":\"1.2\",{body}"),
            "{\"resource_changes\":null}".to_string(),
            "{\"resource_changes\":[{\"address\":1}]}".to_string(),
            "{\"resource_changes\":[],\"x\":NaN}".to_string(),
            format!("{plan} trailing"),
            "[1,2,3]".to_string(),
            plan[..plan.len() / 2].to_string(),
        ] {
            assert!(split(&text, 1).is_none(), "{}", &text[..text.len().min(60)]);
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!(
            "{{\"format_version\":\"1.2\",\"x\":{}{}}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        assert!(split(&deep, 1).is_none());
        assert!(serial(&deep).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Broken plans: what the split accepts, the one-thread parse accepts the
        /// same way.
        #[test]
        fn a_mutated_plan_splits_as_it_parses(
            edits in proptest::collection::vec((0usize..13_000, 0usize..12), 1..4),
            run in 1usize..2048,
        ) {
            let mut bytes = std::fs::read("fixtures/plans/mixed.json").unwrap();
            let pick = [b'{', b'}', b'[', b']', b',', b':', b'"', b'1', b'x', b' ', b'\\', b'n'];
            for (at, with) in edits {
                let at = at % bytes.len();
                bytes[at] = pick[with];
            }
            let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
            if let Some(got) = split(&text, run) {
                let expected = serial(&text);
                proptest::prop_assert!(expected.is_some(), "split accepts what the parse refuses");
                let expected = expected.unwrap();
                proptest::prop_assert!(got.0 == expected.0);
                proptest::prop_assert_eq!(got.1, expected.1);
            }
        }
    }
}
