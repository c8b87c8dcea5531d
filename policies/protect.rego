# [protect]: protected resources are never destroyed, replaced or forgotten
# without a break-glass approval.
#
# Each `protect` block lists resource globs (matched against a change's type OR
# its address). A change that destroys (delete, replace in any order, unknown
# actions) or forgets a matching resource is gated; one approval from the block's
# `break_glass` group (never the author's own) opens the gate.
package plangate.protect

import data.plangate.lib

gate contains {
	"id": "protect",
	"address": chg.address,
	"deposed": object.get(chg, "deposed", ""),
	"reason": sprintf("%s, but it is protected (matches %s)", [
		lib.describe(chg),
		concat(", ", sort(lib.matching_globs(block.resources, chg))),
	]),
	"unblock": unblock(block),
} if {
	some block in object.get(lib.config, "protect", [])
	not broken_glass(block)
	some chg in lib.active_changes
	lib.destroys_or_forgets(chg)
	count(lib.matching_globs(object.get(block, "resources", []), chg)) > 0
}

broken_glass(block) if count(lib.approved_by(lib.eligible(block.break_glass))) > 0

unblock(block) := sprintf("one approval from group %s (%s) lifts the protection", [
	block.break_glass,
	lib.names(lib.eligible(block.break_glass)),
]) if {
	block.break_glass
} else := "no break-glass group: change the plan so it keeps the resource, or remove it from `protect` in plangate.hcl"
