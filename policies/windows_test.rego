package plangate.windows_test

import data.plangate.windows

# Europe/Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST).
config := {"windows": {
	"business-hours": {
		"environments": ["prod"], "timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu"],
		"from": "09:00", "to": "16:00", "from_minute": 540, "to_minute": 960,
	},
	# Crosses midnight; also applies to prod, so prod is open in either window.
	"night": {
		"environments": ["prod", "nightly"], "timezone": "UTC", "days": ["mon"],
		"from": "22:00", "to": "02:00", "from_minute": 1320, "to_minute": 120,
	},
	"berlin-daily": {
		"environments": ["berlin"], "timezone": "Europe/Berlin",
		"from": "09:00", "to": "16:00", "from_minute": 540, "to_minute": 960,
	},
	"new-york-daily": {
		"environments": ["ny"], "timezone": "America/New_York",
		"from": "09:00", "to": "17:00", "from_minute": 540, "to_minute": 1020,
	},
	"berlin-mondays": {
		"environments": ["mondays"], "timezone": "Europe/Berlin", "days": ["mon"],
		"from": "00:00", "to": "00:00", "from_minute": 0, "to_minute": 0,
	},
	"until-midnight": {
		"environments": ["evenings"], "timezone": "UTC", "days": ["fri"],
		"from": "18:00", "to": "24:00", "from_minute": 1080, "to_minute": 0,
	},
	"everywhere": {
		"environments": ["*"], "timezone": "UTC", "days": ["sat", "sun"],
		"from": "10:00", "to": "12:00", "from_minute": 600, "to_minute": 720,
	},
}}

update := {"address": "terraform_data.app", "type": "terraform_data", "action": "update", "destructive": false}

gates_at(env, now, chgs) := result if {
	result := windows.gate with data.plangate.config as config
		with data.plangate.changes as chgs
		with data.plangate.context as {
			"environment": {"name": env, "stage": {"level": 2, "name": "auto-apply"}},
			"now": now,
			"now_ns": time.parse_rfc3339_ns(now),
		}
}

is_open(env, now) := count(gates_at(env, now, [update])) == 0

