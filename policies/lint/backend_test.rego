package plangate.lint.backend_test

import data.plangate.lint.rules

tf(kind, body) := {"terraform": [{"backend": {kind: [body]}}]}

test_s3_without_locking_fails if {
	r := rules.deny with input as tf("s3", {"bucket": "b", "key": "k"})
	count(r) == 1
	some f in r
	f.id == "state-locking"
	f.path == ["terraform", 0, "backend", "s3", 0]
}

test_s3_with_lockfile_or_table_passes if {
	count(rules.deny) == 0 with input as tf("s3", {"bucket": "b", "use_lockfile": true})
	count(rules.deny) == 0 with input as tf("s3", {"bucket": "b", "dynamodb_table": "locks"})
}

test_s3_with_lockfile_false_fails if {
	count(rules.deny) == 1 with input as tf("s3", {"bucket": "b", "use_lockfile": false})
}

test_local_backend_in_env_dir_fails if {
	r := rules.deny with input as tf("local", {}) with data.plangate.file as "envs/prod/main.tf"
	some f in r
	f.id == "local-backend-env"
}

test_local_backend_in_environments_dir_by_absolute_path_fails if {
	count(rules.deny) == 1 with input as tf("local", {}) with data.plangate.file as "main.tf" with data.plangate.abs_path as "/repo/environments/prod/main.tf"
}

test_local_backend_elsewhere_passes if {
	count(rules.deny) == 0 with input as tf("local", {}) with data.plangate.file as "modules/x/main.tf" with data.plangate.abs_path as "/repo/modules/x/main.tf"
	count(rules.deny) == 0 with input as tf("local", {}) with data.plangate.file as "myenvs/x/main.tf"
}
