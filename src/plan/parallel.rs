//! Parsing a large plan on every core.
//!
//! A plan of tens of thousands of resources is hundreds of megabytes of JSON, and
//! parsing it into the policy input is most of a `check`. serde_json stays the only
//! parser. The calling thread walks the top of the document with it; every array it
//! meets is read as raw elements (`RawValue`, a scan without allocation) and cut
//! into runs of consecutive elements, and each run is parsed on rayon's pool as soon
//! as it is read. `resource_changes` and `resource_drift` give the typed view from
//! the same runs, while they are in cache.
//!
//! With [`InputUse::Plangate`] the members no policy reads are only read as raw
//! text (their syntax checked), not built.
//!
//! The result is the value and typed view the one-thread path gives. Anything
//! unusual (invalid JSON, a duplicate top-level key, a shape the typed view
//! refuses) returns `None`, and the caller parses the plan the one-thread way,
//! which gives the located diagnostic.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Mutex;

use regorus::Value;
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::model::{RawPlan, RawResourceChange};
use super::{InputUse, POLICY_ONLY_MEMBERS};

/// Plans smaller than this are parsed on one thread: splitting would cost more
/// than it saves, and many small plans are already parsed in parallel.
pub const MIN_PARALLEL: usize = 1 << 20;

/// Target size of one parsing job.
const RUN: usize = 1 << 20;

/// Values nested deeper than this are parsed whole, so that the nesting limit of
/// serde_json (128) still bounds every value: the split adds at most this much.
const MAX_SPLIT_DEPTH: usize = 8;

/// The policy input and typed view of `text`, parsed in parallel; `None` when the
/// one-thread path must decide (see the module docs).
pub fn parse(text: &str, input_use: InputUse) -> Option<(Value, RawPlan)> {
    parse_in_runs(text, RUN, input_use)
}

/// [`parse`] with jobs of about `run` bytes (small in tests, to split small plans).
///
/// The calling thread walks the spine of the document (the top-level object, and
/// `planned_values` and `prior_state` down to their arrays) with serde_json
/// itself; every array met on the way is read as raw elements, cut into runs, and
/// each run becomes a job on rayon's pool at once, so parsing starts while the
/// rest of the file is still being read, and no byte is scanned more than twice.
pub(crate) fn parse_in_runs(
    text: &str,
    run: usize,
    input_use: InputUse,
) -> Option<(Value, RawPlan)> {
    let (top, mut outputs, mut head) = walk(text, run, Kind::Top, 0, input_use)?;
    head.push('}');
    let mut raw_plan = serde_json::from_str::<RawPlan>(&head).ok()?;
    let Part::Object(members) = top else {
        return None;
    };
    let mut object = BTreeMap::new();
    for (key, part) in members {
        let value = match part {
            Part::Changes(ids) => {
                let (values, typed) = take_changes(&ids, &mut outputs)?;
                match key.as_str() {
                    "resource_changes" => raw_plan.resource_changes = typed,
                    _ => raw_plan.resource_drift = typed,
                }
                Value::from(values)
            }
            part => build(part, &mut outputs)?,
        };
        object.insert(Value::from(key), value);
    }
    Some((Value::from(object), raw_plan))
}

