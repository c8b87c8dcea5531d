package lib.plan

import rego.v1

changed contains rc if {
	some rc in input.resource_changes
	rc.change.actions != ["no-op"]
}

created contains rc if {
	some rc in input.resource_changes
	"create" in rc.change.actions
}

deleted contains rc if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
}

# Named like a conftest rule but in a helper namespace: only evaluated when
# lib.plan itself is a selected namespace (e.g. --all-namespaces).
warn_helper contains "lib.plan helper warning" if {
	count(deleted) >= 4
}
