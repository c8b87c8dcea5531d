//! OPA builtins that regorus does not ship but real policy libraries still call:
//! the deprecated v0 builtins (`re_match`, `any`, `all`, `set_diff`, `cast_*`,
//! `net.cidr_overlap`), `net.cidr_intersects`, `net.cidr_merge`, and the hashes
//! `crypto.md5/sha1/sha256` and `crypto.hmac.*`. Registered as regorus
//! extensions; like OPA's non-strict mode, bad arguments make the call undefined
//! rather than an error. The conformance case `builtins-extra` checks them against
//! OPA.

use hmac::{Hmac, Mac};
use ipnet::IpNet;
use regorus::Value;
use sha2::Digest;

type Ext = fn(Vec<Value>) -> anyhow::Result<Value>;

/// (name, number of arguments, implementation)
pub const EXTENSIONS: &[(&str, u8, Ext)] = &[
    ("re_match", 2, re_match),
    ("any", 1, any),
    ("all", 1, all),
    ("set_diff", 2, set_diff),
    ("cast_array", 1, cast_array),
    ("cast_set", 1, cast_set),
    ("cast_string", 1, cast_string),
    ("cast_boolean", 1, cast_boolean),
    ("cast_null", 1, cast_null),
    ("cast_object", 1, cast_object),
    ("net.cidr_overlap", 2, cidr_overlap),
    ("net.cidr_intersects", 2, cidr_intersects),
    ("net.cidr_merge", 1, cidr_merge),
    ("crypto.md5", 1, md5),
    ("crypto.sha1", 1, sha1),
    ("crypto.sha256", 1, sha256),
    ("crypto.hmac.md5", 2, hmac_md5),
    ("crypto.hmac.sha1", 2, hmac_sha1),
    ("crypto.hmac.sha256", 2, hmac_sha256),
    ("crypto.hmac.sha512", 2, hmac_sha512),
    ("crypto.hmac.equal", 2, hmac_equal),
];

pub fn register(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    for (name, nargs, f) in EXTENSIONS {
        engine.add_extension(name.to_string(), *nargs, Box::new(*f))?;
    }
    Ok(())
}

fn re_match(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Ok(pattern), Ok(s)) = (args[0].as_string(), args[1].as_string()) else {
        return Ok(Value::Undefined);
    };
    Ok(match regex::Regex::new(pattern) {
        Ok(re) => Value::Bool(re.is_match(s)),
        Err(_) => Value::Undefined,
    })
}

fn elements(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(a) => Some(a.iter().cloned().collect()),
        Value::Set(s) => Some(s.iter().cloned().collect()),
        _ => None,
    }
}

fn any(args: Vec<Value>) -> anyhow::Result<Value> {
    Ok(match elements(&args[0]) {
        Some(xs) => Value::Bool(xs.contains(&Value::Bool(true))),
        None => Value::Undefined,
    })
}

fn all(args: Vec<Value>) -> anyhow::Result<Value> {
    Ok(match elements(&args[0]) {
        Some(xs) => Value::Bool(xs.iter().all(|x| *x == Value::Bool(true))),
        None => Value::Undefined,
    })
}

fn set_diff(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Ok(a), Ok(b)) = (args[0].as_set(), args[1].as_set()) else {
        return Ok(Value::Undefined);
    };
    Ok(a.difference(b).into_value())
}

fn cast_array(args: Vec<Value>) -> anyhow::Result<Value> {
    Ok(match elements(&args[0]) {
        Some(xs) => Value::from(xs),
        None => Value::Undefined,
    })
}

fn cast_set(args: Vec<Value>) -> anyhow::Result<Value> {
    Ok(match elements(&args[0]) {
        Some(xs) => Value::from(
            xs.into_iter()
                .collect::<std::collections::BTreeSet<Value>>(),
        ),
        None => Value::Undefined,
    })
}

fn keep_if(args: Vec<Value>, ok: fn(&Value) -> bool) -> anyhow::Result<Value> {
    let v = args.into_iter().next().unwrap_or(Value::Undefined);
    Ok(if ok(&v) { v } else { Value::Undefined })
}

fn cast_string(args: Vec<Value>) -> anyhow::Result<Value> {
    keep_if(args, |v| matches!(v, Value::String(_)))
}

fn cast_boolean(args: Vec<Value>) -> anyhow::Result<Value> {
    keep_if(args, |v| matches!(v, Value::Bool(_)))
}

fn cast_null(args: Vec<Value>) -> anyhow::Result<Value> {
    keep_if(args, |v| matches!(v, Value::Null))
}

fn cast_object(args: Vec<Value>) -> anyhow::Result<Value> {
    keep_if(args, |v| matches!(v, Value::Object(_)))
}

/// `net.cidr_overlap(cidr, ip)`: the deprecated name of `net.cidr_contains`.
fn cidr_overlap(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Some(net), Ok(Ok(ip))) = (
        cidr(&args[0]),
        args[1].as_string().map(|s| s.parse::<std::net::IpAddr>()),
    ) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::Bool(net.contains(&ip)))
}

/// A CIDR block (`10.0.0.0/8`; host bits allowed, as Go's `ParseCIDR` allows them).
fn cidr(v: &Value) -> Option<IpNet> {
    v.as_string().ok()?.parse().ok()
}