/// Walk `text` as a `kind` part at `depth`, start the jobs for what hangs from it,
/// and wait for them: the part, the jobs' outputs by id, and (for the top) the
/// members the typed view reads, as an unclosed JSON object.
fn walk(
    text: &str,
    run: usize,
    kind: Kind,
    depth: usize,
    input_use: InputUse,
) -> Option<(Part, Vec<Option<Done>>, String)> {
    let done = Mutex::new(Vec::new());
    let (part, started, head) = rayon::scope(|scope| {
        let jobs = Jobs {
            scope,
            text,
            run,
            input_use,
            done: &done,
            next: Cell::new(0),
            head: RefCell::new(String::from("{")),
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let part = Walk {
            jobs: &jobs,
            depth,
            kind,
        }
        .deserialize(&mut de)
        .ok()
        .filter(|_| de.end().is_ok());
        (part, jobs.next.get(), jobs.head.into_inner())
    });
    let mut done = done.into_inner().ok()?;
    done.sort_unstable_by_key(|(id, _)| *id);
    if done.len() != started {
        return None;
    }
    Some((part?, done.into_iter().map(|(_, d)| d).collect(), head))
}

/// A part of the document while its jobs run.
enum Part {
    Ready(Value),
    Object(Vec<(String, Part)>),
    /// One value, parsed by this job.
    Job(usize),
    /// An array's elements, parsed by these jobs in turn.
    Array(Vec<usize>),
    /// `resource_changes` or `resource_drift`: values and typed changes.
    Changes(Vec<usize>),
}

/// What a job gives.
enum Done {
    Values(Vec<Value>),
    Changes(Vec<Value>, Vec<RawResourceChange>),
}

/// The jobs of one parse: started by the walking thread, results gathered under a
/// lock (one push per job of about a megabyte).
struct Jobs<'s, 'scope> {
    scope: &'s rayon::Scope<'scope>,
    text: &'scope str,
    run: usize,
    input_use: InputUse,
    done: &'scope Mutex<Vec<(usize, Option<Done>)>>,
    next: Cell<usize>,
    /// The top-level members the typed view reads, as a JSON object (unclosed).
    head: RefCell<String>,
}

impl<'scope> Jobs<'_, 'scope> {
    fn spawn(&self, job: impl FnOnce() -> Option<Done> + Send + 'scope) -> usize {
        let id = self.next.get();
        self.next.set(id + 1);
        let done = self.done;
        self.scope.spawn(move |_| {
            let result = job();
            if let Ok(mut done) = done.lock() {
                done.push((id, result));
            }
        });
        id
    }

    /// Adds a top-level member to the text the typed view is read from.
    fn add_to_head(&self, key: &str, raw: &RawValue) -> serde_json::Result<()> {
        let mut head = self.head.borrow_mut();
        if head.len() > 1 {
            head.push(',');
        }
        head.push_str(&serde_json::to_string(key)?);
        head.push(':');
        head.push_str(raw.get());
        Ok(())
    }

    /// Jobs for the runs of an array's raw elements.
    fn array(&self, items: &[&'scope RawValue], depth: usize, changes: bool) -> Vec<usize> {
        let run = self.run;
        runs(self.text, items, run)
            .into_iter()
            .map(|job| match (job, changes) {
                (Run::One(item), false) => {
                    self.spawn(move || value(item, run, depth + 1).map(|v| Done::Values(vec![v])))
                }
                (Run::Many(text), false) => self.spawn(move || array_run(text).map(Done::Values)),
                (Run::One(item), true) => self.spawn(move || {
                    let typed = serde_json::from_str::<RawResourceChange>(item).ok()?;
                    Some(Done::Changes(vec![value(item, run, 2)?], vec![typed]))
                }),
                (Run::Many(text), true) => self.spawn(move || {
                    let list = bracketed(text);
                    let typed = serde_json::from_str::<Vec<RawResourceChange>>(&list).ok()?;
                    Some(Done::Changes(elements(&list)?, typed))
                }),
            })
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// The top-level object.
    Top,
    /// Inside `planned_values`, `prior_state` or another large value, above the
    /// arrays.
    Spine,
    /// `resource_changes` or `resource_drift`, which must be arrays.
    Changes,
}

/// Walks the spine, starting jobs for what hangs from it.
struct Walk<'j, 's, 'scope> {
    jobs: &'j Jobs<'s, 'scope>,
    depth: usize,
    kind: Kind,
}

impl Walk<'_, '_, '_> {
    fn refuse<E: serde::de::Error>(&self) -> Result<Part, E> {
        Err(E::custom("left to the one-thread parse"))
    }

    fn ready<E: serde::de::Error>(&self, value: Value) -> Result<Part, E> {
        match self.kind {
            Kind::Spine => Ok(Part::Ready(value)),
            Kind::Top | Kind::Changes => self.refuse(),
        }
    }
}

impl<'de: 'scope, 'scope> serde::de::DeserializeSeed<'de> for Walk<'_, '_, 'scope> {
    type Value = Part;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Part, D::Error> {
        if self.depth > MAX_SPLIT_DEPTH {
            let raw = <&'de RawValue as serde::Deserialize>::deserialize(d)?;
            let run = self.jobs.run;
            let depth = self.depth;
            return Ok(Part::Job(self.jobs.spawn(move || {
                value(raw.get(), run, depth).map(|v| Done::Values(vec![v]))
            })));
        }
        d.deserialize_any(self)
    }
}

