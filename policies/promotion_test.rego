package plangate.promotion_test

import data.plangate.promotion

cs := "sha256:1111111111111111111111111111111111111111111111111111111111111111"

other_cs := "sha256:2222222222222222222222222222222222222222222222222222222222222222"

ctx(stage, commit) := {
	"environment": {"name": "iapetus", "stage": {"level": stage, "name": "x"}, "promote_from": "cluster01"},
	"commit": commit,
}

changes := [{"address": "terraform_data.a", "action": "create", "destructive": false}]

rec(env, outcome, commit, changeset) := {
	"environment": env, "outcome": outcome, "commit": commit, "changeset_digest": changeset,
}

capped(stage, commit, records) if {
	some c in promotion.cap with data.plangate.context as ctx(stage, commit)
		with data.plangate.changes as changes
		with data.plangate.plan as {"changeset_digest": cs}
		with data.plangate.ledger as {"records": records}
	c.id == "promotion"
	c.stage == "auto-apply-all"
}

test_no_ledger_caps if capped(4, "abc123", [])

test_verified_same_commit_promotes if not capped(4, "abc123", [rec("cluster01", "verified", "abc123", other_cs)])

test_short_sha_matches_full if not capped(4, "abc123", [rec("cluster01", "verified", "abc123def456", other_cs)])

test_verified_same_changeset_promotes if not capped(4, "fff000", [rec("cluster01", "verified", "abc123", cs)])

test_applied_but_not_verified_caps if capped(4, "abc123", [rec("cluster01", "applied", "abc123", cs)])

test_failed_verification_caps if capped(4, "abc123", [rec("cluster01", "failed", "abc123", cs)])

test_other_commit_caps if capped(4, "abc123", [rec("cluster01", "verified", "999999", other_cs)])

test_other_environment_caps if capped(4, "abc123", [rec("staging", "verified", "abc123", cs)])

test_without_commit_only_changeset_counts if {
	capped(4, "", [rec("cluster01", "verified", "abc123", other_cs)])
	not capped(4, "", [rec("cluster01", "verified", "abc123", cs)])
}

test_below_stage_4_no_cap if not capped(3, "abc123", [])

test_reason_names_what_is_missing if {
	some c in promotion.cap with data.plangate.context as ctx(4, "abc123")
		with data.plangate.changes as changes
		with data.plangate.plan as {"changeset_digest": cs}
		with data.plangate.ledger as {"records": []}
	contains(c.reason, "commit abc123")
	contains(c.reason, "cluster01")
}

test_no_changes_no_cap if {
	count(promotion.cap) == 0 with data.plangate.context as ctx(4, "abc123")
		with data.plangate.changes as [{"address": "a", "action": "no-op"}]
		with data.plangate.plan as {"changeset_digest": cs}
		with data.plangate.ledger as {"records": []}
}
