# Helpers shared by the built-in library (docs/policy-api.md is the contract).
#
# Everything here reads data.plangate key by key, never data.plangate as a whole:
# the built-in packages live under data.plangate too, so reading the whole
# document would evaluate them (and recurse into this package).
package plangate.lib

# -- stages ---------------------------------------------------------------------

# Stage levels by name, as in SPEC.md section 1.
stage_levels := {
	"blocked": 0,
	"plan-only": 1,
	"auto-apply": 2,
	"auto-apply-all": 3,
	"promote": 4,
}

# -- the documents, with defaults -----------------------------------------------

# Absent blocks may be absent or empty, so every read has a default.
default config := {}

config := data.plangate.config

default context := {}

context := data.plangate.context

default plan := {}

plan := data.plangate.plan

default changes := []

changes := data.plangate.changes

settings := object.get(config, "settings", {})

env_name := object.get(context, ["environment", "name"], "")

# An unknown stage counts as blocked: the safe side for "level < n" tests.
stage_level := object.get(context, ["environment", "stage", "level"], 0)

now_ns := object.get(context, "now_ns", 0)

# -- changes --------------------------------------------------------------------

# A change "does something" unless it is a no-op or a data read; only those get
# per-change caps and gates, and only those count towards a plan's stage.
does_something(chg) if not object.get(chg, "action", "unknown") in idle_actions

idle_actions := {"no-op", "read"}

# does_something and is_destructive written out: these run once per change of the
# plan, and a function call costs regorus microseconds (BENCHMARKS.md). The same
# changes (lib_test.rego).
active_changes := [chg | some chg in changes; not chg.action in idle_actions]

destructive_changes := [chg | some chg in active_changes; chg.destructive == true]

plan_does_something if count(active_changes) > 0

is_destructive(chg) if chg.destructive == true

# What SPEC.md calls destructive, plus `forget` (the object survives, but
# Terraform stops managing it): what protect and stage 2 refuse.
destroys_or_forgets(chg) if is_destructive(chg)

destroys_or_forgets(chg) if chg.action == "forget"

# Resource globs match a change's type OR its address. glob.match with no
# delimiters uses OPA's default ".", so `aws_db_*` matches the type
# aws_db_instance, while addresses need `aws_db_instance.*` or `**.aws_db_*.*`.
glob_matches(pattern, chg) if glob.match(pattern, [], chg.type)

glob_matches(pattern, chg) if glob.match(pattern, [], chg.address)

matching_globs(patterns, chg) := {p | some p in patterns; glob_matches(p, chg)}

# Absent or empty `resources` means every resource.
resources_match(patterns, _) if count(patterns) == 0

resources_match(patterns, chg) if count(matching_globs(patterns, chg)) > 0

# -- describing a change in a sentence ------------------------------------------

verbs := {
	"create": "will be created",
	"update": "will be updated in place",
	"delete": "will be destroyed",
	"forget": "will be removed from state (forgotten, not destroyed)",
	"read": "will be read",
	"no-op": "will not change",
}

replace_verbs := {
	"destroy-before-create": "will be destroyed and re-created",
	"create-before-destroy": "will be re-created, then the old object destroyed",
	"forget-then-create": "will be re-created, the old object forgotten (left in place, unmanaged)",
	"create-then-forget": "will be re-created, the old object forgotten (left in place, unmanaged)",
}

verb(chg) := replace_verbs[object.get(chg, "replace_order", "destroy-before-create")] if {
	chg.action == "replace"
} else := verbs[chg.action] if {
	verbs[chg.action]
} else := sprintf("has actions plangate does not recognise (%s)", [concat(", ", object.get(chg, "actions", []))])

# "aws_db_instance.main", or "aws_db_instance.main (deposed object 1a2b)".
label(chg) := sprintf("%s (deposed object %s)", [chg.address, chg.deposed]) if {
	chg.deposed
} else := chg.address

# "terraform_data.db will be destroyed and re-created (replace_because_cannot_update)"
describe(chg) := sprintf("%s %s (%s)", [label(chg), verb(chg), chg.action_reason]) if {
	chg.action_reason
} else := sprintf("%s %s", [label(chg), verb(chg)])

# -- environments ---------------------------------------------------------------

# A block applies to the context's environment when its list names it or "*".
# The Rust side turns an absent list into ["*"]; the default here agrees.
env_applies(block) if "*" in object.get(block, "environments", ["*"])

env_applies(block) if env_name in object.get(block, "environments", ["*"])

# -- people ---------------------------------------------------------------------

# Logins are compared lower-case (GitHub logins are case-insensitive).
author := lower(object.get(context, "author", ""))

# The Rust side already drops the author's own review and stale reviews from
# context.approvers; removing the author again also covers --approver flags.
approvers := {lower(login) | some login in object.get(context, "approvers", [])} - {author, ""}

group_exists(name) if config.groups[name]

# A group's members, lower-case; none when the group is not defined.
members(name) := {lower(m) | some m in object.get(config, ["groups", name, "members"], [])}

# Members of a group who may approve: everyone but the author.
eligible(name) := members(name) - {author}

# Approvers (author excluded) who belong to the given set of logins.
approved_by(logins) := approvers & logins

# -- formatting -----------------------------------------------------------------

# "alice, bob" (sorted), or "none".
names(logins) := concat(", ", sort(logins)) if {
	count(logins) > 0
} else := "none"

# "1 approval", "2 approvals".
plural(n, word) := sprintf("%d %s", [n, word]) if {
	n == 1
} else := sprintf("%d %ss", [n, word])

# A duration in nanoseconds as "3h", "2h30m", "45s" (whole seconds, zero parts
# dropped), in the spirit of Go's time.Duration.
duration(ns) := "0s" if {
	ns < 1000000000
} else := concat("", [sprintf("%d%s", part) |
	secs := floor(ns / 1000000000)
	some part in [[floor(secs / 3600), "h"], [floor((secs % 3600) / 60), "m"], [secs % 60, "s"]]
	part[0] > 0
])