impl<'de: 'scope, 'scope> Visitor<'de> for Walk<'_, '_, 'scope> {
    type Value = Part;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a plan")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Part, A::Error> {
        let jobs = self.jobs;
        let mut members: Vec<(String, Part)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let walk = |kind| Walk {
                jobs,
                depth: self.depth + 1,
                kind,
            };
            let part = match (self.kind, key.as_str()) {
                (Kind::Changes, _) => return self.refuse(),
                (Kind::Top, _) if members.iter().any(|(k, _)| *k == key) => {
                    // The typed view refuses duplicate fields: so must this.
                    return self.refuse();
                }
                (Kind::Top, member)
                    if jobs.input_use == InputUse::Plangate
                        && POLICY_ONLY_MEMBERS.contains(&member) =>
                {
                    // Not built: read as raw JSON (its syntax checked, as the
                    // one-thread parse checks it); the typed view may read it.
                    let raw: &'de RawValue = map.next_value()?;
                    if !matches!(member, "planned_values" | "prior_state") {
                        jobs.add_to_head(&key, raw).map_err(A::Error::custom)?;
                    }
                    Part::Ready(Value::Null)
                }
                (Kind::Top, "resource_changes" | "resource_drift") => {
                    map.next_value_seed(walk(Kind::Changes))?
                }
                (Kind::Top, "planned_values" | "prior_state") | (Kind::Spine, _) => {
                    map.next_value_seed(walk(Kind::Spine))?
                }
                (Kind::Top, _) => {
                    let raw: &'de RawValue = map.next_value()?;
                    jobs.add_to_head(&key, raw).map_err(A::Error::custom)?;
                    let run = jobs.run;
                    Part::Job(
                        jobs.spawn(move || value(raw.get(), run, 1).map(|v| Done::Values(vec![v]))),
                    )
                }
            };
            members.push((key, part));
        }
        match self.kind {
            Kind::Changes => self.refuse(),
            Kind::Top | Kind::Spine => Ok(Part::Object(members)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Part, A::Error> {
        if self.kind == Kind::Top {
            return self.refuse();
        }
        let changes = self.kind == Kind::Changes;
        // A run's jobs start as soon as its elements are read, so that the pool
        // parses them while this thread reads the rest of the document.
        let mut ids = Vec::new();
        let mut pending: Vec<&'de RawValue> = Vec::new();
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            pending.push(item);
            let (first, last) = (pending[0].get(), item.get());
            let span = last.as_ptr() as usize + last.len() - first.as_ptr() as usize;
            if span >= self.jobs.run {
                ids.extend(self.jobs.array(&pending, self.depth, changes));
                pending.clear();
            }
        }
        ids.extend(self.jobs.array(&pending, self.depth, changes));
        Ok(if changes {
            Part::Changes(ids)
        } else {
            Part::Array(ids)
        })
    }

    // Scalars on the spine, built as regorus (and src/plan/json.rs) builds them.
    fn visit_unit<E: serde::de::Error>(self) -> Result<Part, E> {
        self.ready(Value::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Part, E> {
        self.ready(Value::Bool(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Part, E> {
        self.ready(Value::from(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Part, E> {
        self.ready(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Part, E> {
        if !v.is_finite() {
            return self.refuse();
        }
        self.ready(Value::from(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Part, E> {
        self.ready(Value::from(v))
    }
}

/// The value of a part, from the jobs' outputs.
fn build(part: Part, outputs: &mut [Option<Done>]) -> Option<Value> {
    Some(match part {
        Part::Ready(v) => v,
        Part::Object(members) => {
            // In order, so the last of duplicate keys wins, as in the one-thread parse.
            let mut object = BTreeMap::new();
            for (key, part) in members {
                object.insert(Value::from(key), build(part, outputs)?);
            }
            Value::from(object)
        }
        Part::Job(id) => match outputs.get_mut(id)?.take()? {
            Done::Values(mut v) if v.len() == 1 => v.pop()?,
            _ => return None,
        },
        Part::Array(ids) => {
            let mut items = Vec::new();
            for id in ids {
                match outputs.get_mut(id)?.take()? {
                    Done::Values(mut v) => items.append(&mut v),
                    Done::Changes(..) => return None,
                }
            }
            Value::from(items)
        }
        Part::Changes(_) => return None,
    })
}

fn take_changes(
    ids: &[usize],
    outputs: &mut [Option<Done>],
) -> Option<(Vec<Value>, Vec<RawResourceChange>)> {
    let (mut values, mut typed) = (Vec::new(), Vec::new());
    for id in ids {
        match outputs.get_mut(*id)?.take()? {
            Done::Changes(mut v, mut t) => {
                values.append(&mut v);
                typed.append(&mut t);
            }
            Done::Values(_) => return None,
        }
    }
    Some((values, typed))
}

/// Whether the split parse of `text` in runs of `run` bytes agrees with the
/// one-thread parse, for each [`InputUse`]: it refuses, or gives the same value and
/// typed view. For the fuzzer and the property tests.
pub fn agrees_with_one_thread(text: &str, run: usize) -> bool {
    [InputUse::Whole, InputUse::Plangate]
        .into_iter()
        .all(|input_use| agrees_for(text, run, input_use))
}

fn agrees_for(text: &str, run: usize, input_use: InputUse) -> bool {
    let Some((value, raw)) = parse_in_runs(text, run, input_use) else {
        return true;
    };
    let Ok(expected) = super::json::from_str_for(text, input_use) else {
        return false;
    };
    let Ok(expected_raw) = serde_json::from_str::<RawPlan>(text) else {
        return false;
    };
    value == expected && format!("{raw:?}") == format!("{expected_raw:?}")
}

/// Any JSON value as regorus parses it: small or deeply nested ones whole, large
/// ones walked like the spine of the plan, their arrays in runs on rayon's pool.
fn value(raw: &str, run: usize, depth: usize) -> Option<Value> {
    if raw.len() < run || depth > MAX_SPLIT_DEPTH {
        return super::json::from_str(raw).ok();
    }
    let (part, mut outputs, _) = walk(raw, run, Kind::Spine, depth, InputUse::Whole)?;
    build(part, &mut outputs)
}

/// A parsing job over an array: one large element, or consecutive small ones (the
/// text from the first to the last, commas included).
enum Run<'a> {
    One(&'a str),
    Many(&'a str),
}

/// Group the elements of an array into jobs of about `run` bytes; `raw` is any text
/// holding them all (the array, or the whole document).
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
    fn serial(text: &str, input_use: InputUse) -> Option<(Value, String)> {
        let value = super::super::json::from_str_for(text, input_use).ok()?;
        let raw = serde_json::from_str::<RawPlan>(text).ok()?;
        Some((value, format!("{raw:?}")))
    }

    fn split(text: &str, run: usize, input_use: InputUse) -> Option<(Value, String)> {
        parse_in_runs(text, run, input_use).map(|(v, raw)| (v, format!("{raw:?}")))
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
            for input_use in [InputUse::Whole, InputUse::Plangate] {
                let expected = serial(&text, input_use).unwrap();
                for run in [1, 64, 4096, usize::MAX] {
                    let got =
                        split(&text, run, input_use).unwrap_or_else(|| panic!("{name}: not split"));
                    assert!(
                        got.0 == expected.0,
                        "{name} ({input_use:?}, {run}): another value"
                    );
                    assert_eq!(
                        got.1, expected.1,
                        "{name} ({input_use:?}, {run}): another view"
                    );
                }
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
            for input_use in [InputUse::Whole, InputUse::Plangate] {
                let start = &text[..text.len().min(60)];
                assert!(split(&text, 1, input_use).is_none(), "{start}");
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!(
            "{{\"format_version\":\"1.2\",\"x\":{}{}}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        for input_use in [InputUse::Whole, InputUse::Plangate] {
            assert!(split(&deep, 1, input_use).is_none());
            assert!(serial(&deep, input_use).is_none());
        }
        // A member that is only checked is not built: deep nesting there is no
        // stack overflow either, and both parses answer alike.
        let deep = deep.replace("\"x\"", "\"planned_values\"");
        for input_use in [InputUse::Whole, InputUse::Plangate] {
            for run in [1, 4096] {
                assert_eq!(split(&deep, run, input_use), serial(&deep, input_use));
            }
        }
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
            proptest::prop_assert!(agrees_with_one_thread(&text, run));
        }
    }
}
