package plangate.lint.secrets_test

import data.plangate.lint.rules

var(name, body) := {"variable": {name: [body]}}

test_literal_password_default_fails if {
	r := rules.deny with input as var("db_password", {"default": "hunter2"})
	count(r) == 1
	some f in r
	f.id == "secret-default"
	f.path == ["variable", "db_password", 0, "default"]
	not contains(f.msg, "hunter2")
}

test_secret_like_names if {
	rules.secret_name("api_key")
	rules.secret_name("GITHUB_TOKEN")
	rules.secret_name("client_secret")
	rules.secret_name("privateKey")
	not rules.secret_name("secret_name")
	not rules.secret_name("kms_key_arn")
	not rules.secret_name("password_length")
	not rules.secret_name("region")
}

test_no_default_or_empty_or_expression_passes if {
	count(rules.deny) == 0 with input as var("db_password", {"sensitive": true})
	count(rules.deny) == 0 with input as var("db_password", {"default": ""})
	count(rules.deny) == 0 with input as var("db_password", {"default": "${data.vault.x}"})
	count(rules.deny) == 0 with input as var("db_password", {"default": null})
}

test_other_variables_pass if {
	count(rules.deny) == 0 with input as var("region", {"default": "eu-west-1"})
}
