package terraform.aws

import rego.v1

import data.lib.plan

required_tags := {"env", "owner", "cost_center"}

# Tag checks in the style of AWS tagging policies, applied to the "tags"
# object that terraform_data inputs carry in these plans.
deny_missing_tags contains msg if {
	some rc in plan.created
	tags := rc.change.after.input.tags
	missing := required_tags - {k | some k, _ in tags}
	count(missing) > 0
	msg := sprintf("%s is missing tags %v", [rc.address, sort(missing)])
}

warn contains msg if {
	some rc in plan.created
	rc.change.after.input.tags.env == "dev"
	msg := sprintf("%s is tagged env=dev", [rc.address])
}

violation contains msg if {
	some rc in plan.changed
	rc.provider_name != "terraform.io/builtin/terraform"
	msg := sprintf("%s uses provider %s", [rc.address, rc.provider_name])
}

exception contains ["missing_tags"] if {
	input.variables.skip_tag_checks.value == "true"
}
