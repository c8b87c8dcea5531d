# exceptions: conftest's exception mechanism.
# Run with: conftest test --policy tests/conformance/policies/exceptions <plan.json>
#   (namespace main, Rego v1; no extra flags)
# For each deny/violation/warn rule conftest first asks
#   data.main.exception[_][_] == "<rule name without deny_/violation_/warn_>"
# ("" for the bare names deny, violation and warn). Every solution of that
# query is recorded as one exception (msg = the query text) and the rule's own
# results are dropped, whether or not the rule would have fired.
package main

import rego.v1

deletes := [rc | some rc in input.resource_changes; "delete" in rc.change.actions]

# -- rules -----------------------------------------------------------------

deny_destroy contains msg if {
	some rc in deletes
	msg := sprintf("%s will be destroyed", [rc.address])
}

# Shares the "destroy" suffix with deny_destroy: excepted together.
warn_destroy contains msg if {
	count(deletes) > 0
	msg := sprintf("%d resource(s) will be destroyed", [count(deletes)])
}

violation_forget contains msg if {
	some rc in input.resource_changes
	rc.change.actions == ["forget"]
	msg := sprintf("%s would be forgotten", [rc.address])
}

deny contains msg if {
	some rc in input.resource_changes
	rc.change.actions == ["update"]
	msg := sprintf("%s is updated in place", [rc.address])
}

warn contains "this plan changes something" if {
	some rc in input.resource_changes
	rc.change.actions != ["no-op"]
}

warn_replace contains msg if {
	some rc in input.resource_changes
	count(rc.change.actions) == 2
	msg := sprintf("%s is replaced", [rc.address])
}

# Trimmed prefixes are removed one after the other: "deny_warn_chain"
# is looked up as "chain" (deny_ then warn_ stripped).
deny_warn_chain contains "chained prefix rule fired" if {
	count(input.resource_changes) >= 3
}

# -- exceptions --------------------------------------------------------------

# A full teardown (every change is a delete) is intentional: exempt "destroy".
exception contains rules if {
	count(input.resource_changes) > 0
	every rc in input.resource_changes {
		rc.change.actions == ["delete"]
	}
	rules := ["destroy"]
}

# `removed { lifecycle { destroy = false } }` guarded by a variable.
exception contains rules if {
	input.variables.allow_forget.value == "yes"
	rules := ["forget"]
}

# The empty suffix exempts the bare rule names (deny and warn here).
exception contains [""] if {
	every rc in input.resource_changes {
		rc.change.actions == ["no-op"]
	}
}

# Two exception entries naming "replace": two solutions, two exceptions.
exception contains ["replace"] if {
	some rc in input.resource_changes
	rc.change.actions == ["create", "delete"]
}

exception contains ["replace", "unused"] if {
	some rc in input.resource_changes
	rc.change.actions == ["create", "delete"]
}

# The stripped name of deny_warn_chain.
exception contains ["chain"] if {
	some rc in input.resource_changes
	startswith(rc.address, "module.")
}

# Exceptions for names that no rule has are never reported.
exception contains ["nothing_is_called_this"] if true
