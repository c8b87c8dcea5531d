//! JSON text to a policy value, as `regorus::Value::from_json_str` builds it, but
//! with equal parts shared: a plan repeats the same keys, types, providers and ids
//! (an id is in `prior_state`, in the change, and in `planned_values`), and whole
//! objects (`after_unknown` masks, `sensitive_values`, `{}`, the same attributes in
//! `before` and in `prior_state`). On the real 5,000-resource plan four of five
//! object and array entries are repeats. One allocation per distinct string,
//! object and array instead of one per occurrence is half the memory, and fewer
//! pages for the kernel to clear (BENCHMARKS.md).
//!
//! serde_json does the parsing; this is only the visitor that builds the values,
//! with the same rules as regorus' own (numbers, non-finite floats refused, the
//! last of duplicate keys wins). Values are immutable once built (regorus copies
//! on write), so sharing is invisible to policies.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use regorus::Value;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{InputUse, POLICY_ONLY_MEMBERS};

/// Parse `text` into a value whose equal strings, objects and arrays share one
/// allocation.
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    let tables = RefCell::new(Tables::default());
    let mut de = serde_json::Deserializer::from_str(text);
    let (value, _) = Shared(&tables).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// [`from_str`], building only what `input_use` asks for: with
/// [`InputUse::Plangate`] the top-level members no policy would read
/// ([`POLICY_ONLY_MEMBERS`]) are only checked to be JSON, and left `null`.
pub fn from_str_for(text: &str, input_use: InputUse) -> Result<Value, serde_json::Error> {
    if input_use == InputUse::Whole || !text.trim_start().starts_with('{') {
        return from_str(text);
    }
    let tables = RefCell::new(Tables::default());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = de.deserialize_map(Top(Shared(&tables)))?;
    de.end()?;
    Ok(value)
}

/// What a value was built from, exactly: two objects whose members have the same
/// keys and identities in the same order are the same value. Numbers by kind and
/// bits (regorus keeps `1` and `1.0` apart), strings, objects and arrays by the
/// address of their one shared allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Id {
    Null,
    Bool(bool),
    UInt(u64),
    Int(i64),
    Float(u64),
    Shared(usize),
    /// Marks the start of an object's or an array's members.
    Object,
    Array,
}

#[derive(Default)]
struct Tables {
    strings: FxHashSet<Arc<str>>,
    /// Objects and arrays by their members' identities.
    nodes: FxHashMap<Box<[Id]>, Value>,
}

/// Builds values, sharing equal ones through the tables it borrows.
#[derive(Clone, Copy)]
struct Shared<'t>(&'t RefCell<Tables>);

fn address(v: &Value) -> usize {
    match v {
        Value::String(s) => Arc::as_ptr(s) as *const u8 as usize,
        Value::Array(a) => Arc::as_ptr(a) as usize,
        Value::Object(o) => Arc::as_ptr(o) as usize,
        Value::Set(s) => Arc::as_ptr(s) as usize,
        _ => 0,
    }
}

impl Shared<'_> {
    fn string(self, s: &str) -> (Value, Id) {
        let mut tables = self.0.borrow_mut();
        let shared = match tables.strings.get(s) {
            Some(found) => found.clone(),
            None => {
                let new: Arc<str> = Arc::from(s);
                tables.strings.insert(new.clone());
                new
            }
        };
        let id = Id::Shared(Arc::as_ptr(&shared) as *const u8 as usize);
        (Value::String(shared), id)
    }

    /// The shared value with these member identities, built by `build` the first
    /// time.
    fn node(self, key: Vec<Id>, build: impl FnOnce() -> Value) -> (Value, Id) {
        let mut tables = self.0.borrow_mut();
        if let Some(found) = tables.nodes.get(key.as_slice()) {
            return (found.clone(), Id::Shared(address(found)));
        }
        let value = build();
        let id = Id::Shared(address(&value));
        tables.nodes.insert(key.into_boxed_slice(), value.clone());
        (value, id)
    }
}

