package plangate.lint.protect_test

import data.plangate.lint.rules

cfg := {"protect": [{"resources": ["aws_db_instance.*", "aws_kms_key"]}]}

res(t, n, body) := {"resource": {t: {n: [body]}}}

test_protected_type_without_prevent_destroy_fails if {
	r := rules.deny with input as res("aws_db_instance", "main", {"engine": "postgres"}) with data.plangate.config as cfg
	count(r) == 1
	some f in r
	f.id == "prevent-destroy"
	f.path == ["resource", "aws_db_instance", "main", 0]
}

test_prevent_destroy_true_passes if {
	count(rules.deny) == 0 with input as res("aws_kms_key", "k", {"lifecycle": [{"prevent_destroy": true}]}) with data.plangate.config as cfg
}

test_prevent_destroy_false_points_at_the_attribute if {
	r := rules.deny with input as res("aws_kms_key", "k", {"lifecycle": [{"prevent_destroy": false}]}) with data.plangate.config as cfg
	some f in r
	f.path == ["resource", "aws_kms_key", "k", 0, "lifecycle", 0, "prevent_destroy"]
}

test_unprotected_types_pass if {
	count(rules.deny) == 0 with input as res("aws_s3_bucket", "b", {}) with data.plangate.config as cfg
}

test_without_config_nothing_is_protected if {
	count(rules.deny) == 0 with input as res("aws_db_instance", "main", {})
}
