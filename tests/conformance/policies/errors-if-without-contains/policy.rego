# errors-if-without-contains: conftest refuses to load this library.
# Run with: conftest test --policy tests/conformance/policies/errors-if-without-contains <plan.json>
# Expected: a load error ("rule is using 'if' keyword without 'contains'
# keyword", open-policy-agent/opa#6509): in Rego v1 `deny[msg] if { ... }`
# defines an object deny with msg keys mapped to true, not a set of messages.
package main

import rego.v1

deny[msg] if {
	some rc in input.resource_changes
	rc.change.actions == ["delete"]
	msg := sprintf("%s deleted", [rc.address])
}

warn contains "an ordinary rule" if true
