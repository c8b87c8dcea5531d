package plangate.destructive_test

import data.plangate.destructive

# A change as data.plangate.changes holds it.
change(action) := {
	"address": sprintf("terraform_data.%s", [replace(action, "-", "_")]),
	"type": "terraform_data",
	"action": action,
	"destructive": action in {"delete", "replace", "unknown"},
}

env(level) := {"environment": {"name": "test", "stage": {"level": level, "name": "x"}}}

caps(chgs, level) := result if {
	result := destructive.cap with data.plangate.changes as chgs
		with data.plangate.context as env(level)
}

# The ids of the caps one change of `action` gets in a stage of `level`.
cap_ids(action, level) := {c.id | some c in caps([change(action)], level)}

# [action, stage level, expected cap ids]
table := [
	["delete", 1, {"destructive"}],
	["delete", 2, {"destructive"}],
	["delete", 3, set()],
	["delete", 4, set()],
	["replace", 2, {"destructive"}],
	["replace", 3, set()],
	["unknown", 2, {"destructive"}],
	["unknown", 3, set()],
	["forget", 2, {"forget"}],
	["forget", 3, set()],
	["create", 2, set()],
	["update", 2, set()],
	["create", 0, set()],
	["no-op", 0, set()],
	["read", 1, set()],
]

failures := [row | some row in table; not holds(row)]

# A row that cannot be evaluated fails too.
holds(row) if cap_ids(row[0], row[1]) == row[2]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_table := true if count(failures) == 0 else := failures

test_replace_reason if {
	chg := object.union(change("replace"), {
		"address": "terraform_data.db",
		"replace_order": "destroy-before-create",
		"action_reason": "replace_because_cannot_update",
	})
	caps([chg], 2) == {{
		"id": "destructive",
		"address": "terraform_data.db",
		"deposed": "",
		"stage": "plan-only",
		"reason": "terraform_data.db will be destroyed and re-created (replace_because_cannot_update); destructive changes are automated only from stage auto-apply-all",
	}}
}

test_forget_replace_is_destructive_not_forget if {
	chg := object.union(change("replace"), {"replace_order": "forget-then-create", "actions": ["forget", "create"]})
	{c.id | some c in caps([chg], 2)} == {"destructive"}
}

test_forget_reason if {
	caps([change("forget")], 2) == {{
		"id": "forget",
		"address": "terraform_data.forget",
		"deposed": "",
		"stage": "plan-only",
		"reason": "terraform_data.forget will be removed from state (forgotten, not destroyed); removing resources from state is automated only from stage auto-apply-all",
	}}
}

test_unknown_reason if {
	chg := object.union(change("unknown"), {"actions": ["open"]})
	some c in caps([chg], 2)
	c.reason == "terraform_data.unknown has actions plangate does not recognise (open); destructive changes are automated only from stage auto-apply-all"
}

test_deposed_named if {
	chg := object.union(change("delete"), {"deposed": "00a1b2c3"})
	some c in caps([chg], 2)
	startswith(c.reason, "terraform_data.delete (deposed object 00a1b2c3) will be destroyed;")
}

test_only_destructive_changes_capped if {
	chgs := [change("create"), change("delete"), change("update")]
	{c.address | some c in caps(chgs, 2)} == {"terraform_data.delete"}
}

test_no_context_is_treated_as_blocked if {
	result := destructive.cap with data.plangate.changes as [change("delete")]
	count(result) == 1
}

test_no_changes if caps([], 2) == set()

# A deposed object's cap names its key, so it does not also apply to the current
# object at the same address.
test_deposed_object_is_capped_by_its_key if {
	chg := object.union(change("delete"), {"address": "terraform_data.lb", "deposed": "8038c1bf"})
	{c.deposed | some c in caps([chg], 2)} == {"8038c1bf"}
}
