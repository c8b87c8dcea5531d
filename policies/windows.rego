# [window]: changes are applied only inside a change window.
#
# The windows that apply to the environment form a union: the plan may proceed
# when now is inside ANY of them. An environment without windows is always open.
# Days and times are read in each window's own IANA time zone (time.clock and
# time.weekday honour DST), so "09:00" means 09:00 on the local wall clock all
# year round.
package plangate.windows

import data.plangate.lib

gate contains {
	"id": "window",
	"reason": sprintf("outside every change window for %s", [lib.env_name]),
	"unblock": sprintf("wait for a change window: %s", [concat("; ", [describe(name, w) | some name, w in applicable])]),
} if {
	lib.plan_does_something
	count(applicable) > 0
	not any_open
}

applicable := {name: w | some name, w in object.get(lib.config, "windows", {}); lib.env_applies(w)}

any_open if {
	some w in applicable
	is_open(w, lib.now_ns)
}

# -- is a window open at ns? --------------------------------------------------------

all_days := ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

short_day := {
	"Monday": "mon", "Tuesday": "tue", "Wednesday": "wed", "Thursday": "thu",
	"Friday": "fri", "Saturday": "sat", "Sunday": "sun",
}

# The day before, for the early-morning part of a window that crosses midnight.
previous_day := {d: all_days[(i + 6) % 7] | some i, d in all_days}

days(w) := object.get(w, "days", all_days)

local_day(ns, tz) := short_day[time.weekday([ns, tz])]

local_minute(ns, tz) := (clock[0] * 60) + clock[1] if clock := time.clock([ns, tz])

# from == to: open all day on its days.
is_open(w, ns) if {
	w.from_minute == w.to_minute
	local_day(ns, w.timezone) in days(w)
}

# An ordinary window: [from, to) on its days.
is_open(w, ns) if {
	w.from_minute < w.to_minute
	local_day(ns, w.timezone) in days(w)
	minute := local_minute(ns, w.timezone)
	w.from_minute <= minute
	minute < w.to_minute
}

# A window crossing midnight (22:00-02:00) belongs to the day it starts on: the
# evening part is on that day...
is_open(w, ns) if {
	w.from_minute > w.to_minute
	local_day(ns, w.timezone) in days(w)
	local_minute(ns, w.timezone) >= w.from_minute
}

# ... and the early-morning part on the day after it.
is_open(w, ns) if {
	w.from_minute > w.to_minute
	previous_day[local_day(ns, w.timezone)] in days(w)
	local_minute(ns, w.timezone) < w.to_minute
}

# -- describing a window -----------------------------------------------------------

# "business-hours: Mon-Thu 09:00-16:00 Europe/Berlin"
describe(name, w) := sprintf("%s: %s all day %s", [name, days_text(days(w)), w.timezone]) if {
	w.from_minute == w.to_minute
} else := sprintf("%s: %s %s-%s %s", [name, days_text(days(w)), w.from, w.to, w.timezone])

day_labels := ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

day_index := {d: i | some i, d in all_days}

# Sorted day numbers (Monday = 0).
indices(ds) := sort({day_index[d] | some d in ds})

# "every day", "Mon-Thu", "Mon, Wed-Fri": consecutive days collapse into ranges.
days_text(ds) := "every day" if {
	count(indices(ds)) == 7
} else := concat(", ", [run_text(idx, i) |
	idx := indices(ds)
	some i, _ in idx
	starts_run(idx, i)
])

starts_run(_, i) if i == 0

starts_run(idx, i) if idx[i - 1] != idx[i] - 1

# Position of the last day in the run of consecutive days that starts at i.
run_end(idx, i) := max([j | some j, v in idx; j >= i; v - idx[i] == j - i])

run_text(idx, i) := day_labels[idx[i]] if {
	run_end(idx, i) == i
} else := sprintf("%s-%s", [day_labels[idx[i]], day_labels[idx[run_end(idx, i)]]])
