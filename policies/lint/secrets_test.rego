package plangate.lint.secrets_test

import data.plangate.lint.secrets

var(name, body) := {"variable": {name: [body]}}

test_literal_password_default_fails if {
	r := secrets.deny with input as var("db_password", {"default": "hunter2"})
	count(r) == 1
	some f in r
	f.id == "secret-default"
	f.path == ["variable", "db_password", 0, "default"]
	not contains(f.msg, "hunter2")
}

test_secret_like_names if {
	secrets.secret_name("api_key")
	secrets.secret_name("GITHUB_TOKEN")
	secrets.secret_name("client_secret")
	secrets.secret_name("privateKey")
	not secrets.secret_name("secret_name")
	not secrets.secret_name("kms_key_arn")
	not secrets.secret_name("password_length")
	not secrets.secret_name("region")
}

test_no_default_or_empty_or_expression_passes if {
	count(secrets.deny) == 0 with input as var("db_password", {"sensitive": true})
	count(secrets.deny) == 0 with input as var("db_password", {"default": ""})
	count(secrets.deny) == 0 with input as var("db_password", {"default": "${data.vault.x}"})
	count(secrets.deny) == 0 with input as var("db_password", {"default": null})
}

test_other_variables_pass if {
	count(secrets.deny) == 0 with input as var("region", {"default": "eu-west-1"})
}
