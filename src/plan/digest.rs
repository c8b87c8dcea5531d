//! Plan digests: a stable identity for "what this plan will do", so an approval or a
//! verified apply is bound to the exact plan, and a coarser change-set digest that
//! recognises the same change in two environments.

use rayon::prelude::*;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::Plan;

/// Marker for values unknown until apply.
const UNKNOWN: &str = "(known after apply)";
/// Marker for values the plan marks sensitive.
const SENSITIVE: &str = "(sensitive)";

/// `sha256:<hex>` of every change (address, deposed key, action class and planned
/// values, with unknown and sensitive values replaced by markers) and every output
/// change. Key order, whitespace, change order, timestamps and tool versions do
/// not matter. Computed by streaming canonical JSON into the hash: no copy of the
/// plan is built (it is a hot path on plans of tens of thousands of resources).
pub fn plan_digest(plan: &Plan) -> String {
    let changes = &plan.input["resource_changes"];
    // One hash per change, on every core; sorted, so the order does not matter.
    let mut per_change: Vec<[u8; 32]> = plan
        .changes
        .par_iter()
        .map(|c| {
            let change = &changes[c.index_in_plan]["change"];
            let mut h = HashWriter::new();
            canonical_json(&mut h, &json!([c.address, c.deposed, c.action.as_str()]));
            h.write(b"|");
            write_normalised(
                &mut h,
                &change["before"],
                &regorus::Value::Undefined,
                &change["before_sensitive"],
            );
            h.write(b"|");
            write_normalised(
                &mut h,
                &change["after"],
                &change["after_unknown"],
                &change["after_sensitive"],
            );
            h.finalize()
        })
        .collect();
    per_change.sort_unstable();
    let mut h = HashWriter::new();
    for d in &per_change {
        h.write(d);
    }
    let mut outputs: Vec<(String, &str)> = plan
        .outputs
        .iter()
        .map(|o| (o.name.clone(), o.action.as_str()))
        .collect();
    outputs.sort();
    canonical_json(&mut h, &json!(outputs));
    hex(&h.finalize())
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

/// Feeds bytes to the hash through a buffer: canonical JSON comes in pieces of a
/// few bytes (`{`, a key, `:`), and one hash update per piece cost more than the
/// hashing itself.
struct HashWriter {
    sha: Sha256,
    buf: Vec<u8>,
}

const HASH_BUFFER: usize = 8192;

impl HashWriter {
    fn new() -> HashWriter {
        HashWriter {
            sha: Sha256::new(),
            buf: Vec::with_capacity(HASH_BUFFER),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > HASH_BUFFER {
            self.sha.update(&self.buf);
            self.buf.clear();
        }
        if bytes.len() > HASH_BUFFER {
            self.sha.update(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn finalize(mut self) -> [u8; 32] {
        self.sha.update(&self.buf);
        self.sha.finalize().into()
    }
}

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        HashWriter::write(self, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn is_true(v: &regorus::Value) -> bool {
    *v == regorus::Value::Bool(true)
}

fn write_scalar<T: serde::Serialize + ?Sized>(h: &mut HashWriter, v: &T) {
    // Writing into a hash cannot fail.
    let _ = serde_json::to_writer(&mut *h, v);
}

/// Canonical JSON of a value with unknown and sensitive leaves replaced by
/// markers, following the plan's parallel masks; object keys sorted.
fn write_normalised(
    h: &mut HashWriter,
    value: &regorus::Value,
    unknown: &regorus::Value,
    sensitive: &regorus::Value,
) {
    use regorus::Value;
    if is_true(sensitive) {
        write_scalar(h, SENSITIVE);
        return;
    }
    if is_true(unknown) {
        write_scalar(h, UNKNOWN);
        return;
    }
    let undefined = Value::Undefined;
    match value {
        Value::Object(m) => {
            // The keys of the value and of its unknown mask (unknown attributes may
            // be absent from `after`), merged in order: both maps are sorted.
            let mut values = m.iter().peekable();
            let mut unknowns = match unknown {
                Value::Object(u) => Some(u.iter()),
                _ => None,
            }
            .into_iter()
            .flatten()
            .peekable();
            h.write(b"{");
            let mut first = true;
            loop {
                let (k, v, u) = match (values.peek(), unknowns.peek()) {
                    (None, None) => break,
                    (Some(&(k, v)), None) => {
                        values.next();
                        (k, v, &undefined)
                    }
                    (None, Some(&(k, u))) => {
                        unknowns.next();
                        (k, &undefined, u)
                    }
                    (Some(&(k, v)), Some(&(uk, u))) => match k.cmp(uk) {
                        std::cmp::Ordering::Less => {
                            values.next();
                            (k, v, &undefined)
                        }
                        std::cmp::Ordering::Greater => {
                            unknowns.next();
                            (uk, &undefined, u)
                        }
                        std::cmp::Ordering::Equal => {
                            values.next();
                            unknowns.next();
                            (k, v, u)
                        }
                    },
                };
                if !first {
                    h.write(b",");
                }
                first = false;
                write_scalar(h, k);
                h.write(b":");
                let s = match sensitive {
                    Value::Object(s) => s.get(k).unwrap_or(&undefined),
                    _ => &undefined,
                };
                write_normalised(h, v, u, s);
            }
            h.write(b"}");
        }
        Value::Array(a) => {
            let at = |mask, i| element(mask, i).unwrap_or(&undefined);
            h.write(b"[");
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    h.write(b",");
                }
                write_normalised(h, v, at(unknown, i), at(sensitive, i));
            }
            h.write(b"]");
        }
        Value::Undefined => h.write(b"null"),
        other => write_scalar(h, other),
    }
}

/// The `i`th element of a mask that is an array.
fn element(mask: &regorus::Value, i: usize) -> Option<&regorus::Value> {
    match mask {
        regorus::Value::Array(m) => m.get(i),
        _ => None,
    }
}

/// Canonical JSON (sorted keys) of a small serde_json value.
fn canonical_json(h: &mut HashWriter, v: &Json) {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            h.write(b"{");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    h.write(b",");
                }
                write_scalar(h, k.as_str());
                h.write(b":");
                canonical_json(h, &m[k.as_str()]);
            }
            h.write(b"}");
        }
        Json::Array(a) => {
            h.write(b"[");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    h.write(b",");
                }
                canonical_json(h, x);
            }
            h.write(b"]");
        }
        other => write_scalar(h, other),
    }
}

fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Hash of a small value's canonical JSON.
fn hash(v: &Json) -> String {
    let mut h = HashWriter::new();
    canonical_json(&mut h, v);
    hex(&h.finalize())
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
