//! `--input-shape`: run policy libraries written for other platforms, which wrap the
//! plan in their own input document, unchanged. The platform's context object is
//! filled from plangate's context where a field has an equivalent (README, "Bring
//! your own library").

use regorus::Value;
use serde_json::json;

use crate::context::Context;
use crate::plan::{ActionClass, Plan};

/// Where the plan sits in `input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InputShape {
    /// The plan at the root, as `conftest test plan.json`.
    #[default]
    Conftest,
    /// HCP Terraform / Terraform Enterprise OPA: `input.plan`, `input.run`.
    Hcp,
    /// env0: `input.plan`, `input.deploymentRequest`, `input.deployerUser`, ...
    Env0,
    /// Scalr: `input.tfplan`, `input.tfrun`.
    Scalr,
    /// Spacelift plan policies: `input.terraform`, `input.spacelift`.
    Spacelift,
}

/// The facts the platform objects are filled from.
pub struct ShapeContext<'a> {
    pub context: &'a Context,
    pub environment: &'a str,
}

impl InputShape {
    /// Build `input` for a plan. The plan value is shared, not copied.
    pub fn wrap(self, plan: &Plan, cx: &ShapeContext<'_>) -> Value {
        let (key, extra) = match self {
            InputShape::Conftest => return plan.input.clone(),
            InputShape::Hcp => ("plan", hcp(plan, cx)),
            InputShape::Env0 => ("plan", env0(plan, cx)),
            InputShape::Scalr => ("tfplan", scalr(cx)),
            InputShape::Spacelift => ("terraform", spacelift(plan, cx)),
        };
        let mut input = Value::from(extra);
        if let Ok(obj) = input.as_object_mut() {
            obj.insert(Value::from(key), plan.input.clone());
        }
        input
    }
}

fn now_rfc3339(cx: &ShapeContext<'_>) -> String {
    cx.context
        .now
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn is_destroy(plan: &Plan) -> bool {
    let acting: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action.does_something())
        .collect();
    !acting.is_empty() && acting.iter().all(|c| c.action == ActionClass::Delete)
}

/// `input.run` as HCP Terraform documents it (the fields plangate can know).
fn hcp(plan: &Plan, cx: &ShapeContext<'_>) -> serde_json::Value {
    json!({
        "run": {
            "created_at": now_rfc3339(cx),
            "created_by": cx.context.author.clone().unwrap_or_default(),
            "commit_sha": cx.context.commit.clone().unwrap_or_default(),
            "is_destroy": is_destroy(plan),
            "speculative": false,
            "message": "",
            "workspace": {"name": cx.environment, "auto_apply": false, "tags": []},
            "project": {"name": cx.environment},
        }
    })
}

/// env0's approval-policy input (the deployment-side fields).
fn env0(plan: &Plan, cx: &ShapeContext<'_>) -> serde_json::Value {
    let approvers: Vec<serde_json::Value> = cx
        .context
        .approvers
        .iter()
        .map(|a| json!({"name": a, "email": ""}))
        .collect();
    json!({
        "deploymentRequest": {
            "type": if is_destroy(plan) { "destroy" } else { "deploy" },
            "triggerName": "plangate",
            "revision": cx.context.commit.clone().unwrap_or_default(),
        },
        "deployerUser": {"name": cx.context.author.clone().unwrap_or_default(), "email": ""},
        "approvers": approvers,
        "template": {"name": cx.environment},
        "policyData": {},
    })
}

/// Scalr's `input.tfrun`.
fn scalr(cx: &ShapeContext<'_>) -> serde_json::Value {
    json!({
        "tfrun": {
            "created_at": now_rfc3339(cx),
            "created_by": {"username": cx.context.author.clone().unwrap_or_default()},
            "environment": {"name": cx.environment},
            "workspace": {"name": cx.environment},
            "vcs": {
                "commit": {"sha": cx.context.commit.clone().unwrap_or_default()},
                "pull_request": {"author": cx.context.author.clone().unwrap_or_default()},
            },
            "is_destroy": false,
        }
    })
}

/// Spacelift's plan-policy input.
fn spacelift(plan: &Plan, cx: &ShapeContext<'_>) -> serde_json::Value {
    let ns = cx.context.now.timestamp_nanos_opt().unwrap_or(0);
    json!({
        "spacelift": {
            "commit": {
                "hash": cx.context.commit.clone().unwrap_or_default(),
                "author": cx.context.author.clone().unwrap_or_default(),
            },
            "request": {"timestamp_ns": ns},
            "run": {
                "type": "PROPOSED",
                "created_at": ns,
                "changes": [],
                "flags": [],
                "drift_detection": !plan.drifted.is_empty(),
            },
            "stack": {"name": cx.environment, "labels": [], "autodeploy": false},
        }
    })
}
