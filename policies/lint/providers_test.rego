package plangate.lint.providers_test

import data.plangate.lint.rules

rp(spec) := {"terraform": [{"required_providers": [spec]}]}

test_provider_without_version_fails if {
	r := rules.deny with input as rp({"aws": {"source": "hashicorp/aws"}})
	count(r) == 1
	some f in r
	f.id == "provider-version"
	f.path == ["terraform", 0, "required_providers", 0, "aws"]
	contains(f.fix, "hashicorp/aws")
}

test_provider_with_version_passes if {
	count(rules.deny) == 0 with input as rp({"aws": {"source": "hashicorp/aws", "version": "~> 5.0"}})
}

test_legacy_string_constraint_passes if {
	count(rules.deny) == 0 with input as rp({"aws": "~> 5.0"})
}

test_each_provider_is_checked if {
	count(rules.deny) == 2 with input as rp({"aws": {"source": "hashicorp/aws"}, "random": {}, "null": {"version": "3.0"}})
}
