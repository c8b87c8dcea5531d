package plangate.approvals_test

import data.plangate.approvals

groups := {
	"platform": {"members": ["alice", "bob", "carol"]},
	"dba": {"members": ["dave", "erin"]},
	"acme/sre": {"members": ["sam"]},
}

change(action) := {
	"address": sprintf("aws_db_instance.%s", [action]),
	"type": "aws_db_instance",
	"action": action,
	"destructive": action in {"delete", "replace", "unknown"},
}

platform_rule := {"environments": ["prod"], "when": "any", "group": "platform", "codeowners": false, "count": 2}

ctx(approvers) := {
	"environment": {"name": "prod", "stage": {"level": 2, "name": "auto-apply"}},
	"author": "carol",
	"approvers": approvers,
}

gates_with(rules, chgs, context) := result if {
	result := approvals.gate with data.plangate.config as {"groups": groups, "approvals": rules}
		with data.plangate.changes as chgs
		with data.plangate.context as context
}

gates(rule, chgs, approvers) := gates_with({"two-of-platform": rule}, chgs, ctx(approvers))

# Is the one change of `action` gated under `rule` with these approvers?
gated(rule, action, approvers) := count(gates(rule, [change(action)], approvers)) > 0

# -- counting approvals -----------------------------------------------------------

test_one_short_is_gated if {
	gates(platform_rule, [change("update")], ["alice"]) == {{
		"id": "approval",
		"address": "aws_db_instance.update",
		"deposed": "",
		"reason": "aws_db_instance.update will be updated in place; approval rule two-of-platform requires 2 approvals from group platform",
		"unblock": "2 approvals from group platform (alice, bob); have 1: alice",
	}}
}

test_enough_approvals_open_the_gate if not gated(platform_rule, "update", ["alice", "bob"])

test_none_yet if {
	some g in gates(platform_rule, [change("update")], [])
	g.unblock == "2 approvals from group platform (alice, bob); have 0"
}

test_author_approval_not_counted if gated(platform_rule, "update", ["alice", "carol"])

test_author_approval_not_counted_any_case if {
	context := object.union(ctx(["alice", "carol"]), {"author": "Carol"})
	count(gates_with({"r": platform_rule}, [change("update")], context)) == 1
}

test_non_member_not_counted if gated(platform_rule, "update", ["alice", "mallory"])

test_logins_case_insensitive if not gated(platform_rule, "update", ["ALICE", "Bob"])

test_members_case_insensitive if {
	rule := object.union(platform_rule, {"group": "mixed"})
	result := approvals.gate with data.plangate.config as {"groups": {"mixed": {"members": ["Alice", "BOB"]}}, "approvals": {"r": rule}}
		with data.plangate.changes as [change("update")]
		with data.plangate.context as ctx(["alice", "bob"])
	result == set()
}

test_count_defaults_to_one if {
	rule := object.remove(platform_rule, ["count"])
	gated(rule, "update", [])
	not gated(rule, "update", ["bob"])
}

test_unknown_group_can_never_be_satisfied if {
	rule := object.union(platform_rule, {"group": "ghosts", "count": 1})
	some g in gates(rule, [change("update")], ["alice"])
	g.unblock == "1 approval from group ghosts (nobody is eligible to approve); have 0"
}

test_each_rule_gates_separately if {
	dba := object.union(platform_rule, {"group": "dba", "count": 1})
	result := gates_with({"platform": platform_rule, "dba": dba}, [change("update")], ctx(["alice", "bob"]))
	{g.unblock | some g in result} == {"1 approval from group dba (dave, erin); have 0"}
}

test_gate_per_selected_change if {
	result := gates(platform_rule, [change("create"), change("update"), change("no-op")], [])
	{g.address | some g in result} == {"aws_db_instance.create", "aws_db_instance.update"}
}

# -- which changes: `when` ----------------------------------------------------------

# [when, action, gated?] with no approvals at all.
when_table := [
	["any", "create", true],
	["any", "update", true],
	["any", "forget", true],
	["any", "no-op", false],
	["any", "read", false],
	["destructive", "delete", true],
	["destructive", "replace", true],
	["destructive", "unknown", true],
	["destructive", "update", false],
	["destructive", "forget", false],
	["replace", "replace", true],
	["replace", "delete", false],
	["delete", "delete", true],
	["delete", "replace", false],
	["delete", "create", false],
]

