# objects-v1: rules returning objects, conftest's "metadata" results.
# Run with: conftest test --policy tests/conformance/policies/objects-v1 <plan.json>
#   (namespace main, Rego v1; no extra flags)
# Every object needs a string "msg"; every other key except "_loc" becomes
# metadata (plus conftest's own "query"); "_loc" {file, line} becomes "loc".
# Covers numbers (ints, literal floats, computed floats), booleans, null,
# nested objects/arrays, sets in metadata, sprintf with %v/%d/%s/%q and
# messages that are identical but whose metadata differs.
package main

import rego.v1

weights := {"create": 1, "update": 2, "delete": 10, "forget": 5, "no-op": 0}

deny contains result if {
	some rc in input.resource_changes
	some action in rc.change.actions
	action == "delete"
	result := {
		"msg": sprintf("%v: destroying %s", [rc.address, rc.type]),
		"severity": "high",
		"score": weights[action],
		"blocking": true,
		"address": rc.address,
		"reason": object.get(rc, "action_reason", null),
		"actions": rc.change.actions,
	}
}

violation contains {"msg": msg, "details": {"index": idx, "mode": rc.mode, "provider": rc.provider_name}} if {
	some rc in input.resource_changes
	idx := rc.index
	rc.change.actions != ["no-op"]
	msg := sprintf("%s (index %v) changes", [rc.name, idx])
}

# Same message, different metadata: both are kept (set of objects).
warn contains {"msg": "change summary", "action": action, "n": n} if {
	some action in {"create", "update", "delete"}
	n := count([rc | some rc in input.resource_changes; action in rc.change.actions])
	n > 0
}

# Blast radius with a computed (non-integer) ratio.
warn_blast_radius contains {
	"msg": sprintf("blast radius %v exceeds 5 (%d changes, ratio %v, mean %v)", [score, total, ratio, score / count(input.resource_changes)]),
	"score": score,
	"ratio": ratio,
	"weights_used": used,
} if {
	changed := [rc | some rc in input.resource_changes; rc.change.actions != ["no-op"]]
	total := count(changed)
	total > 0
	score := sum([weights[a] | some rc in changed; some a in rc.change.actions])
	score > 5
	# a terminating quotient keeps the metadata number exact across engines
	ratio := score / 4
	used := {a | some rc in changed; some a in rc.change.actions}
}

# Literal numbers in metadata keep their spelling (1.50, 2.0, 1e3).
warn_literal_numbers contains {"msg": "numbers", "a": 1.50, "b": 2.0, "c": 1e3, "d": -0.5, "e": 10000000} if {
	input.format_version == "1.2"
	count(input.resource_changes) == 1
	input.resource_changes[0].change.actions == ["update"]
}

# _loc becomes "loc" and is not part of the metadata.
deny_located contains {"msg": sprintf("%s is forgotten", [rc.address]), "_loc": {"file": "main.tf", "line": 12}, "kind": "forget"} if {
	some rc in input.resource_changes
	rc.change.actions == ["forget"]
}

# _loc with a file only, and a _loc that is not an object (kept out of metadata, no loc).
warn_located contains {"msg": sprintf("%s replaced", [rc.address]), "_loc": {"file": rc.address}} if {
	some rc in input.resource_changes
	count(rc.change.actions) == 2
}

warn_located contains {"msg": sprintf("%s replace paths %v", [rc.address, rc.change.replace_paths]), "_loc": "nowhere"} if {
	some rc in input.resource_changes
	rc.change.replace_paths
}

# sprintf verbs: %q, %d, %s on composite values, %v on null/bool.
warn_formats contains {"msg": msg} if {
	some rc in input.resource_changes
	rc.change.actions == ["update"]
	msg := sprintf("%q before=%v after=%v sensitive=%v", [rc.address, rc.change.before.input, rc.change.after.input, rc.change.after_sensitive])
}

warn_formats contains {"msg": msg, "count": n} if {
	n := count(input.resource_changes)
	msg := sprintf("%d change(s), applyable=%v, errored=%v, prior_state=%v", [n, input.applyable, input.errored, object.get(input, "prior_state", null) != null])
}

# An empty msg in an object is a success, metadata notwithstanding.
warn_formats contains {"msg": "", "ignored": true} if true
