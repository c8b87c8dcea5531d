package plangate.freezes_test

import data.plangate.freezes

config := {
	"groups": {"oncall": {"members": ["dave", "erin"]}},
	"freezes": {
		"holidays": {
			"environments": ["prod"],
			"from": "2026-12-20T00:00:00Z", "from_ns": time.parse_rfc3339_ns("2026-12-20T00:00:00Z"),
			"to": "2027-01-04T00:00:00Z", "to_ns": time.parse_rfc3339_ns("2027-01-04T00:00:00Z"),
			"break_glass": "oncall",
		},
		"migration": {
			"environments": ["*"],
			"from": "2026-06-01T00:00:00Z", "from_ns": time.parse_rfc3339_ns("2026-06-01T00:00:00Z"),
			"to": "2026-06-02T00:00:00Z", "to_ns": time.parse_rfc3339_ns("2026-06-02T00:00:00Z"),
		},
	},
}

update := {"address": "terraform_data.app", "type": "terraform_data", "action": "update", "destructive": false}

gates_at(env, now_ns, author, approvers, chgs) := result if {
	result := freezes.gate with data.plangate.config as config
		with data.plangate.changes as chgs
		with data.plangate.context as {
			"environment": {"name": env, "stage": {"level": 2, "name": "auto-apply"}},
			"now_ns": now_ns,
			"author": author,
			"approvers": approvers,
		}
}

at(ts) := time.parse_rfc3339_ns(ts)

# Freezes gating an update in env at now_ns (ns), for author "carol" and these approvers.
frozen_by(env, now_ns, approvers) := {name |
	some g in gates_at(env, now_ns, "carol", approvers, [update])
	some name in ["holidays", "migration"]
	contains(g.reason, sprintf("freeze %s ", [name]))
}

# [environment, now (ns), approvers, freezes in effect]
table := [
	["prod", at("2026-12-20T00:00:00Z") - 1, [], set()],
	["prod", at("2026-12-20T00:00:00Z"), [], {"holidays"}],
	["prod", at("2026-12-25T12:00:00Z"), [], {"holidays"}],
	["prod", at("2027-01-04T00:00:00Z") - 1, [], {"holidays"}],
	["prod", at("2027-01-04T00:00:00Z"), [], set()],
	["staging", at("2026-12-25T12:00:00Z"), [], set()],
	# break-glass: one approval from oncall lifts it; others do not.
	["prod", at("2026-12-25T12:00:00Z"), ["dave"], set()],
	["prod", at("2026-12-25T12:00:00Z"), ["Erin"], set()],
	["prod", at("2026-12-25T12:00:00Z"), ["alice"], {"holidays"}],
	# no break-glass group: approvals change nothing.
	["staging", at("2026-06-01T00:00:00Z"), ["dave"], {"migration"}],
	["staging", at("2026-06-02T00:00:00Z"), [], set()],
]

failures := [row | some row in table; not holds(row)]

# A row that cannot be evaluated fails too.
holds(row) if frozen_by(row[0], row[1], row[2]) == row[3]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_table := true if count(failures) == 0 else := failures

test_gate_with_break_glass if {
	gates_at("prod", at("2026-12-25T12:00:00Z"), "carol", [], [update]) == {{
		"id": "freeze",
		"reason": "the change freeze holidays is in effect for prod from 2026-12-20T00:00:00Z until 2027-01-04T00:00:00Z",
		"unblock": "one approval from group oncall (dave, erin) lifts it; otherwise wait until 2027-01-04T00:00:00Z",
	}}
}

test_author_cannot_break_glass if {
	result := gates_at("prod", at("2026-12-25T12:00:00Z"), "dave", ["dave"], [update])
	some g in result
	g.unblock == "one approval from group oncall (erin) lifts it; otherwise wait until 2027-01-04T00:00:00Z"
}

test_author_cannot_break_glass_any_case if {
	count(gates_at("prod", at("2026-12-25T12:00:00Z"), "Dave", ["dave"], [update])) == 1
}

test_gate_without_break_glass if {
	gates_at("staging", at("2026-06-01T12:00:00Z"), "carol", [], [update]) == {{
		"id": "freeze",
		"reason": "the change freeze migration is in effect for staging from 2026-06-01T00:00:00Z until 2026-06-02T00:00:00Z",
		"unblock": "no break-glass: wait until 2026-06-02T00:00:00Z",
	}}
}

test_only_noop_not_gated if {
	noop := object.union(update, {"action": "no-op"})
	gates_at("prod", at("2026-12-25T12:00:00Z"), "carol", [], [noop]) == set()
}

test_no_freezes_configured if {
	result := freezes.gate with data.plangate.config as {}
		with data.plangate.changes as [update]
		with data.plangate.context as {"environment": {"name": "prod"}, "now_ns": 0}
	result == set()
}
