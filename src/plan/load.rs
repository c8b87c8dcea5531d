//! Reading plan files: bytes to text (UTF-8, UTF-16 with a BOM), text to the policy
//! input and the typed view, and a diagnostic for every way that can go wrong.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{offset_of, Diag};

use super::model::RawPlan;
use super::{InputUse, Plan};

/// Where a plan comes from: a file, or standard input (`-`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanSource {
    File(std::path::PathBuf),
    Stdin,
}

impl PlanSource {
    /// The name used in every output.
    pub fn display(&self) -> String {
        match self {
            PlanSource::File(p) => p.display().to_string(),
            PlanSource::Stdin => "-".to_string(),
        }
    }
}

/// Plans larger than this are refused unless `--max-plan-size` says otherwise:
/// generous (the largest real plans are a few hundred MB), but a bound, so a wrong
/// file cannot exhaust memory.
pub const DEFAULT_MAX_PLAN_SIZE: u64 = 1 << 30;

/// Read and parse a plan from a file or stdin, refusing more than
/// [`DEFAULT_MAX_PLAN_SIZE`] bytes.
pub fn load(source: &PlanSource) -> Result<Plan, Diag> {
    load_with_limit(source, DEFAULT_MAX_PLAN_SIZE)
}

/// Read and parse a plan, refusing more than `max_bytes` before reading it whole.
pub fn load_with_limit(source: &PlanSource, max_bytes: u64) -> Result<Plan, Diag> {
    load_for(source, max_bytes, InputUse::Whole)
}

/// [`load_with_limit`], building as much of the policy input as `input_use` says.
pub fn load_for(source: &PlanSource, max_bytes: u64, input_use: InputUse) -> Result<Plan, Diag> {
    let name = source.display();
    let too_big = |size: String| {
        Diag::new(
            "plangate::plan::too_large",
            format!("the plan is {size}, more than the limit of {max_bytes} bytes"),
        )
        .file(name.clone())
        .help("check that this is the plan you meant; raise the limit with --max-plan-size (e.g. --max-plan-size 4GiB)")
    };
    let bytes = match source {
        PlanSource::File(path) => {
            if let Ok(meta) = std::fs::metadata(path) {
                if meta.is_file() && meta.len() > max_bytes {
                    return Err(too_big(format!("{} bytes", meta.len())));
                }
            }
            crate::timings::phase("read", || read_file(path, &name))?
        }
        PlanSource::Stdin => {
            let mut buf = Vec::new();
            let mut limited = std::io::Read::take(std::io::stdin(), max_bytes.saturating_add(1));
            std::io::Read::read_to_end(&mut limited, &mut buf).map_err(|e| {
                Diag::new(
                    "plangate::io::stdin",
                    format!("cannot read standard input: {e}"),
                )
                .file("-")
            })?;
            if buf.len() as u64 > max_bytes {
                return Err(too_big("larger".to_string()));
            }
            buf
        }
    };
    let text = decode_owned(&name, bytes)?;
    let (input, raw) = crate::timings::phase("parse", || parse_parts(&name, &text, input_use))?;
    // The text can go before the plan model is built: a large plan's peak memory
    // is its value, not value and text.
    drop(text);
    Ok(crate::timings::phase("plan model", || {
        Plan::new(name, input, raw)
    }))
}

fn read_file(path: &Path, name: &str) -> Result<Vec<u8>, Diag> {
    std::fs::read(path).map_err(|e| {
        let (code, help) = match e.kind() {
            std::io::ErrorKind::NotFound => (
                "plangate::io::not_found",
                "check the path; to read a plan from standard input pass `-`".to_string(),
            ),
            std::io::ErrorKind::PermissionDenied => (
                "plangate::io::permission_denied",
                "make the file readable by the user running plangate".to_string(),
            ),
            _ if path.is_dir() => (
                "plangate::io::is_directory",
                "pass the plan JSON files inside it, or a directory to search".to_string(),
            ),
            _ => (
                "plangate::io::read",
                "check that the file exists and is readable".to_string(),
            ),
        };
        Diag::new(code, format!("cannot read plan file: {e}"))
            .file(name)
            .help(help)
    })
}

