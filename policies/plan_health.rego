# [errored], [not-applyable], [incomplete], [stale]: is the plan itself fit to apply?
#
# These are whole-plan results (no "address"): they hold the plan back even when
# it has no changes, e.g. an errored plan whose changes could not be computed.
package plangate.plan_health

import data.plangate.lib

# Terraform >= 1.6 and OpenTofu write `errored`; its changes cannot be trusted.
gate contains {
	"id": "errored",
	"reason": "the plan errored; fix the errors and plan again",
	"unblock": "a new plan that completes without errors",
} if {
	lib.plan.errored == true
}

# Terraform >= 1.8 writes `applyable`. It is false for a plan with nothing to do,
# which is fine, so only a plan with changes is held back.
gate contains {
	"id": "not-applyable",
	"reason": "Terraform marked the plan as not applyable although it has changes; it cannot be applied as it is",
	"unblock": "a new plan that Terraform marks applyable",
} if {
	lib.plan.applyable == false
	lib.plan_does_something
}

# Terraform >= 1.8 writes `complete`: false for -target plans and plans with
# deferred changes. Applying one leaves the rest unreviewed and unapplied.
cap contains {
	"id": "incomplete",
	"stage": "plan-only",
	"reason": "the plan is incomplete (a targeted or partial plan: -target or deferred changes); apply by hand",
} if {
	lib.plan.complete == false
}

# -- stale plans: settings.max_plan_age ----------------------------------------------

max_age_ns := lib.settings.max_plan_age_ns

max_age_text := object.get(lib.settings, "max_plan_age", lib.duration(max_age_ns))

gate contains {
	"id": "stale",
	"reason": "the plan has no timestamp; max_plan_age needs one (Terraform >= 1.5 / OpenTofu)",
	"unblock": "a plan made with Terraform >= 1.5 or OpenTofu, which record when they planned",
} if {
	max_age_ns
	not lib.plan.timestamp
}

gate contains {
	"id": "stale",
	"reason": sprintf("the plan's timestamp %q is not an RFC 3339 time, so its age is unknown; plan again", [lib.plan.timestamp]),
	"unblock": "a new plan with a valid timestamp",
} if {
	max_age_ns
	lib.plan.timestamp
	not planned_at_ns
}

# A timestamp in the future (clock skew) is not stale.
gate contains {
	"id": "stale",
	"reason": sprintf("the plan is %s old, older than max_plan_age %s; plan again", [lib.duration(age), max_age_text]),
	"unblock": sprintf("a new plan, made less than %s before applying", [max_age_text]),
} if {
	age := lib.now_ns - planned_at_ns
	age > max_age_ns
}

# Checked by shape first, so that a malformed timestamp stays a finding even with
# strict builtin errors (where time.parse_rfc3339_ns would raise). `[0-9]`, not `\d`:
# ASCII digits as in Go's RE2 (regorus' `\d` is Unicode's, and its class alone was a
# fifth of the instructions of checking a small plan, to compile).
rfc3339 := `^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`

planned_at_ns := time.parse_rfc3339_ns(lib.plan.timestamp) if regex.match(rfc3339, lib.plan.timestamp)
