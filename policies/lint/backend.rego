# [state-locking] An s3 backend locks its state: `use_lockfile = true` (Terraform
# >= 1.10, OpenTofu >= 1.8) or a `dynamodb_table`.
# [local-backend-env] No `local` backend in an environment directory (a path with
# an `envs/` or `environments/` component): its state lives on one machine, unlocked
# and unshared.
package plangate.lint.backend

import data.plangate.lint.lib

backends(kind) := [[i, j, body] |
	some i, tf in object.get(input, "terraform", [])
	some j, body in object.get(object.get(tf, "backend", {}), kind, [])
]

deny contains {
	"id": "state-locking",
	"msg": "the s3 backend has no state locking: neither use_lockfile = true nor dynamodb_table is set",
	"fix": "add `use_lockfile = true` to the backend block (or `dynamodb_table = \"<lock table>\"` for older Terraform)",
	"path": ["terraform", i, "backend", "s3", j],
} if {
	lib.is_tf
	some b in backends("s3")
	[i, j, body] := b
	not body.use_lockfile == true
	not has_table(body)
}

has_table(body) if {
	is_string(body.dynamodb_table)
	body.dynamodb_table != ""
}

deny contains {
	"id": "local-backend-env",
	"msg": sprintf("a local backend in an environment directory (%s): its state is neither shared nor locked", [where]),
	"fix": "use a remote backend with locking (s3 with use_lockfile, gcs, azurerm, ...) for environment state",
	"path": ["terraform", i, "backend", "local", j],
} if {
	lib.is_tf
	some b in backends("local")
	[i, j, _] := b
	env_dir
	where := object.get({true: lib.file}, lib.file != "", lib.abs_path)
}

# The file's path has an `envs/` or `environments/` directory.
env_dir if {
	some p in [lib.abs_path, lib.file]
	regex.match(`(^|/)(envs|environments)/`, p)
}
