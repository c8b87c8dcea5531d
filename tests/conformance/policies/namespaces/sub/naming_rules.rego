package terraform.naming.rules

import rego.v1

# A deeper package is a separate namespace: with --namespace terraform.naming
# these rules are not evaluated.
warn contains msg if {
	some rc in input.resource_changes
	rc.previous_address
	msg := sprintf("%s was moved from %s", [rc.address, rc.previous_address])
}

deny contains msg if {
	some rc in input.resource_changes
	contains(rc.address, "[\"")
	msg := sprintf("%s has a string index", [rc.address])
}
