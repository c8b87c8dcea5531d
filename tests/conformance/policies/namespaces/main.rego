# namespaces: several packages in one policy directory.
# Run with (three cases in cases.json):
#   conftest test --policy tests/conformance/policies/namespaces --all-namespaces <plan.json>
#   conftest test --policy tests/conformance/policies/namespaces --namespace terraform.aws <plan.json>
#   conftest test --policy tests/conformance/policies/namespaces --namespace main --namespace terraform.naming <plan.json>
# Packages: main, terraform.aws, terraform.naming, terraform.naming.rules
# (a sub-package: its own namespace, not part of terraform.naming) and
# lib.plan (a helper package with no conftest rules).
package main

import rego.v1

import data.lib.plan

deny contains msg if {
	some rc in plan.deleted
	msg := sprintf("main: %s is deleted", [rc.address])
}

warn contains msg if {
	n := count(plan.created)
	n > 0
	msg := sprintf("main: %d resource(s) created", [n])
}
