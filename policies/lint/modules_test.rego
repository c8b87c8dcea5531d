package plangate.lint.modules_test

import data.plangate.lint.rules

mod(body) := {"module": {"m": [body]}}


test_git_without_ref_fails if {
	r := rules.deny with input as mod({"source": "git::https://example.com/vpc.git"})
	count(r) == 1
	some f in r
	f.id == "module-pinned"
	f.path == ["module", "m", 0, "source"]
	contains(f.msg, "not pinned to a ref")
}

test_git_with_ref_passes if {
	count(rules.deny) == 0 with input as mod({"source": "git::https://example.com/vpc.git?ref=v1.2.0"})
}

test_github_shorthand_needs_a_ref if {
	count(rules.deny) == 1 with input as mod({"source": "github.com/org/terraform-vpc"})
	count(rules.deny) == 0 with input as mod({"source": "github.com/org/terraform-vpc?ref=abc123"})
}

test_registry_without_version_fails if {
	r := rules.deny with input as mod({"source": "terraform-aws-modules/vpc/aws"})
	some f in r
	contains(f.msg, "no version constraint")
}

test_registry_with_version_passes if {
	count(rules.deny) == 0 with input as mod({"source": "terraform-aws-modules/vpc/aws", "version": "~> 5.0"})
	count(rules.deny) == 0 with input as mod({"source": "app.terraform.io/acme/vpc/aws//modules/x", "version": "1.0.0"})
}

test_local_paths_pass if {
	count(rules.deny) == 0 with input as mod({"source": "./modules/vpc"})
	count(rules.deny) == 0 with input as mod({"source": "../shared"})
}

test_nothing_on_a_plan if {
	count(rules.deny) == 0 with input as {"format_version": "1.2", "module": {"m": [{"source": "git::x"}]}}
}
