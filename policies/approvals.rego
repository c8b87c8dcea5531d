# [approval]: changes that need approvals from a group or from CODEOWNERS.
#
# Each `approval "<name>"` block that applies to the environment selects changes
# by `when` and `resources`; every selected change is gated until `count`
# distinct eligible people have approved.
#
# context.approvers already holds only valid approvals: the Rust side drops the
# author's own review and stale reviews (approved on another commit) before
# evaluation. The author is removed again here so that an `--approver` flag naming
# the author cannot count either.
package plangate.approvals

import data.plangate.lib

gate contains {
	"id": "approval",
	"address": chg.address,
	"deposed": object.get(chg, "deposed", ""),
	"reason": sprintf("%s; approval rule %s requires %s", [lib.describe(chg), name, m.needs]),
	"unblock": m.unblock,
} if {
	some name, m in missing
	some chg in lib.active_changes
	selects(m.rule, chg)
}

# The rules for this environment that do not have their approvals yet. The
# sentences are made once per rule here, not once per change.
missing[name] := {
	"rule": rule,
	"needs": sprintf("%s from %s", [lib.plural(required(rule), "approval"), approver_kind(rule)]),
	"unblock": unblock(rule, have),
} if {
	some name, rule in object.get(lib.config, "approvals", {})
	lib.env_applies(rule)
	have := lib.approved_by(eligible(rule))
	count(have) < required(rule)
}

required(rule) := object.get(rule, "count", 1)

# -- which changes ---------------------------------------------------------------

selects(rule, chg) if {
	when_matches(object.get(rule, "when", "any"), chg)
	lib.resources_match(object.get(rule, "resources", []), chg)
}

when_matches(when, _) if when == "any"

when_matches(when, chg) if {
	when == "destructive"
	lib.is_destructive(chg)
}

when_matches(when, chg) if {
	when == "replace"
	chg.action == "replace"
}

when_matches(when, chg) if {
	when == "delete"
	chg.action == "delete"
}

# -- who may approve --------------------------------------------------------------

uses_codeowners(rule) if rule.codeowners == true

eligible(rule) := codeowner_logins - {lib.author} if {
	uses_codeowners(rule)
} else := lib.eligible(object.get(rule, "group", ""))

codeowners := object.get(lib.context, "codeowners", [])

# Every login the plan directory's CODEOWNERS entries resolve to.
codeowner_logins := {login | some owner in codeowners; some login in owner_logins(owner)}

# "@alice" is the login alice; "@org/team" is the members of group "org/team", or
# else of group "team". Other entries (e-mail addresses) name no GitHub login.
owner_logins(owner) := team_members(trim_prefix(owner, "@")) if {
	startswith(owner, "@")
	contains(owner, "/")
} else := {lower(trim_prefix(owner, "@"))} if {
	startswith(owner, "@")
} else := set()

# Members of the config group a team stands for; none when no group does.
team_members(slug) := lib.members(groups[0]) if {
	team := substring(slug, indexof(slug, "/") + 1, -1)
	groups := [g | some g in [slug, lower(slug), team, lower(team)]; lib.group_exists(g)]
	count(groups) > 0
} else := set()

# -- sentences -------------------------------------------------------------------

approver_kind(rule) := "the code owners of this directory" if {
	uses_codeowners(rule)
} else := sprintf("group %s", [object.get(rule, "group", "")])

# "2 approvals from group platform (alice, bob, carol); have 1: alice"
unblock(rule, have) := sprintf("%s from %s: CODEOWNERS names nobody for this directory; add an owner or approve by group", [
	lib.plural(required(rule), "approval"),
	approver_kind(rule),
]) if {
	uses_codeowners(rule)
	count(codeowners) == 0
} else := sprintf("%s from %s (%s); %s", [
	lib.plural(required(rule), "approval"),
	approver_kind(rule),
	candidates(rule),
	so_far(have),
])

candidates(rule) := lib.names(eligible(rule)) if {
	count(eligible(rule)) > 0
} else := "nobody is eligible to approve"

so_far(have) := sprintf("have %d: %s", [count(have), lib.names(have)]) if {
	count(have) > 0
} else := "have 0"
