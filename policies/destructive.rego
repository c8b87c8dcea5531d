# [destructive], [forget]: what stage 2 (auto-apply) may not do.
#
# Stage 2 applies non-destructive changes only (create, update, read, move,
# import); deletes, replaces in any order and unknown action sets wait for stage
# 3 (auto-apply-all), which verifies after applying. Below stage 3 such a change
# is capped at plan-only: a human reviews and applies it by hand.
package plangate.destructive

import data.plangate.lib

# The first stage that may apply a destructive change.
min_level := lib.stage_levels["auto-apply-all"]

cap contains {
	"id": "destructive",
	"address": chg.address,
	"deposed": object.get(chg, "deposed", ""),
	"stage": "plan-only",
	"reason": sprintf("%s; destructive changes are automated only from stage auto-apply-all", [lib.describe(chg)]),
} if {
	lib.stage_level < min_level
	some chg in lib.destructive_changes
}

# `forget` destroys nothing, but Terraform stops managing the object: that is not
# in stage 2's list either. (A forget-replace is already `destructive` above.)
cap contains {
	"id": "forget",
	"address": chg.address,
	"deposed": object.get(chg, "deposed", ""),
	"stage": "plan-only",
	"reason": sprintf("%s; removing resources from state is automated only from stage auto-apply-all", [lib.describe(chg)]),
} if {
	lib.stage_level < min_level
	some chg in lib.active_changes
	chg.action == "forget"
	not lib.is_destructive(chg)
}
