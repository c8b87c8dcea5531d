package terraform.naming

import rego.v1

import data.lib.plan

# Names shorter than three characters are not descriptive.
deny_short_name contains msg if {
	some rc in plan.changed
	count(rc.name) < 3
	msg := sprintf("%s: resource name %q is shorter than 3 characters", [rc.address, rc.name])
}

# Prefer for_each over count.
warn_count contains msg if {
	some rc in input.resource_changes
	is_number(rc.index)
	msg := sprintf("%s uses count (index %d); prefer for_each", [rc.address, rc.index])
}

deny contains msg if {
	some rc in input.resource_changes
	not regex.match(`^[a-z][a-z0-9_]*$`, rc.name)
	msg := sprintf("%s: name %q is not snake_case", [rc.address, rc.name])
}
