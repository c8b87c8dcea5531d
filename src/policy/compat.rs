//! OPA builtins that regorus does not ship but real policy libraries still call:
//! the deprecated v0 builtins (`re_match`, `any`, `all`, `set_diff`, `cast_*`,
//! `net.cidr_overlap`). Registered as regorus extensions; like OPA's non-strict
//! mode, bad arguments make the call undefined rather than an error.

use regorus::Value;

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
    let (Ok(cidr), Ok(ip)) = (args[0].as_string(), args[1].as_string()) else {
        return Ok(Value::Undefined);
    };
    let (Ok(net), Ok(addr)) = (
        cidr.parse::<ipnet_lite::Net>(),
        ip.parse::<std::net::IpAddr>(),
    ) else {
        return Ok(Value::Undefined);
    };
    Ok(Value::Bool(net.contains(addr)))
}

/// A tiny CIDR type: std has addresses but no networks.
mod ipnet_lite {
    use std::net::IpAddr;
    use std::str::FromStr;

    pub struct Net {
        addr: IpAddr,
        prefix: u32,
    }

    impl FromStr for Net {
        type Err = ();
        fn from_str(s: &str) -> Result<Net, ()> {
            let (a, p) = s.split_once('/').ok_or(())?;
            let addr: IpAddr = a.parse().map_err(|_| ())?;
            let prefix: u32 = p.parse().map_err(|_| ())?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            (prefix <= max).then_some(Net { addr, prefix }).ok_or(())
        }
    }

    impl Net {
        pub fn contains(&self, ip: IpAddr) -> bool {
            match (self.addr, ip) {
                (IpAddr::V4(n), IpAddr::V4(i)) => {
                    let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                    u32::from(n) & mask == u32::from(i) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(i)) => {
                    let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                    u128::from(n) & mask == u128::from(i) & mask
                }
                _ => false,
            }
        }
    }
}