when_failures := [row | some row in when_table; not when_holds(row)]

# A row that cannot be evaluated fails too.
when_holds(row) if {
	rule := object.union(platform_rule, {"when": row[0]})
	gated(rule, row[1], []) == row[2]
}

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_when_table := true if count(when_failures) == 0 else := when_failures

# -- which changes: `resources` and `environments` --------------------------------------

# [resources globs, address, type, gated?]
resources_table := [
	[[], "aws_s3_bucket.logs", "aws_s3_bucket", true],
	[["aws_db_*"], "aws_db_instance.main", "aws_db_instance", true],
	[["aws_db_*"], "aws_s3_bucket.logs", "aws_s3_bucket", false],
	[["aws_db_instance.*"], "aws_db_instance.main", "aws_db_instance", true],
	[["aws_db_instance.main"], "aws_db_instance.main", "aws_db_instance", true],
	[["aws_db_instance.other"], "aws_db_instance.main", "aws_db_instance", false],
	[["module.db.*.*"], "module.db.aws_db_instance.main", "aws_db_instance", true],
	[["module.db.*.*"], "module.app.aws_db_instance.main", "aws_db_instance", false],
	[["**.aws_db_instance.*"], "module.a.module.b.aws_db_instance.main", "aws_db_instance", true],
	[["aws_s3_*", "aws_db_*"], "aws_db_instance.main", "aws_db_instance", true],
]

resources_failures := [row | some row in resources_table; not resources_holds(row)]

resources_holds(row) if {
	rule := object.union(platform_rule, {"resources": row[0]})
	chg := {"address": row[1], "type": row[2], "action": "update", "destructive": false}
	got := count(gates(rule, [chg], [])) > 0
	got == row[3]
}

test_resources_table := true if count(resources_failures) == 0 else := resources_failures

test_other_environment_not_gated if {
	context := object.union(ctx([]), {"environment": {"name": "staging"}})
	gates_with({"r": platform_rule}, [change("update")], context) == set()
}

test_star_environment_gated if {
	rule := object.union(platform_rule, {"environments": ["*"]})
	context := object.union(ctx([]), {"environment": {"name": "staging"}})
	count(gates_with({"r": rule}, [change("update")], context)) == 1
}

test_no_approval_blocks if gates_with({}, [change("delete")], ctx([])) == set()

test_no_config_at_all if {
	result := approvals.gate with data.plangate.changes as [change("delete")]
	result == set()
}

# -- CODEOWNERS -------------------------------------------------------------------

owners_rule := {"environments": ["*"], "when": "any", "codeowners": true, "count": 1}

owners_gates(owners, approvers) := gates_with(
	{"owners": owners_rule},
	[change("update")],
	object.union(ctx(approvers), {"codeowners": owners}),
)

# [CODEOWNERS entries, approvers, gated?]
owners_table := [
	[["@alice"], ["alice"], false],
	[["@Alice"], ["alice"], false],
	[["@alice"], ["bob"], true],
	[["@acme/dba"], ["dave"], false],
	[["@acme/dba"], ["alice"], true],
	[["@acme/sre"], ["sam"], false],
	[["@acme/sre"], ["dave"], true],
	[["@ACME/SRE"], ["sam"], false],
	[["@acme/unknown"], ["dave"], true],
	[["ops@example.com"], ["ops"], true],
	[["@alice", "@acme/dba"], ["erin"], false],
	[["@carol"], ["carol"], true],
	[[], ["alice"], true],
]

owners_failures := [row | some row in owners_table; not owners_holds(row)]

owners_holds(row) if {
	got := count(owners_gates(row[0], row[1])) > 0
	got == row[2]
}

test_owners_table := true if count(owners_failures) == 0 else := owners_failures

test_owners_unblock_lists_people if {
	some g in owners_gates(["@alice", "@acme/dba", "@carol"], [])
	g.reason == "aws_db_instance.update will be updated in place; approval rule owners requires 1 approval from the code owners of this directory"
	g.unblock == "1 approval from the code owners of this directory (alice, dave, erin); have 0"
}

test_owners_none_for_directory if {
	some g in owners_gates([], [])
	g.unblock == "1 approval from the code owners of this directory: CODEOWNERS names nobody for this directory; add an owner or approve by group"
}
