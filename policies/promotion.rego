# [promotion]: stage 4 needs evidence. In an environment that promotes from
# another, a change may be promoted only when the ledger (--ledger) holds a
# `verified` record of the same commit, or of the same change set, in that
# environment. Otherwise the plan is capped at auto-apply-all, and the reason
# names what is missing.
#
# The cap is written so that it holds unless the evidence is positively found:
# a missing commit, digest or ledger can only keep the cap in place.
package plangate.promotion

import data.plangate.lib

promote_from := object.get(lib.context, ["environment", "promote_from"], "")

commit := object.get(lib.context, "commit", "")

changeset := object.get(lib.plan, "changeset_digest", "")

# Never read data.plangate as a whole: it holds the built-in packages too.
default records := []

records := data.plangate.ledger.records

cap contains {
	"id": "promotion",
	"stage": "auto-apply-all",
	"reason": sprintf("%s promotes from %s, and the ledger has no verified apply there of %s; promotion needs one", [lib.env_name, promote_from, wanted]),
} if {
	promote_from != ""
	lib.stage_level >= 4
	count(lib.active_changes) > 0
	not evidence
}

wanted := sprintf("commit %s or change set %s", [commit, changeset]) if {
	commit != ""
} else := sprintf("change set %s (no --commit given)", [changeset])

evidence if {
	some r in records
	verified_in_source(r)
	same_commit(r.commit, commit)
}

evidence if {
	some r in records
	verified_in_source(r)
	changeset != ""
	r.changeset_digest == changeset
}

verified_in_source(r) if {
	r.environment == promote_from
	r.outcome == "verified"
}

# Short and full SHAs meet: either is a prefix of the other.
same_commit(a, b) if {
	a != ""
	b != ""
	startswith(a, b)
}

same_commit(a, b) if {
	a != ""
	b != ""
	startswith(b, a)
}
