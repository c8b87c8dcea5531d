# [freeze]: no changes while a change freeze is in effect.
#
# A freeze covers [from, to): it starts at `from` and is over at `to`. One
# approval from its `break_glass` group (never the author's own) lifts it for
# this plan; without a break-glass group the only way through is to wait.
package plangate.freezes

import data.plangate.lib

gate contains {
	"id": "freeze",
	"reason": sprintf("the change freeze %s is in effect for %s from %s until %s", [name, lib.env_name, f.from, f.to]),
	"unblock": unblock(f),
} if {
	lib.plan_does_something
	some name, f in object.get(lib.config, "freezes", {})
	lib.env_applies(f)
	active(f)
	not lifted(f)
}

active(f) if {
	f.from_ns <= lib.now_ns
	lib.now_ns < f.to_ns
}

lifted(f) if count(lib.approved_by(lib.eligible(f.break_glass))) > 0

unblock(f) := sprintf("one approval from group %s (%s) lifts it; otherwise wait until %s", [
	f.break_glass,
	lib.names(lib.eligible(f.break_glass)),
	f.to,
]) if {
	f.break_glass
} else := sprintf("no break-glass: wait until %s", [f.to])