/// Parse plan bytes. `name` is used in diagnostics and outputs.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Plan, Diag> {
    let text = decode(name, bytes)?;
    parse_str(name, &text)
}

/// [`decode`] for bytes that are ours to keep: UTF-8 becomes the `String` in
/// place, so a large plan is not copied before it is parsed.
fn decode_owned(name: &str, bytes: Vec<u8>) -> Result<String, Diag> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || is_zip(&bytes) {
        return decode(name, &bytes).map(|t| t.to_string());
    }
    let mut text = String::from_utf8(bytes).map_err(|e| not_utf8(name, e.utf8_error()))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if text.trim().is_empty() {
        return Err(empty(name));
    }
    Ok(text)
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

fn empty(name: &str) -> Diag {
    Diag::new("plangate::plan::empty", "the plan file is empty")
        .file(name)
        .help("did `show -json` fail? Create it with `tofu show -json plan.tfplan > plan.json`")
}

/// Turn bytes into text: UTF-8 (with or without BOM) or UTF-16 with a BOM, which is
/// what PowerShell's `>` writes. Binary planfiles are recognised and explained.
pub fn decode(name: &str, bytes: &[u8]) -> Result<Arc<str>, Diag> {
    if is_zip(bytes) {
        return Err(Diag::new(
            "plangate::plan::binary_planfile",
            "this is a binary planfile (the output of `plan -out`), not plan JSON",
        )
        .file(name)
        .help(format!(
            "convert it first: `tofu show -json {name} > plan.json` (or `terraform show -json`), then check plan.json"
        )));
    }
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8(name, rest)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(name, rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(name, rest, u16::from_be_bytes)?
    } else {
        utf8(name, bytes)?
    };
    if text.trim().is_empty() {
        return Err(empty(name));
    }
    Ok(Arc::from(text))
}

/// Best-effort text of the start of a file, for sniffing whether it is a plan: UTF-8
/// or UTF-16 with a BOM as [`decode`] reads them, invalid or cut-off sequences
/// replaced rather than refused (the head of a file ends anywhere).
pub fn decode_lossy(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], conv: fn([u8; 2]) -> u16| {
        let units = rest.chunks_exact(2).map(|c| conv([c[0], c[1]]));
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, u16::from_be_bytes)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn utf8(name: &str, bytes: &[u8]) -> Result<String, Diag> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(not_utf8(name, e)),
    }
}

