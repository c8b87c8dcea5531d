# [drift]: a resource that changed outside Terraform is not applied automatically.
#
# The plan was computed against what is really there, so applying it would also
# overwrite (or build on) a change nobody reviewed. A human looks first.
package plangate.drift

import data.plangate.lib

cap contains {
	"id": "drift",
	"address": chg.address,
	"deposed": object.get(chg, "deposed", ""),
	"stage": "plan-only",
	"reason": sprintf("%s changed outside Terraform (resource_drift); review the drift before automating", [lib.label(chg)]),
} if {
	some chg in lib.active_changes
	chg.drifted == true
}
