package plangate.drift_test

import data.plangate.drift

change(action, drifted) := {
	"address": "aws_security_group.web",
	"type": "aws_security_group",
	"action": action,
	"destructive": false,
	"drifted": drifted,
}

caps(chgs) := result if {
	result := drift.cap with data.plangate.changes as chgs
		with data.plangate.context as {"environment": {"name": "prod", "stage": {"level": 3, "name": "auto-apply-all"}}}
}

test_drifted_update_capped if {
	caps([change("update", true)]) == {{
		"id": "drift",
		"address": "aws_security_group.web",
		"deposed": "",
		"stage": "plan-only",
		"reason": "aws_security_group.web changed outside Terraform (resource_drift); review the drift before automating",
	}}
}

test_not_drifted_not_capped if caps([change("update", false)]) == set()

test_drifted_noop_not_capped if caps([change("no-op", true)]) == set()

test_drifted_read_not_capped if caps([change("read", true)]) == set()

test_drift_flag_absent if caps([object.remove(change("update", true), ["drifted"])]) == set()
