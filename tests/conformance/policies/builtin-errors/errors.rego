# builtin-errors: builtins that fail at run time on some plans.
# Run with: conftest test --policy tests/conformance/policies/builtin-errors <plan.json>
#   (namespace main, Rego v1; no extra flags)
# conftest runs OPA with non-strict builtin errors: a builtin that fails
# (bad argument type, unparsable string, division by zero, bad regex...)
# makes its expression undefined instead of stopping the evaluation. So a rule
# body containing it just does not produce a result, and `not <failing call>`
# succeeds. An engine that raises (or returns null/inf) diverges here.
package main

import rego.v1

changes := input.resource_changes

creates := [rc | some rc in changes; "create" in rc.change.actions]

deletes := [rc | some rc in changes; "delete" in rc.change.actions]

# to_number of "web-0".."web-2" minus the prefix works; "api", "batch" fail.
deny_index contains msg if {
	some rc in creates
	n := to_number(trim_prefix(rc.change.after.input.name, "web-"))
	n >= 1
	msg := sprintf("%s: instance number %d >= 1", [rc.address, n])
}

# to_number on a non-numeric string (an id, "one-changed") or on an object:
# the rule is skipped for those resources, never an error.
warn_numeric_input contains msg if {
	some rc in changes
	n := to_number(rc.change.after.input)
	msg := sprintf("%s: numeric input %v", [rc.address, n])
}

# ... and to_number(null) is 0, not an error.
warn_null_input contains msg if {
	some rc in changes
	rc.change.after.input == null
	to_number(rc.change.after.input) == 0
	msg := sprintf("%s: null input converts to 0", [rc.address])
}

# Division by zero when the plan creates nothing: the rule silently does not fire.
deny_churn contains msg if {
	ratio := count(deletes) / count(creates)
	ratio >= 1
	msg := sprintf("delete/create ratio %v >= 1", [ratio])
}

warn_churn contains msg if {
	ratio := count(creates) / count(deletes)
	msg := sprintf("create/delete ratio %v", [ratio])
}

# Modulo by zero likewise.
warn_modulo contains msg if {
	r := count(changes) % count(deletes)
	msg := sprintf("changes mod deletes = %d", [r])
}

# json.unmarshal of something that is not JSON text: undefined...
warn_json_input contains msg if {
	some rc in changes
	doc := json.unmarshal(rc.change.after.input)
	msg := sprintf("%s: input is JSON text of type %s", [rc.address, type_name(doc)])
}

# ... so its negation holds.
deny_not_json contains msg if {
	some rc in changes
	is_string(rc.change.after.input)
	not json.unmarshal(rc.change.after.input)
	msg := sprintf("%s: input %q is not JSON text", [rc.address, rc.change.after.input])
}

# A regex that does not compile: regex.match fails on every plan.
deny_bad_regex contains msg if {
	some rc in changes
	regex.match(`^terraform_data\.(`, rc.address)
	msg := sprintf("%s matched a broken regex", [rc.address])
}

warn_bad_regex contains "a broken regex never matches, so `not` holds" if {
	some rc in changes
	not regex.match(`[z-a]`, rc.address)
}

# startswith on an object input fails; on a string it works.
warn_prefix contains msg if {
	some rc in changes
	startswith(rc.change.after.input, "one")
	msg := sprintf("%s: input starts with one", [rc.address])
}

deny_not_prefix contains msg if {
	some rc in changes
	rc.change.actions == ["update"]
	not startswith(rc.change.after.input, "one")
	msg := sprintf("%s: input is not a string starting with one", [rc.address])
}

# Indexing a string (or a number) is undefined, not an error.
warn_string_index contains msg if {
	some rc in changes
	first := rc.change.after.input[0]
	msg := sprintf("%s: first element of input is %v", [rc.address, first])
}

warn_string_index contains msg if {
	some rc in changes
	rc.change.after.input.name.first
	msg := sprintf("%s: impossible", [rc.address])
}

# count() of null fails; count of a string counts characters.
warn_count_input contains msg if {
	some rc in changes
	n := count(rc.change.after.input)
	n > 3
	msg := sprintf("%s: input has length %d", [rc.address, n])
}

# units.parse_bytes of a non-size string fails.
warn_units contains msg if {
	some rc in changes
	b := units.parse_bytes(rc.change.after.input)
	msg := sprintf("%s: %d bytes", [rc.address, b])
}

# Time parsing of the (fixed) plan timestamp works; of an id it fails.
warn_timestamp contains msg if {
	ns := time.parse_rfc3339_ns(input.timestamp)
	[y, m, _] := time.date(ns)
	msg := sprintf("plan made in %d-%02d", [y, m])
}

deny_timestamp contains msg if {
	some rc in changes
	time.parse_rfc3339_ns(rc.change.before.id)
	msg := sprintf("%s: id parsed as a time", [rc.address])
}

# sprintf with too few arguments does not fail: Go prints %!d(MISSING).
warn_sprintf contains msg if {
	some rc in changes
	rc.change.actions == ["forget"]
	msg := sprintf("%s forgotten, %d left", [rc.address])
}
