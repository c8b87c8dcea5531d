# A known difference between regorus and OPA (README, "Differences from conftest"):
# arithmetic on a non-number. OPA (non-strict) makes the expression undefined;
# regorus raises an error, so plangate reports the plan as an error (exit 2): it
# fails closed rather than passing. Run with: -p tests/conformance/policies/known-differences
package main

import rego.v1

changes := input.resource_changes

# Arithmetic on a string operand fails: undefined.
warn_plus contains msg if {
	some rc in changes
	x := rc.change.after.input.replicas + 1
	msg := sprintf("%s: replicas+1 = %d", [rc.address, x])
}

warn_plus contains msg if {
	some rc in changes
	x := rc.change.after.input + 1
	msg := sprintf("%s: input+1 = %v", [rc.address, x])
}

