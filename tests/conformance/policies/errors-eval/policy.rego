# errors-eval: results conftest turns into errors (the run stops with an error).
# Run with: conftest test --policy tests/conformance/policies/errors-eval <plan.json>
#   (namespace main, Rego v1)
# Only plans on which an offending rule actually produces a value error out;
# conftest_ref.py reports that per (file, namespace) as "error", the other
# plans get ordinary results.
package main

import rego.v1

# An object result without "msg": conftest fails with
# `"msg" field must be present and a string` (only on plans with deletes).
deny contains {"message": sprintf("%s deleted", [rc.address])} if {
	some rc in input.resource_changes
	rc.change.actions == ["delete"]
}

# "msg" present but not a string (only on plans with forget actions).
warn contains {"msg": count(input.resource_changes)} if {
	some rc in input.resource_changes
	rc.change.actions == ["forget"]
}

# A complete rule with two different values is an evaluation error in OPA
# (eval_conflict_error), not a builtin error: it is not silently ignored.
# It conflicts on plans that both create something and leave something
# unchanged (unknown-after, modules-mixed).
status := "creating" if {
	some rc in input.resource_changes
	rc.change.actions == ["create"]
}

status := "idle" if {
	some rc in input.resource_changes
	rc.change.actions == ["no-op"]
}

violation contains msg if {
	status == "creating"
	msg := "plan creates resources"
}

# An ordinary rule, so plans without errors still show a result.
warn_replace contains msg if {
	some rc in input.resource_changes
	count(rc.change.actions) == 2
	msg := sprintf("%s is replaced", [rc.address])
}
