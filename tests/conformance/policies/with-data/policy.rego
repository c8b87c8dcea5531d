# with-data: rules driven by external data documents (conftest --data).
# Run with one of:
#   conftest test --policy tests/conformance/policies/with-data --data tests/conformance/data/allowed.yaml <plan.json>
#   conftest test --policy tests/conformance/policies/with-data --data tests/conformance/data/allowed.json <plan.json>
#   conftest test --policy tests/conformance/policies/with-data <plan.json>   (no data: defaults apply)
#   (namespace main, Rego v1)
# A data file passed directly is loaded at the root of `data`
# (data.allowed_types, data.protected, data.limits, ...).
package main

import rego.v1

default max_deletes := 100

max_deletes := data.limits.max_deletes

allowed_types := {t | some t in data.allowed_types}

default protected := []

protected := data.protected

deny_type contains msg if {
	some rc in input.resource_changes
	rc.change.actions != ["no-op"]
	count(allowed_types) > 0
	not rc.type in allowed_types
	msg := sprintf("%s: type %s is not in the allowed list %v", [rc.address, rc.type, sort(allowed_types)])
}

deny_protected contains {"msg": msg, "owner": p.owner, "ticket": object.get(p, "ticket", null)} if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	some p in protected
	glob.match(p.address, [], rc.address)
	msg := sprintf("%s is protected by %s", [rc.address, p.owner])
}

deny_too_many_deletes contains msg if {
	n := count([rc | some rc in input.resource_changes; "delete" in rc.change.actions])
	n > max_deletes
	msg := sprintf("%d deletions exceed the limit of %d", [n, max_deletes])
}

warn_env contains msg if {
	some rc in input.resource_changes
	env := rc.change.after.input.tags.env
	not env in {e | some e in data.environments}
	msg := sprintf("%s: unknown environment %q (known: %v)", [rc.address, env, data.environments])
}

warn_settings contains {"msg": "settings", "settings": data.settings} if {
	data.settings.report
}

exception contains rules if {
	some name in data.exempt_rules
	rules := [name]
}

# Without --data: the type check is off, say so once.
warn_no_data contains "no allowed_types data: the type check is disabled" if {
	not data.allowed_types
}

# An undefined data reference inside sprintf's arguments makes the whole
# message undefined (warn_env never fires without data.environments) ...
# ... while a comprehension over it is simply empty.
warn_known_envs contains msg if {
	known := {e | some e in data.environments}
	count(known) == 0
	some rc in input.resource_changes
	rc.change.after.input.tags.env
	msg := sprintf("%s: no known environments to check %q against", [rc.address, rc.change.after.input.tags.env])
}