impl<'de> DeserializeSeed<'de> for Shared<'_> {
    type Value = (Value, Id);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shared<'_> {
    type Value = (Value, Id);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok((Value::Null, Id::Null))
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok((Value::Null, Id::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok((Value::Bool(v), Id::Bool(v)))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok((Value::from(v), Id::UInt(v)))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok((Value::from(v), Id::Int(v)))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        // As regorus: NaN and infinities have no JSON form and break its ordering.
        if !v.is_finite() {
            return Err(E::custom(format!(
                "invalid non-finite number in input: {v}"
            )));
        }
        Ok((Value::from(v), Id::Float(v.to_bits())))
    }

    fn visit_str<E: Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(self.string(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut key = vec![Id::Array];
        let mut items = Vec::new();
        while let Some((v, id)) = seq.next_element_seed(self)? {
            key.push(id);
            items.push(v);
        }
        Ok(self.node(key, || Value::from(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut key = vec![Id::Object];
        let mut members = Vec::new();
        while let Some((k, kid)) = map.next_key_seed(self)? {
            let (v, vid) = map.next_value_seed(self)?;
            key.push(kid);
            key.push(vid);
            members.push((k, v));
        }
        Ok(self.node(key, || {
            // In order, so the last of duplicate keys wins.
            let mut object = BTreeMap::new();
            for (k, v) in members {
                object.insert(k, v);
            }
            Value::from(object)
        }))
    }
}

/// The top-level object of a plan whose policy-only members are checked, not
/// built.
struct Top<'t>(Shared<'t>);

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = BTreeMap::new();
        while let Some((k, _)) = map.next_key_seed(self.0)? {
            let policy_only = k
                .as_string()
                .is_ok_and(|k| POLICY_ONLY_MEMBERS.contains(&k.as_ref()));
            let v = if policy_only {
                map.next_value::<IgnoredAny>()?;
                Value::Null
            } else {
                map.next_value_seed(self.0)?.0
            };
            // In order, so the last of duplicate keys wins.
            object.insert(k, v);
        }
        Ok(Value::from(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(text: &str) {
        let ours = from_str(text).map_err(|e| e.to_string());
        let theirs = Value::from_json_str(text).map_err(|e| e.to_string());
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "{text}: {ours:?} vs {theirs:?}"
        );
        if let (Ok(a), Ok(b)) = (ours, theirs) {
            assert_eq!(a, b, "{text}");
        }
    }

    #[test]
    fn values_are_those_regorus_builds() {
        for text in [
            "null",
            "true",
            "0",
            "-1",
            "18446744073709551615",
            "-9223372036854775808",
            "1e400",
            "1.5",
            "-0.0",
            "123456789012345678901234567890",
            r#""a\u00e9\ud83d\ude00""#,
            r#"{"b":1,"a":2,"b":3}"#,
            r#"[{"k":"v"},{"k":"v"},[],{}]"#,
            r#"{"":""}"#,
            "[1,2",
            "{\"a\":1}x",
        ] {
            same(text);
        }
    }

    #[test]
    fn equal_parts_share_one_allocation() {
        let v =
            from_str(r#"[{"type":"a","m":{}},{"type":"a","m":{}},{"m":{},"type":"a"}]"#).unwrap();
        assert_eq!(address(&v[0]["type"]), address(&v[1]["type"]));
        assert_eq!(address(&v[0]), address(&v[1]));
        assert_eq!(address(&v[0]["m"]), address(&v[2]["m"]));
        // Another order of the same members is an equal value, built again.
        assert_eq!(v[0], v[2]);
    }

    #[test]
    fn numbers_are_shared_only_when_built_alike() {
        // regorus keeps 1 and 1.0 apart (integer and float arithmetic differ), so
        // objects that differ only there are not one value.
        let v = from_str(r#"[{"n":1},{"n":1.0},{"n":1}]"#).unwrap();
        assert_ne!(address(&v[0]), address(&v[1]));
        assert_eq!(address(&v[0]), address(&v[2]));
        let again = Value::from_json_str(r#"[{"n":1},{"n":1.0},{"n":1}]"#).unwrap();
        assert_eq!(
            v[1]["n"].to_json_str().unwrap(),
            again[1]["n"].to_json_str().unwrap()
        );
    }

    #[test]
    fn real_plans_parse_as_regorus_parses_them() {
        for entry in std::fs::read_dir("fixtures/plans").unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                same(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
}
