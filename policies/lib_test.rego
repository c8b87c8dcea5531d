package plangate.lib_test

import data.plangate.lib

change(action, extra) := object.union({"address": "aws_db_instance.main", "type": "aws_db_instance", "action": action}, extra)

# [change, sentence]
describe_table := [
	[change("create", {}), "aws_db_instance.main will be created"],
	[change("update", {}), "aws_db_instance.main will be updated in place"],
	[change("delete", {"action_reason": "delete_because_no_resource_config"}), "aws_db_instance.main will be destroyed (delete_because_no_resource_config)"],
	[change("forget", {}), "aws_db_instance.main will be removed from state (forgotten, not destroyed)"],
	[change("read", {}), "aws_db_instance.main will be read"],
	[change("no-op", {}), "aws_db_instance.main will not change"],
	[change("replace", {}), "aws_db_instance.main will be destroyed and re-created"],
	[change("replace", {"replace_order": "create-before-destroy"}), "aws_db_instance.main will be re-created, then the old object destroyed"],
	[change("replace", {"replace_order": "forget-then-create"}), "aws_db_instance.main will be re-created, the old object forgotten (left in place, unmanaged)"],
	[change("replace", {"replace_order": "create-then-forget"}), "aws_db_instance.main will be re-created, the old object forgotten (left in place, unmanaged)"],
	[change("unknown", {"actions": ["open", "close"]}), "aws_db_instance.main has actions plangate does not recognise (open, close)"],
	[change("delete", {"deposed": "00ab"}), "aws_db_instance.main (deposed object 00ab) will be destroyed"],
]

describe_failures := [row | some row in describe_table; not lib.describe(row[0]) == row[1]]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_describe_table := true if count(describe_failures) == 0 else := describe_failures

# [glob, address, matches?] for a change of type aws_db_instance.
glob_table := [
	["aws_db_*", "aws_db_instance.main", true], # on the type
	["aws_db_instance", "aws_db_instance.main", true],
	["aws_*", "aws_db_instance.main", true],
	["aws_s3_*", "aws_db_instance.main", false],
	["aws_db_instance.*", "aws_db_instance.main", true], # on the address
	["aws_db_instance.*", "aws_db_instance.main[0]", true],
	["aws_db_instance.main", "aws_db_instance.main", true],
	["*.main", "module.db.aws_db_instance.main", false], # "*" stops at "."
	["**.main", "module.db.aws_db_instance.main", true],
	["module.db.**", "module.db.aws_db_instance.main", true],
	["module.app.**", "module.db.aws_db_instance.main", false],
]

glob_failures := [row | some row in glob_table; not glob_holds(row)]

glob_holds(row) if matches(row[0], row[1]) == row[2]

matches(pattern, address) := true if {
	lib.resources_match([pattern], change("update", {"address": address}))
} else := false

test_glob_table := true if count(glob_failures) == 0 else := glob_failures

test_no_resources_match_everything if lib.resources_match([], change("update", {}))

test_matching_globs if {
	lib.matching_globs(["aws_db_*", "aws_s3_*", "aws_db_instance.main"], change("update", {})) == {"aws_db_*", "aws_db_instance.main"}
}

# -- changes -------------------------------------------------------------------

test_does_something if {
	every action in ["create", "update", "replace", "delete", "forget", "unknown"] {
		lib.does_something({"action": action})
	}
	not lib.does_something({"action": "no-op"})
	not lib.does_something({"action": "read"})
	lib.does_something({}) # no action: assume the worst
}

# active_changes and destructive_changes write out does_something and
# is_destructive: they must select the same changes.
test_written_out_selections_agree_with_the_functions if {
	chgs := [
		{"action": "create", "destructive": false},
		{"action": "no-op", "destructive": false},
		{"action": "read"},
		{"action": "delete", "destructive": true},
		{"action": "replace", "destructive": true},
		{"action": "no-op", "destructive": true},
		{"destructive": true},
		{},
		{"action": "forget", "destructive": "yes"},
	]
	active := lib.active_changes with data.plangate.changes as chgs
	active == [chg | some chg in chgs; lib.does_something(chg)]
	count(active) == 6
	destructive := lib.destructive_changes with data.plangate.changes as chgs
	destructive == [chg | some chg in active; lib.is_destructive(chg)]
	count(destructive) == 3
}

test_plan_does_something if {
	lib.plan_does_something with data.plangate.changes as [{"action": "no-op"}, {"action": "create"}]
	not lib.plan_does_something with data.plangate.changes as [{"action": "no-op"}, {"action": "read"}]
	not lib.plan_does_something with data.plangate.changes as []
}

test_destroys_or_forgets if {
	lib.destroys_or_forgets({"action": "delete", "destructive": true})
	lib.destroys_or_forgets({"action": "forget", "destructive": false})
	not lib.destroys_or_forgets({"action": "update", "destructive": false})
}

# -- environments and people ----------------------------------------------------------

test_env_applies if {
	lib.env_applies({"environments": ["prod"]}) with data.plangate.context as {"environment": {"name": "prod"}}
	lib.env_applies({"environments": ["*"]}) with data.plangate.context as {"environment": {"name": "prod"}}
	lib.env_applies({}) with data.plangate.context as {"environment": {"name": "prod"}}
	not lib.env_applies({"environments": ["staging"]}) with data.plangate.context as {"environment": {"name": "prod"}}
	not lib.env_applies({"environments": []}) with data.plangate.context as {"environment": {"name": "prod"}}
}

test_approvers_lower_case_without_author if {
	got := lib.approvers with data.plangate.context as {"author": "Carol", "approvers": ["Alice", "alice", "CAROL", "bob"]}
	got == {"alice", "bob"}
}

test_eligible_members if {
	got := lib.eligible("ops") with data.plangate.config as {"groups": {"ops": {"members": ["Dave", "erin"]}}}
		with data.plangate.context as {"author": "erin"}
	got == {"dave"}
}

test_unknown_group_has_no_members if lib.members("nobody") == set()

# -- formatting ---------------------------------------------------------------------

test_names if {
	lib.names({"bob", "alice"}) == "alice, bob"
	lib.names(set()) == "none"
}

test_plural if {
	lib.plural(1, "approval") == "1 approval"
	lib.plural(0, "approval") == "0 approvals"
	lib.plural(3, "resource") == "3 resources"
}

second := 1000000000

test_duration if {
	lib.duration(0) == "0s"
	lib.duration(second - 1) == "0s"
	lib.duration(45 * second) == "45s"
	lib.duration(3600 * second) == "1h"
	lib.duration((2 * 3600 + 30 * 60) * second) == "2h30m"
	lib.duration((26 * 3600 + 5) * second) == "26h5s"
}

test_stage_levels if {
	lib.stage_levels["plan-only"] == 1
	lib.stage_levels["auto-apply-all"] == 3
}
