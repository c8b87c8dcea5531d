package plangate.protect_test

import data.plangate.protect

config := {
	"groups": {"dba": {"members": ["dave", "erin"]}},
	"protect": [
		{"resources": ["aws_db_*", "aws_rds_cluster.*"], "break_glass": "dba"},
		{"resources": ["aws_s3_bucket.state"]},
	],
}

change(address, action) := {
	"address": address,
	"type": split(address, ".")[0],
	"action": action,
	"destructive": action in {"delete", "replace", "unknown"},
}

gates(chgs, author, approvers) := result if {
	result := protect.gate with data.plangate.config as config
		with data.plangate.changes as chgs
		with data.plangate.context as {
			"environment": {"name": "prod", "stage": {"level": 3, "name": "auto-apply-all"}},
			"author": author,
			"approvers": approvers,
		}
}

gated(address, action, approvers) := count(gates([change(address, action)], "carol", approvers)) > 0

# [address, action, approvers, gated?]
table := [
	["aws_db_instance.main", "delete", [], true],
	["aws_db_instance.main", "replace", [], true],
	["aws_db_instance.main", "unknown", [], true],
	["aws_db_instance.main", "forget", [], true],
	["aws_db_instance.main", "update", [], false],
	["aws_db_instance.main", "create", [], false],
	["aws_db_instance.main", "no-op", [], false],
	["aws_rds_cluster.main", "delete", [], true], # matched on the address
	["aws_s3_bucket.logs", "delete", [], false],
	["aws_s3_bucket.state", "delete", [], true],
	# break-glass
	["aws_db_instance.main", "delete", ["dave"], false],
	["aws_db_instance.main", "delete", ["DAVE"], false],
	["aws_db_instance.main", "delete", ["alice"], true],
	["aws_db_instance.main", "delete", ["carol"], true], # the author
	["aws_s3_bucket.state", "delete", ["dave"], true], # no break-glass group
]

failures := [row | some row in table; not holds(row)]

# A row that cannot be evaluated fails too.
holds(row) if gated(row[0], row[1], row[2]) == row[3]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_table := true if count(failures) == 0 else := failures

test_gate_with_break_glass if {
	chg := object.union(change("aws_db_instance.main", "replace"), {
		"replace_order": "destroy-before-create",
		"action_reason": "replace_because_cannot_update",
	})
	gates([chg], "dave", []) == {{
		"id": "protect",
		"address": "aws_db_instance.main",
		"deposed": "",
		"reason": "aws_db_instance.main will be destroyed and re-created (replace_because_cannot_update), but it is protected (matches aws_db_*)",
		"unblock": "one approval from group dba (erin) lifts the protection",
	}}
}

test_gate_without_break_glass if {
	gates([change("aws_s3_bucket.state", "delete")], "carol", []) == {{
		"id": "protect",
		"address": "aws_s3_bucket.state",
		"deposed": "",
		"reason": "aws_s3_bucket.state will be destroyed, but it is protected (matches aws_s3_bucket.state)",
		"unblock": "no break-glass group: change the plan so it keeps the resource, or remove it from `protect` in plangate.hcl",
	}}
}

test_one_gate_per_change if {
	chgs := [change("aws_db_instance.a", "delete"), change("aws_db_instance.b", "delete"), change("aws_db_instance.c", "update")]
	{g.address | some g in gates(chgs, "carol", [])} == {"aws_db_instance.a", "aws_db_instance.b"}
}

test_nothing_protected if {
	result := protect.gate with data.plangate.config as {}
		with data.plangate.changes as [change("aws_db_instance.main", "delete")]
	result == set()
}
