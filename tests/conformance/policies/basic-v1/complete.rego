# Complete (non-set) rules whose names match conftest's patterns.
# conftest only reports a value that decodes to an array: a complete rule
# holding an array reports its string elements, any other value is a success.
package main

import rego.v1

# An array-valued complete rule: its strings are reported as failures.
violation_plan_shape := [sprintf("plan format %s", [input.format_version]), 7] if {
	count(input.resource_changes) >= 4
}

# A string-valued complete rule: never reported (counts as a success).
warn_complete := "a complete string rule is not a message" if true

# A boolean complete rule: never reported.
deny_bool if {
	count(input.resource_changes) > 0
}

# An object-valued rule: never reported.
warn_object := {"msg": "objects are not arrays"} if true
