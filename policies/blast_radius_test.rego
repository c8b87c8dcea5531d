package plangate.blast_radius_test

import data.plangate.blast_radius

# n changes of one action, with distinct addresses.
changes(action, n) := [{
	"address": sprintf("terraform_data.%s_%d", [action, i]),
	"type": "terraform_data",
	"action": action,
	"destructive": action in {"delete", "replace"},
} |
	n > 0 # numbers.range(1, 0) is [1, 0]
	some i in numbers.range(1, n)
]

caps(settings, chgs) := result if {
	result := blast_radius.cap with data.plangate.config as {"settings": settings}
		with data.plangate.changes as chgs
}

# [settings, creates, deletes, replaces, no-ops, expected reasons' first words]
table := [
	[{"max_changes": 3}, 3, 0, 0, 5, set()],
	[{"max_changes": 3}, 2, 1, 1, 0, {"the plan changes 4 resources"}],
	[{"max_destroys": 2}, 5, 2, 0, 0, set()],
	[{"max_destroys": 2}, 0, 2, 1, 0, {"the plan destroys or replaces 3 resources"}],
	[{"max_changes": 3, "max_destroys": 0}, 4, 0, 1, 0, {"the plan changes 5 resources", "the plan destroys or replaces 1 resource"}],
	[{"max_destroys": 0}, 4, 0, 0, 0, set()],
	[{}, 100, 100, 0, 0, set()],
]

got(row) := {substring(c.reason, 0, indexof(c.reason, ",")) |
	chgs := array.concat(
		array.concat(changes("create", row[1]), changes("delete", row[2])),
		array.concat(changes("replace", row[3]), changes("no-op", row[4])),
	)
	some c in caps(row[0], chgs)
}

failures := [row | some row in table; not holds(row)]

# A row that cannot be evaluated fails too.
holds(row) if got(row) == row[5]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_table := true if count(failures) == 0 else := failures

test_cap_shape if {
	caps({"max_changes": 1}, changes("create", 2)) == {{
		"id": "blast-radius",
		"stage": "plan-only",
		"reason": "the plan changes 2 resources, more than max_changes 1; large plans are applied by hand",
	}}
}

test_no_settings_at_all if {
	result := blast_radius.cap with data.plangate.changes as changes("delete", 3)
	result == set()
}
