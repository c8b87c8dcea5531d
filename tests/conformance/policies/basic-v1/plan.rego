# basic-v1: the classic conftest layout for terraform plans.
# Run with: conftest test --policy tests/conformance/policies/basic-v1 <plan.json>
#   (namespace main, Rego v1; no extra flags)
# Covers: string results, bare deny/violation/warn, suffixed deny_destroy /
# warn_replace rules, several rule bodies under one name, duplicate messages
# collapsing in a set, empty-string messages (counted as successes) and
# non-string/non-object set members (ignored by conftest).
package main

import rego.v1

changes := input.resource_changes

# -- deny ---------------------------------------------------------------

# Resources removed from the configuration must not be deleted silently.
deny contains msg if {
	some rc in changes
	rc.change.actions == ["delete"]
	rc.action_reason == "delete_because_no_resource_config"
	msg := sprintf("%s: removed from configuration, refusing to delete it", [rc.address])
}

# A second body for the same rule name.
deny contains msg if {
	some rc in changes
	"delete" in rc.change.actions
	startswith(rc.address, "module.")
	msg := sprintf("%s: deleting resources inside module %s", [rc.address, rc.module_address])
}

# The same message produced by two bodies appears once (sets).
deny contains "plan removes a for_each instance" if {
	some rc in changes
	rc.action_reason == "delete_because_each_key"
}

deny contains "plan removes a for_each instance" if {
	some rc in changes
	rc.change.actions == ["delete"]
	is_string(rc.index)
}

# -- deny_destroy ----------------------------------------------------------

deny_destroy contains msg if {
	some rc in changes
	rc.change.actions[_] == "delete"
	msg := sprintf("%s will be destroyed", [rc.address])
}

# -- violation -------------------------------------------------------------

violation contains msg if {
	some rc in changes
	rc.change.actions == ["forget"]
	msg := sprintf("%s will be removed from state without being destroyed", [rc.address])
}

violation contains msg if {
	not input.complete
	msg := "plan is not complete"
}

# -- warn ------------------------------------------------------------------

warn contains msg if {
	creates := [rc | some rc in changes; rc.change.actions == ["create"]]
	count(creates) >= 2
	msg := sprintf("plan creates %d resources", [count(creates)])
}

warn contains msg if {
	some rc in changes
	rc.change.actions == ["update"]
	msg := sprintf("%s will be updated in place", [rc.address])
}

# An empty message is a success for conftest, not a warning.
warn contains "" if {
	some rc in changes
	rc.change.actions == ["no-op"]
}

# Members that are neither strings nor objects are ignored by conftest.
warn contains 42 if {
	count(changes) > 0
}

warn contains ["not", "a", "message"] if {
	count(changes) > 0
}

# -- warn_replace ----------------------------------------------------------

warn_replace contains msg if {
	some rc in changes
	rc.change.actions in {["delete", "create"], ["create", "delete"]}
	msg := sprintf("%s will be replaced (%s)", [rc.address, rc.action_reason])
}

warn_replace contains msg if {
	some rc in changes
	rc.change.actions == ["create", "delete"]
	msg := sprintf("%s uses create_before_destroy", [rc.address])
}

# Not a conftest rule (name does not match the patterns): never reported.
denied contains "never reported" if true

warning contains "never reported" if true
