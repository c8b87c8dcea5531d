# object.get / default heavy rules: missing keys and wrong types fall back to
# defaults instead of making rules undefined. object.get on a non-object
# (change.after is null for deletes) is itself a builtin error: undefined.
package main

import rego.v1

default max_replicas := 2

default protected_prefixes := ["terraform_data.db", "terraform_data.lb"]

default owner(_) := "unowned"

owner(rc) := o if {
	o := rc.change.after.input.tags.owner
}

default replicas(_) := 0

replicas(rc) := n if {
	n := object.get(rc.change.after, ["input", "replicas"], 0)
	is_number(n)
}

deny_replicas contains msg if {
	some rc in input.resource_changes
	replicas(rc) > max_replicas
	msg := sprintf("%s: %d replicas > %d", [rc.address, replicas(rc), max_replicas])
}

warn_owner contains msg if {
	some rc in input.resource_changes
	rc.change.actions != ["no-op"]
	msg := sprintf("%s is owned by %s", [rc.address, owner(rc)])
}

# object.get on the null `after` of a delete fails: no message for deletes.
warn_after_input contains msg if {
	some rc in input.resource_changes
	v := object.get(rc.change.after, "input", "<no input>")
	msg := sprintf("%s: after.input = %v", [rc.address, v])
}

# Deep defaults on paths that do not exist.
warn_drift contains msg if {
	drift := object.get(input, "resource_drift", [])
	msg := sprintf("%d drifted resource(s)", [count(drift)])
}

deny_protected contains msg if {
	some rc in input.resource_changes
	some prefix in protected_prefixes
	startswith(rc.address, prefix)
	object.get(rc, "action_reason", "") != ""
	msg := sprintf("%s (%s) is protected", [rc.address, object.get(rc, "action_reason", "none")])
}

# object.get with a key path through a string: the default is used.
warn_through_string contains msg if {
	some rc in input.resource_changes
	rc.change.actions == ["update"]
	v := object.get(rc.change, ["after", "input", "name", "first"], "n/a")
	msg := sprintf("%s: after.input.name.first = %v", [rc.address, v])
}