/// `net.cidr_intersects(a, b)`: blocks are aligned, so two intersect exactly when
/// one holds the other's first address (OPA's own test).
fn cidr_intersects(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Some(a), Some(b)) = (cidr(&args[0]), cidr(&args[1])) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::Bool(
        a.contains(&b.network()) || b.contains(&a.network()),
    ))
}

/// `net.cidr_merge(cidrs_or_ips)`: the fewest blocks covering them all, as a set of
/// strings, the way OPA merges them: a bare IPv4 address is its classful network
/// (`10.0.0.5` is `10.0.0.5/8`), a bare IPv6 one is an error (undefined), and a
/// block that touches no other is given back as it came.
fn cidr_merge(args: Vec<Value>) -> anyhow::Result<Value> {
    let Some(items) = elements(&args[0]) else {
        return Ok(Value::Undefined);
    };
    let mut blocks = Vec::with_capacity(items.len());
    for item in &items {
        match item.as_string().ok().and_then(|t| merge_block(t)) {
            Some(block) => blocks.push(block),
            None => return Ok(Value::Undefined),
        }
    }
    // Sort by range, then sweep: a block overlapping or adjacent to the cluster
    // before it joins it (v4 before v6; the families never join).
    blocks.sort_by_key(|(net, _)| (matches!(net, IpNet::V6(_)), range(net)));
    let mut merged = std::collections::BTreeSet::new();
    let mut cluster: Vec<(IpNet, String)> = Vec::new();
    let flush = |cluster: &mut Vec<(IpNet, String)>,
                 merged: &mut std::collections::BTreeSet<Value>| {
        match cluster.as_slice() {
            [] => {}
            [(_, text)] => {
                merged.insert(Value::from(text.clone()));
            }
            many => {
                let nets: Vec<IpNet> = many.iter().map(|(n, _)| *n).collect();
                for n in IpNet::aggregate(&nets) {
                    merged.insert(Value::from(n.to_string()));
                }
            }
        }
        cluster.clear();
    };
    // The family and the last address of the cluster being built.
    let mut end: Option<(bool, u128)> = None;
    for (net, text) in blocks {
        let (first, last) = range(&net);
        let v6 = matches!(net, IpNet::V6(_));
        end = match end {
            Some((e6, e)) if e6 == v6 && first.saturating_sub(1) <= e => Some((v6, e.max(last))),
            _ => {
                flush(&mut cluster, &mut merged);
                Some((v6, last))
            }
        };
        cluster.push((net, text));
    }
    flush(&mut cluster, &mut merged);
    Ok(Value::from(merged))
}

/// One element of `net.cidr_merge`: its block, and its text if left alone (Go's
/// `IPNet.String`, which does not mask a bare address).
fn merge_block(text: &str) -> Option<(IpNet, String)> {
    use std::net::IpAddr;
    let Ok(ip) = text.parse::<IpAddr>() else {
        let net = text.parse::<IpNet>().ok()?.trunc();
        return Some((net, net.to_string()));
    };
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) => v6.to_ipv4_mapped()?,
    };
    // Go's `DefaultMask`: class A, B, C; none for D and E (left undefined here).
    let prefix = match v4.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        192..=223 => 24,
        _ => return None,
    };
    let net = ipnet::Ipv4Net::new(v4, prefix).ok()?;
    Some((IpNet::V4(net.trunc()), format!("{v4}/{prefix}")))
}

/// First and last address of a block, as numbers.
fn range(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => (
            u32::from(n.network()).into(),
            u32::from(n.broadcast()).into(),
        ),
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    }
}

fn hex_digest<D: Digest>(args: Vec<Value>) -> anyhow::Result<Value> {
    let Ok(text) = args[0].as_string() else {
        return Ok(Value::Undefined);
    };
    Ok(Value::from(lower_hex(&D::digest(text.as_bytes()))))
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_digest::<md5::Md5>(args)
}

fn sha1(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_digest::<sha1::Sha1>(args)
}

fn sha256(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_digest::<sha2::Sha256>(args)
}

/// `crypto.hmac.<hash>(message, key)`: the MAC in lower-case hex.
fn hex_hmac<M: Mac + hmac::digest::KeyInit>(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Ok(message), Ok(key)) = (args[0].as_string(), args[1].as_string()) else {
        return Ok(Value::Undefined);
    };
    let Ok(mut mac) = <M as Mac>::new_from_slice(key.as_bytes()) else {
        return Ok(Value::Undefined);
    };
    mac.update(message.as_bytes());
    Ok(Value::from(lower_hex(&mac.finalize().into_bytes())))
}

fn hmac_md5(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_hmac::<Hmac<md5::Md5>>(args)
}

fn hmac_sha1(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_hmac::<Hmac<sha1::Sha1>>(args)
}

fn hmac_sha256(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_hmac::<Hmac<sha2::Sha256>>(args)
}

fn hmac_sha512(args: Vec<Value>) -> anyhow::Result<Value> {
    hex_hmac::<Hmac<sha2::Sha512>>(args)
}

/// `crypto.hmac.equal(mac1, mac2)`: OPA compares the strings' bytes.
fn hmac_equal(args: Vec<Value>) -> anyhow::Result<Value> {
    let (Ok(a), Ok(b)) = (args[0].as_string(), args[1].as_string()) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::Bool(a.as_bytes() == b.as_bytes()))
}
