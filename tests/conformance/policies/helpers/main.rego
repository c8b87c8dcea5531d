# helpers: a library split over several files with helper packages.
# Run with: conftest test --policy tests/conformance/policies/helpers <plan.json>
#   (namespace main, Rego v1; no extra flags)
# Covers: import data.lib.x across files, functions (incl. several
# definitions), some/every, set/array/object comprehensions, walk,
# glob.match, startswith/endswith, count/sum/max/min/sort, set union,
# intersection and difference, array.concat/slice, object.keys, the
# "blast radius" score of OPA's terraform tutorial, after_unknown,
# after_sensitive masks, output_changes, resource_drift, configuration,
# module addresses and data.conftest.file.name.
package main

import rego.v1

import data.lib.blast
import data.lib.tf

# -- blast radius (OPA terraform tutorial) ------------------------------------

deny_blast_radius contains msg if {
	blast.score > blast.threshold
	msg := sprintf("blast radius %d exceeds %d (%v)", [blast.score, blast.threshold, blast.counts])
}

warn_blast_radius contains msg if {
	blast.score > 0
	blast.score <= blast.threshold
	msg := sprintf("blast radius %d", [blast.score])
}

# -- every / some ---------------------------------------------------------------

deny_only_destroys contains msg if {
	count(input.resource_changes) > 0
	every rc in input.resource_changes {
		tf.is_delete(rc)
	}
	msg := sprintf("%s: plan only destroys (%d resources)", [data.conftest.file.name, count(input.resource_changes)])
}

warn_all_noop contains msg if {
	every rc in input.resource_changes {
		rc.change.actions == ["no-op"]
	}
	msg := sprintf("%s: nothing to do", [data.conftest.file.name])
}

# -- glob / startswith / module addresses -------------------------------------

deny_module_delete contains msg if {
	some rc in input.resource_changes
	glob.match("module.*.terraform_data.*", ["."], rc.address)
	tf.is_delete(rc)
	msg := sprintf("%s deletes a resource of %s", [rc.address, rc.module_address])
}

warn_modules contains msg if {
	mods := {rc.module_address | some rc in input.resource_changes; rc.module_address}
	count(mods) > 0
	msg := sprintf("modules changed: %s", [concat(",", sort(mods))])
}

warn_foreach_keys contains msg if {
	keys := [rc.index | some rc in input.resource_changes; is_string(rc.index)]
	count(keys) > 0
	msg := sprintf("for_each keys %v (first %s, last %s)", [sort(keys), min(keys), max(keys)])
}

# -- sets and arrays ------------------------------------------------------------

warn_actions contains msg if {
	before := {rc.address | some rc in input.resource_changes; rc.change.before != null}
	after := {rc.address | some rc in input.resource_changes; rc.change.after != null}
	kept := before & after
	gone := before - after
	new := after - before
	all := before | after
	count(gone) + count(new) > 0
	msg := sprintf("all=%d kept=%d gone=%v new=%v", [count(all), count(kept), sort(gone), sort(new)])
}

warn_action_counts contains msg if {
	counts := {action: n |
		some action in {a | some rc in input.resource_changes; some a in rc.change.actions}
		n := count([1 | some rc in input.resource_changes; action in rc.change.actions])
	}
	count(object.keys(counts)) > 1
	msg := sprintf("action counts %v", [counts])
}

warn_first_two contains msg if {
	addrs := sort([rc.address | some rc in input.resource_changes])
	count(addrs) > 2
	both := array.concat(array.slice(addrs, 0, 2), ["..."])
	msg := concat(" ", both)
}

# -- unknown / sensitive / outputs / drift / configuration ----------------------

warn_unknown contains msg if {
	some rc in input.resource_changes
	paths := tf.unknown_paths(rc)
	count(paths) > 0
	msg := sprintf("%s: unknown after apply: %s", [rc.address, concat(", ", sort(paths))])
}

deny_sensitive_change contains msg if {
	some rc in input.resource_changes
	rc.change.actions == ["update"]
	walk(rc.change.after_sensitive, [path, true])
	msg := sprintf("%s: sensitive value changes at %s", [rc.address, concat(".", [tf.to_string(p) | some p in path])])
}

deny_sensitive_output contains msg if {
	some name, oc in input.output_changes
	oc.after_sensitive == true
	"create" in oc.actions
	msg := sprintf("output %s is created and sensitive", [name])
}

warn_drift contains msg if {
	some d in input.resource_drift
	msg := sprintf("%s drifted", [d.address])
}

warn_count_expression contains msg if {
	some res in input.configuration.root_module.resources
	n := res.count_expression.constant_value
	msg := sprintf("%s has count = %d", [res.address, n])
}

warn_module_sources contains msg if {
	some name, call in input.configuration.root_module.module_calls
	startswith(call.source, "./")
	msg := sprintf("module %s uses local source %s", [name, call.source])
}

warn_references contains msg if {
	refs := {ref |
		walk(input.configuration, [path, value])
		path[count(path) - 1] == "references"
		some ref in value
	}
	count(refs) > 0
	msg := sprintf("configuration references %v", [sort(refs)])
}

warn_replace_paths contains msg if {
	some rc in input.resource_changes
	some p in rc.change.replace_paths
	msg := sprintf("%s replaced because of %s", [rc.address, concat(".", p)])
}

warn_file contains msg if {
	endswith(data.conftest.file.name, ".json")
	n := count(input.resource_changes)
	msg := sprintf("checked %s (%d change(s), terraform %s)", [data.conftest.file.name, n, input.terraform_version])
}
