# legacy-v0: a pre-OPA-1.0 conftest library (Rego v0 syntax, no `if`/`contains`).
# Run with: conftest test --rego-version v0 --policy tests/conformance/policies/legacy-v0 <plan.json>
#   (namespace main)
# Covers: deny[msg] { } partial sets, deny[{"msg": ...}] objects, helper
# functions with several definitions, `=` assignments, else chains, default
# rules, partial objects, re_match (a deprecated builtin v0 still accepts),
# exception[rules] { } and the pre-1.0 conftest examples/terraform style.
package main

import data.legacy.util

default max_deletes = 2

blast_weights = {"create": 1, "update": 1, "delete": 10}

# conftest examples/terraform style
deny[msg] {
	rc := input.resource_changes[_]
	rc.change.actions[_] == "delete"
	util.is_protected(rc)
	msg = sprintf("%s is protected and must not be deleted", [rc.address])
}

deny[msg] {
	count(deleted) > max_deletes
	msg = sprintf("too many deletions: %d > %d", [count(deleted), max_deletes])
}

deleted[address] {
	rc := input.resource_changes[_]
	rc.change.actions[_] == "delete"
	address := rc.address
}

# partial object: address -> action summary
summary[address] = actions {
	rc := input.resource_changes[_]
	address := rc.address
	actions := concat("+", rc.change.actions)
}

warn[msg] {
	summary[address] == "delete+create"
	msg = sprintf("%s is replaced (destroy before create)", [address])
}

warn[msg] {
	summary[address] == "create+delete"
	msg = sprintf("%s is replaced (create before destroy)", [address])
}

warn_unknown[msg] {
	rc := input.resource_changes[_]
	unknowns := [k | rc.change.after_unknown[k] == true]
	count(unknowns) > 0
	msg = sprintf("%s: values known after apply: %s", [rc.address, concat(", ", sort(unknowns))])
}

violation[{"msg": msg, "kind": kind}] {
	rc := input.resource_changes[_]
	kind := change_kind(rc.change.actions)
	kind != "noop"
	kind != "create"
	msg = sprintf("%s: %s", [rc.address, kind])
}

change_kind(actions) = "replace" {
	count(actions) == 2
} else = "noop" {
	actions == ["no-op"]
} else = kind {
	kind := actions[0]
}

deny_module_name[msg] {
	rc := input.resource_changes[_]
	re_match("^module\\.[a-c]\\.", rc.address)
	not startswith(rc.module_address, "module.a")
	msg = sprintf("%s: module %s changes", [rc.address, rc.module_address])
}

blast_radius = score {
	all := [w | rc := input.resource_changes[_]; a := rc.change.actions[_]; w := object.get(blast_weights, a, 0)]
	score := sum(all)
}

warn_blast[msg] {
	blast_radius >= 10
	msg = sprintf("blast radius %d", [blast_radius])
}

exception[rules] {
	input.variables.allow_forget.value == "yes"
	rules = ["blast"]
}

forgetting {
	input.resource_changes[_].change.actions == ["forget"]
}

deny_forget["resources are forgotten"] {
	forgetting
}