# [environment, now (UTC), open?]
table := [
	# business-hours, Thursday 2026-11-26 in CET: first minute, last minute, end.
	["prod", "2026-11-26T07:59:00Z", false],
	["prod", "2026-11-26T08:00:00Z", true],
	["prod", "2026-11-26T14:59:00Z", true],
	["prod", "2026-11-26T14:59:59Z", true],
	["prod", "2026-11-26T15:00:00Z", false],
	["prod", "2026-11-27T10:00:00Z", false], # Friday: not a business-hours day
	# night: Monday 22:00 to Tuesday 02:00 UTC (the days name the start day).
	["nightly", "2026-11-23T21:59:00Z", false],
	["nightly", "2026-11-23T22:00:00Z", true],
	["nightly", "2026-11-23T23:00:00Z", true],
	["nightly", "2026-11-24T00:00:00Z", true],
	["nightly", "2026-11-24T01:00:00Z", true],
	["nightly", "2026-11-24T01:59:00Z", true],
	["nightly", "2026-11-24T02:00:00Z", false],
	["nightly", "2026-11-24T03:00:00Z", false],
	["nightly", "2026-11-23T01:00:00Z", false], # Monday morning belongs to Sunday
	["nightly", "2026-11-24T22:30:00Z", false], # Tuesday evening: not a start day
	# prod is the union of business-hours and night.
	["prod", "2026-11-23T09:00:00Z", true], # 10:00 Berlin
	["prod", "2026-11-23T23:00:00Z", true], # only night is open
	["prod", "2026-11-24T03:00:00Z", false], # neither
	# Europe/Berlin switches to CEST on Sunday 2026-03-29 at 01:00 UTC.
	["berlin", "2026-03-28T07:59:00Z", false], # 08:59 CET
	["berlin", "2026-03-28T08:00:00Z", true], # 09:00 CET
	["berlin", "2026-03-29T06:59:00Z", false], # 08:59 CEST
	["berlin", "2026-03-29T07:00:00Z", true], # 09:00 CEST
	["berlin", "2026-03-29T07:30:00Z", true], # 09:30 CEST (08:30 if DST were ignored)
	["berlin", "2026-03-29T08:30:00Z", true], # 10:30 CEST
	["berlin", "2026-03-29T13:59:00Z", true], # 15:59 CEST
	["berlin", "2026-03-29T14:00:00Z", false], # 16:00 CEST
	# ... and back to CET on Sunday 2026-10-25 at 01:00 UTC.
	["berlin", "2026-10-24T07:00:00Z", true], # 09:00 CEST
	["berlin", "2026-10-25T07:00:00Z", false], # 08:00 CET
	["berlin", "2026-10-25T07:59:00Z", false], # 08:59 CET
	["berlin", "2026-10-25T08:00:00Z", true], # 09:00 CET
	["berlin", "2026-10-25T14:59:00Z", true], # 15:59 CET
	["berlin", "2026-10-25T15:00:00Z", false], # 16:00 CET
	# America/New_York: EDT from Sunday 2026-03-08 07:00 UTC, EST from 2026-11-01 06:00 UTC.
	["ny", "2026-03-07T13:59:00Z", false], # 08:59 EST
	["ny", "2026-03-07T14:00:00Z", true], # 09:00 EST
	["ny", "2026-03-08T12:59:00Z", false], # 08:59 EDT
	["ny", "2026-03-08T13:00:00Z", true], # 09:00 EDT
	["ny", "2026-03-08T20:59:00Z", true], # 16:59 EDT
	["ny", "2026-03-08T21:00:00Z", false], # 17:00 EDT
	["ny", "2026-11-01T13:00:00Z", false], # 08:00 EST
	["ny", "2026-11-01T14:00:00Z", true], # 09:00 EST
	["ny", "2026-11-01T21:59:00Z", true], # 16:59 EST
	["ny", "2026-11-01T22:00:00Z", false], # 17:00 EST
	# from == to: all day on Mondays, Monday in Berlin's calendar.
	["mondays", "2026-11-22T22:59:00Z", false], # Sunday 23:59 Berlin
	["mondays", "2026-11-22T23:00:00Z", true], # Monday 00:00 Berlin, Sunday in UTC
	["mondays", "2026-11-23T22:59:00Z", true], # Monday 23:59 Berlin
	["mondays", "2026-11-23T23:00:00Z", false], # Tuesday 00:00 Berlin, Monday in UTC
	# to = "24:00" arrives as to_minute 0: open until the end of the day.
	["evenings", "2026-11-27T17:59:00Z", false],
	["evenings", "2026-11-27T18:00:00Z", true],
	["evenings", "2026-11-27T23:59:59Z", true],
	["evenings", "2026-11-28T00:00:00Z", false],
	# An environment with no window of its own gets only the "*" window.
	["dev", "2026-11-28T10:00:00Z", true], # Saturday
	["dev", "2026-11-27T10:00:00Z", false], # Friday
]

failures := [row | some row in table; not holds(row)]

# A row that cannot be evaluated fails too.
holds(row) if is_open(row[0], row[1]) == row[2]

# Passes when every row holds; otherwise evaluates to the rows that do not.
test_table := true if count(failures) == 0 else := failures

test_closed_gate if {
	gates_at("prod", "2026-11-27T10:00:00Z", [update]) == {{
		"id": "window",
		"reason": "outside every change window for prod",
		"unblock": "wait for a change window: business-hours: Mon-Thu 09:00-16:00 Europe/Berlin; everywhere: Sat-Sun 10:00-12:00 UTC; night: Mon 22:00-02:00 UTC",
	}}
}

test_describe_all_day if {
	some g in gates_at("mondays", "2026-11-24T10:00:00Z", [update])
	g.unblock == "wait for a change window: berlin-mondays: Mon all day Europe/Berlin; everywhere: Sat-Sun 10:00-12:00 UTC"
}

test_describe_every_day if {
	some g in gates_at("berlin", "2026-11-24T20:00:00Z", [update])
	contains(g.unblock, "berlin-daily: every day 09:00-16:00 Europe/Berlin")
}

test_days_text if {
	windows.days_text(["wed", "mon", "fri", "thu"]) == "Mon, Wed-Fri"
	windows.days_text(["sun"]) == "Sun"
	windows.days_text(["mon", "wed", "fri"]) == "Mon, Wed, Fri"
}

test_no_windows_configured if {
	result := windows.gate with data.plangate.config as {}
		with data.plangate.changes as [update]
		with data.plangate.context as {"environment": {"name": "prod"}, "now_ns": 0}
	result == set()
}

test_only_noop_and_read_not_gated if {
	noop := object.union(update, {"action": "no-op"})
	read := object.union(update, {"action": "read"})
	gates_at("prod", "2026-11-27T10:00:00Z", [noop, read]) == set()
}

test_empty_plan_not_gated if gates_at("prod", "2026-11-27T10:00:00Z", []) == set()
