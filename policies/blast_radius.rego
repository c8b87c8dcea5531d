# [blast-radius]: big plans are applied by hand.
#
# `max_changes` bounds the changes that do something; `max_destroys` bounds the
# destructive ones (deletes, replaces, unknown actions). Reaching a limit is fine;
# going over it caps the whole plan at plan-only.
package plangate.blast_radius

import data.plangate.lib

cap contains {
	"id": "blast-radius",
	"stage": "plan-only",
	"reason": sprintf("the plan changes %s, more than max_changes %d; large plans are applied by hand", [lib.plural(n, "resource"), limit]),
} if {
	limit := lib.settings.max_changes
	n := count(lib.active_changes)
	n > limit
}

cap contains {
	"id": "blast-radius",
	"stage": "plan-only",
	"reason": sprintf("the plan destroys or replaces %s, more than max_destroys %d; large plans are applied by hand", [lib.plural(n, "resource"), limit]),
} if {
	limit := lib.settings.max_destroys
	n := count(lib.destructive_changes)
	n > limit
}
