package plangate.plan_health_test

import data.plangate.plan_health

update := {"address": "terraform_data.app", "type": "terraform_data", "action": "update", "destructive": false}

noop := object.union(update, {"action": "no-op"})

now := "2026-11-22T12:00:00Z"

hour := 3600 * 1000000000

# Caps and gates for a plan document, its changes and settings.
results(plan, chgs, settings) := {"cap": caps, "gate": gates} if {
	caps := plan_health.cap with data.plangate.plan as plan
		with data.plangate.changes as chgs
		with data.plangate.config as {"settings": settings}
		with data.plangate.context as {"now": now, "now_ns": time.parse_rfc3339_ns(now)}
	gates := plan_health.gate with data.plangate.plan as plan
		with data.plangate.changes as chgs
		with data.plangate.config as {"settings": settings}
		with data.plangate.context as {"now": now, "now_ns": time.parse_rfc3339_ns(now)}
}

ids(plan, chgs, settings) := {r.id | some kind in ["cap", "gate"]; some r in results(plan, chgs, settings)[kind]}

healthy := {"format_version": "1.2", "errored": false, "applyable": true, "complete": true}

two_hours := {"max_plan_age": "2h", "max_plan_age_ns": 2 * hour}

at(ts) := object.union(healthy, {"timestamp": ts})

# [plan, changes, settings, expected ids]
table := [
	[healthy, [update], {}, set()],
	[object.union(healthy, {"errored": true}), [update], {}, {"errored"}],
	[object.union(healthy, {"errored": true}), [], {}, {"errored"}], # no changes: still blocked
	[object.union(healthy, {"applyable": false}), [update], {}, {"not-applyable"}],
	[object.union(healthy, {"applyable": false}), [noop], {}, set()], # nothing to apply
	[object.union(healthy, {"applyable": false}), [], {}, set()],
	[object.union(healthy, {"complete": false}), [update], {}, {"incomplete"}],
	[object.remove(healthy, ["applyable", "complete"]), [update], {}, set()], # OpenTofu
	# max_plan_age: missing, fresh, at the limit, over it, in the future, malformed.
	[healthy, [update], two_hours, {"stale"}],
	[healthy, [update], {}, set()],
	[at("2026-11-22T11:00:00Z"), [update], two_hours, set()],
	[at("2026-11-22T10:00:00Z"), [update], two_hours, set()],
	[at("2026-11-22T09:59:59Z"), [update], two_hours, {"stale"}],
	[at("2026-11-22T11:00:00+01:00"), [update], two_hours, set()], # 10:00Z: offsets count
	[at("2026-11-22T10:59:59+01:00"), [update], two_hours, {"stale"}],
	[at("2026-11-22T13:00:00Z"), [update], two_hours, set()],
	[at("yesterday"), [update], two_hours, {"stale"}],
	[at("2026-11-22T09:00:00Z"), [update], {}, set()], # no max_plan_age
]

failures := [row | some row in table; not holds(row)]

# A row that cannot be evaluated fails too.
holds(row) if ids(row[0], row[1], row[2]) == row[3]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_table := true if count(failures) == 0 else := failures

test_errored_gate if {
	results(object.union(healthy, {"errored": true}), [], {}).gate == {{
		"id": "errored",
		"reason": "the plan errored; fix the errors and plan again",
		"unblock": "a new plan that completes without errors",
	}}
}

test_not_applyable_gate if {
	some g in results(object.union(healthy, {"applyable": false}), [update], {}).gate
	not g.address
	g.reason == "Terraform marked the plan as not applyable although it has changes; it cannot be applied as it is"
}

test_incomplete_cap if {
	results(object.union(healthy, {"complete": false}), [], {}).cap == {{
		"id": "incomplete",
		"stage": "plan-only",
		"reason": "the plan is incomplete (a targeted or partial plan: -target or deferred changes); apply by hand",
	}}
}

test_stale_gate if {
	results(at("2026-11-22T09:00:00Z"), [update], two_hours).gate == {{
		"id": "stale",
		"reason": "the plan is 3h old, older than max_plan_age 2h; plan again",
		"unblock": "a new plan, made less than 2h before applying",
	}}
}

test_stale_without_text_setting if {
	some g in results(at("2026-11-22T09:29:30Z"), [update], {"max_plan_age_ns": 2 * hour}).gate
	g.reason == "the plan is 2h30m30s old, older than max_plan_age 2h; plan again"
}

test_missing_timestamp_gate if {
	results(healthy, [update], two_hours).gate == {{
		"id": "stale",
		"reason": "the plan has no timestamp; max_plan_age needs one (Terraform >= 1.5 / OpenTofu)",
		"unblock": "a plan made with Terraform >= 1.5 or OpenTofu, which record when they planned",
	}}
}

test_malformed_timestamp_gate if {
	results(at("yesterday"), [update], two_hours).gate == {{
		"id": "stale",
		"reason": "the plan's timestamp \"yesterday\" is not an RFC 3339 time, so its age is unknown; plan again",
		"unblock": "a new plan with a valid timestamp",
	}}
}

# Digits other than ASCII (here Arabic-Indic) are no RFC 3339 time, as in OPA's RE2.
test_non_ascii_digits_timestamp_gate if {
	regex.match(plan_health.rfc3339, "2026-11-22T09:29:30Z")
	not regex.match(plan_health.rfc3339, "٢٠٢٦-11-22T09:29:30Z")
	some g in results(at("٢٠٢٦-11-22T09:29:30Z"), [update], two_hours).gate
	startswith(g.reason, "the plan's timestamp")
	contains(g.reason, "is not an RFC 3339 time")
}

test_no_plan_document if {
	caps := plan_health.cap with data.plangate.changes as [update]
	gates := plan_health.gate with data.plangate.changes as [update]
	caps == set()
	gates == set()
}