fn not_utf8(name: &str, e: std::str::Utf8Error) -> Diag {
    Diag::new(
        "plangate::plan::not_text",
        format!(
            "the file is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ),
    )
    .file(name)
    .help("pass the JSON written by `tofu show -json plan.tfplan`, not a binary file")
}

fn utf16(name: &str, bytes: &[u8], conv: fn([u8; 2]) -> u16) -> Result<String, Diag> {
    let bad = || {
        Diag::new(
            "plangate::plan::not_text",
            "the file starts with a UTF-16 byte-order mark but is not valid UTF-16",
        )
        .file(name)
        .help("write the plan as UTF-8: `tofu show -json plan.tfplan | Out-File -Encoding utf8 plan.json`")
    };
    if !bytes.len().is_multiple_of(2) {
        return Err(bad());
    }
    let units = bytes.chunks_exact(2).map(|c| conv([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| bad())
}

/// Parse plan text into the policy input and the typed view.
pub fn parse_text(name: &str, text: Arc<str>) -> Result<Plan, Diag> {
    parse_str(name, &text)
}

fn parse_str(name: &str, text: &str) -> Result<Plan, Diag> {
    let (input, raw) = parse_parts(name, text, InputUse::Whole)?;
    Ok(Plan::new(name.to_string(), input, raw))
}

/// The policy input and the typed view of plan text; the text is only copied (for
/// a snippet) when there is an error.
fn parse_parts(
    name: &str,
    text: &str,
    input_use: InputUse,
) -> Result<(regorus::Value, RawPlan), Diag> {
    // A large plan on every core; anything unusual there is decided (and located)
    // by the one-thread parse below.
    if text.len() >= super::parallel::MIN_PARALLEL {
        if let Some((input, raw)) = super::parallel::parse(text, input_use) {
            check_is_plan(name, text, &input)?;
            return Ok((input, raw));
        }
    }
    // The input with equal parts shared (src/plan/json.rs), and the typed view at
    // the same time on another core.
    let (input, raw) = rayon::join(
        || super::json::from_str_for(text, input_use),
        || serde_json::from_str::<RawPlan>(text),
    );
    let input = match input {
        Ok(v) => v,
        Err(err) => {
            // Only on the error path: serde_json says where the JSON broke.
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Err(e) => json_error(name, &Arc::from(text), &e),
                Ok(_) => Diag::new(
                    "plangate::plan::invalid_json",
                    format!("the plan cannot be read: {err}"),
                )
                .file(name)
                .help("regenerate the file with `tofu show -json plan.tfplan > plan.json`"),
            });
        }
    };
    check_is_plan(name, text, &input)?;
    let raw = raw.map_err(|e| {
        let offset = json_offset(text, &e);
        Diag::new(
            "plangate::plan::invalid",
            format!(
                "the plan JSON does not have the shape `show -json` writes: {}",
                strip_position(&e.to_string())
            ),
        )
        .file(name)
        .at(Arc::from(text), offset..offset + 1, "here")
        .help("regenerate it with `tofu show -json plan.tfplan`; if a tool edited it, check the field shown")
    })?;
    Ok((input, raw))
}

fn json_error(name: &str, text: &Arc<str>, e: &serde_json::Error) -> Diag {
    let offset = json_offset(text, e);
    let message = strip_position(&e.to_string());
    if e.is_eof() {
        // Label the last character: an empty span at the very end is not drawn.
        let end = text.trim_end().len();
        let last = text[..end].char_indices().last().map_or(0, |(i, _)| i);
        Diag::new(
            "plangate::plan::truncated_json",
            format!("the plan JSON ends too early: {message}"),
        )
        .file(name)
        .at(text.clone(), last..end, "the file ends here")
        .help("the file was cut off: was the disk full or `show -json` interrupted? Regenerate it")
    } else if e.classify() == serde_json::error::Category::Syntax
        && text
            .trim_start()
            .starts_with(|c: char| c != '{' && c != '[')
    {
        Diag::new(
            "plangate::plan::not_json",
            format!("the file is not JSON: {message}"),
        )
        .file(name)
        .at(text.clone(), offset..offset + 1, "expected JSON here")
        .help("pass the output of `tofu show -json plan.tfplan`, not the human-readable plan")
    } else {
        Diag::new(
            "plangate::plan::invalid_json",
            format!("the plan is not valid JSON: {message}"),
        )
        .file(name)
        .at(text.clone(), offset..offset + 1, "here")
        .help("regenerate the file with `tofu show -json plan.tfplan > plan.json`")
    }
}

/// Byte offset of a serde_json error position. serde_json counts columns in bytes, so
/// a line with non-ASCII text before the error (Terraform writes UTF-8 unescaped)
/// must not be walked character by character.
fn json_offset(text: &str, e: &serde_json::Error) -> usize {
    offset_of(text, e.line(), e.column(), char::len_utf8)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Quick test used by directory walking: does this value look like a plan?
pub fn looks_like_plan(v: &regorus::Value) -> bool {
    let Ok(obj) = v.as_object() else {
        return false;
    };
    let has = |k: &str| obj.contains_key(&regorus::Value::from(k));
    has("format_version") && (has("planned_values") || has("resource_changes"))
}

fn check_is_plan(name: &str, text: &str, v: &regorus::Value) -> Result<(), Diag> {
    let not_plan = |what: &str, help: &str| {
        Diag::new(
            "plangate::plan::not_a_plan",
            format!("this JSON is not a plan: {what}"),
        )
        .file(name)
        .help(help.to_string())
    };
    let Ok(obj) = v.as_object() else {
        return Err(not_plan(
            "the top level is not an object",
            "pass the output of `tofu show -json plan.tfplan` (an object with `format_version` and `resource_changes`)",
        ));
    };
    let has = |k: &str| obj.contains_key(&regorus::Value::from(k));
    if !has("format_version") {
        return Err(not_plan(
            "it has no `format_version`",
            "pass the output of `tofu show -json plan.tfplan`; plangate reads plans, not arbitrary JSON",
        ));
    }
    if !(has("planned_values") || has("resource_changes")) {
        let what = if has("values") || obj.len() <= 2 {
            "it is a state (from `show -json` without a planfile)"
        } else {
            "it has no `planned_values` or `resource_changes`"
        };
        return Err(not_plan(
            what,
            "save a plan and show it: `tofu plan -out=plan.tfplan && tofu show -json plan.tfplan > plan.json`",
        ));
    }
    let version = &v["format_version"];
    let Ok(version) = version.as_string() else {
        return Err(Diag::new(
            "plangate::plan::invalid",
            "`format_version` is not a string",
        )
        .file(name)
        .help("regenerate the plan with `tofu show -json`"));
    };
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    match major {
        Some(0) | Some(1) => Ok(()),
        _ => {
            let at = text.find("\"format_version\"").unwrap_or(0);
            Err(Diag::new(
                "plangate::plan::unsupported_version",
                format!("plan format_version {version} is not supported (plangate reads 0.x and 1.x)"),
            )
            .file(name)
            .at(Arc::from(text), at..at + "\"format_version\"".len(), "this version")
            .help("a new major version may change the meaning of fields; upgrade plangate, or make the plan with a Terraform/OpenTofu release that writes format 1.x"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_policies_reading_input_a_plan_gives_the_same_decision_inputs() {
        // Digests, secrets, the typed view: all that plangate reads itself must not
        // depend on how much of the input was built. The policy-only members are
        // present (a plan is recognised by its keys) but null.
        let mut checked = 0;
        for dir in ["fixtures/plans", "fixtures/plans/shared"] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.display().to_string();
                let plan = |input_use| {
                    let (input, raw) = parse_parts(&name, &text, input_use).unwrap();
                    Plan::new(name.clone(), input, raw)
                };
                let (whole, lean) = (plan(InputUse::Whole), plan(InputUse::Plangate));
                assert_eq!(
                    super::super::digest::plan_digest(&whole),
                    super::super::digest::plan_digest(&lean),
                    "{name}"
                );
                assert_eq!(whole.secrets.values(), lean.secrets.values(), "{name}");
                assert_eq!(
                    format!("{:?}", whole.changes),
                    format!("{:?}", lean.changes)
                );
                assert_eq!(
                    format!("{:?}", whole.outputs),
                    format!("{:?}", lean.outputs)
                );
                assert!(whole.view() == lean.view(), "{name}");
                for member in super::super::POLICY_ONLY_MEMBERS {
                    let key = regorus::Value::from(*member);
                    let Ok(obj) = lean.input.as_object() else {
                        panic!("{name}: not an object")
                    };
                    if whole.input[&key] != regorus::Value::Undefined {
                        assert!(
                            obj.get(&key) == Some(&regorus::Value::Null),
                            "{name} {member}"
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 30);
    }

    #[test]
    fn utf16_le_with_bom_is_read() {
        let json = r#"{"format_version":"1.2","planned_values":{},"resource_changes":[]}"#;
        let mut bytes = vec![0xFF, 0xFE];
        for u in json.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let plan = parse_bytes("p.json", &bytes).expect("utf-16 plan loads");
        assert_eq!(plan.meta.format_version, "1.2");
    }

    #[test]
    fn files_decode_in_place_as_slices_do() {
        let json = r#"{"format_version":"1.2","planned_values":{},"resource_changes":[]}"#;
        let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
            (json.as_bytes().to_vec(), None),
            ([b"\xEF\xBB\xBF".as_slice(), json.as_bytes()].concat(), None),
            (
                json.encode_utf16().flat_map(|u| u.to_le_bytes()).fold(
                    vec![0xFF, 0xFE],
                    |mut v, b| {
                        v.push(b);
                        v
                    },
                ),
                None,
            ),
            (
                b"PK\x03\x04rest".to_vec(),
                Some("plangate::plan::binary_planfile"),
            ),
            (
                b"{\"a\": \"\xFF\"}".to_vec(),
                Some("plangate::plan::not_text"),
            ),
            (b"\xEF\xBB\xBF \n".to_vec(), Some("plangate::plan::empty")),
        ];
        for (i, (bytes, error)) in cases.into_iter().enumerate() {
            let owned = decode_owned("p.json", bytes.clone());
            let sliced = decode("p.json", &bytes);
            match error {
                None => {
                    assert_eq!(
                        owned.expect("owned").as_str(),
                        &*sliced.expect("sliced"),
                        "case {i}"
                    );
                }
                Some(code) => {
                    assert_eq!(owned.expect_err("owned").code, code, "case {i}");
                    assert_eq!(sliced.expect_err("sliced").code, code, "case {i}");
                }
            }
        }
    }

    #[test]
    fn decode_lossy_reads_a_cut_utf16_head() {
        let json = r#"{"format_version":"1.2","resource_changes":[]}"#;
        for be in [false, true] {
            let mut bytes = if be {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for u in json.encode_utf16() {
                bytes.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            bytes.pop(); // cut inside the last code unit
            let text = decode_lossy(&bytes);
            assert!(text.contains("\"format_version\""), "{text}");
            assert!(text.contains("\"resource_changes\""), "{text}");
        }
        assert_eq!(decode_lossy(b"\xEF\xBB\xBF{}"), "{}");
    }

    #[test]
    fn binary_planfile_is_named_as_such() {
        let e = parse_bytes("plan.tfplan", b"PK\x03\x04rest").unwrap_err();
        assert_eq!(e.code, "plangate::plan::binary_planfile");
        assert!(e.help.as_deref().unwrap_or_default().contains("show -json"));
    }

    #[test]
    fn major_version_two_is_refused_but_zero_and_one_load() {
        for (v, ok) in [
            ("0.1", true),
            ("0.2", true),
            ("1.0", true),
            ("1.2", true),
            ("2.0", false),
        ] {
            let json = format!(r#"{{"format_version":"{v}","planned_values":{{}}}}"#);
            let r = parse_bytes("p.json", json.as_bytes());
            assert_eq!(r.is_ok(), ok, "format_version {v}");
        }
    }

    #[test]
    fn truncated_json_points_at_the_end() {
        let e =
            parse_bytes("p.json", br#"{"format_version":"1.2","resource_changes":["#).unwrap_err();
        assert_eq!(e.code, "plangate::plan::truncated_json");
    }

    #[test]
    fn json_error_after_non_ascii_text_points_at_the_token() {
        // serde_json counts columns in bytes; `é` and `✓` are 2 and 3 bytes.
        let json = "{\"format_version\":\"1.2\",\"d\":\"é✓\", oops}";
        let e = parse_bytes("p.json", json.as_bytes()).unwrap_err();
        assert_eq!(e.code, "plangate::plan::invalid_json");
        let (span, _) = e.span.clone().unwrap();
        assert_eq!(&json[span.start..], "oops}");
    }

    #[test]
    fn truncated_json_labels_the_last_character() {
        let e =
            parse_bytes("p.json", "{\"format_version\":\"1.2\",\"d\":\"é".as_bytes()).unwrap_err();
        let (span, _) = e.span.clone().unwrap();
        assert_eq!(span.end - span.start, 'é'.len_utf8());
    }

    #[test]
    fn wrong_type_in_known_field_is_located() {
        let json = "{\"format_version\":\"1.2\",\n\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":\"create\"}}]}";
        let e = parse_bytes("p.json", json.as_bytes()).unwrap_err();
        assert_eq!(e.code, "plangate::plan::invalid");
        assert_eq!(e.line_col().map(|l| l.0), Some(2));
    }
}
