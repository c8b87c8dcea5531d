//! `floor PLAN.json`: read the file, parse it into a `serde_json::Value`, print the
//! number of resource changes (so the parse cannot be optimised away). The process
//! is what `benches/run.sh` times: the least any tool must spend to look at a plan.
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: floor PLAN.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let n = value["resource_changes"].as_array().map_or(0, Vec::len);
    println!("{n}");
    // Not freeing is part of the floor: the process exits anyway.
    std::mem::forget(value);
    std::mem::forget(text);
    ExitCode::SUCCESS
}
