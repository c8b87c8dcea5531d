# The built-in lint rules (package plangate.lint.rules): one `deny` per id, each
# result {"id", "msg", "fix", "path"}, then the helpers of each topic.
#
# One file on purpose: under `with input as ...` (as the _test.rego files use it),
# `plangate test` (regorus 0.14.1) was seen to answer a rule whose definitions are
# split across several files of one package from the first file only; one file keeps
# the tests meaningful. One package (rather than one per topic) also cuts the
# evaluation time per file by a third.
#
# [module-pinned] module sources are pinned: a git source to a ref (`?ref=`), a
#   registry source to a `version`; local paths (./, ../) need neither.
# [state-locking] an s3 backend locks its state: `use_lockfile = true` (Terraform
#   >= 1.10, OpenTofu >= 1.8) or a `dynamodb_table`.
# [local-backend-env] no `local` backend in an environment directory (a path with an
#   `envs/` or `environments/` component): its state is neither shared nor locked.
# [provider-version] every provider in `required_providers` has a version constraint.
# [prevent-destroy] resources that plangate.hcl protects (`protect { resources =
#   [...] }`: globs on the type or on `type.name`) carry
#   `lifecycle { prevent_destroy = true }`.
# [secret-default] variables whose names look like secrets (password, secret, token,
#   api_key, private_key, ...) have no literal `default`.
package plangate.lint.rules

import data.plangate.lint.lib

deny contains {
	"id": "module-pinned",
	"msg": sprintf("module %q: %s", [name, problem]),
	"fix": fix,
	"path": ["module", name, i, "source"],
} if {
	lib.is_tf
	some name, bodies in input.module
	some i, body in bodies
	lib.literal_string(body.source)
	[problem, fix] := unpinned(body.source, body)
}

deny contains {
	"id": "state-locking",
	"msg": "the s3 backend has no state locking: neither use_lockfile = true nor dynamodb_table is set",
	"fix": "add `use_lockfile = true` to the backend block (or `dynamodb_table = \"<lock table>\"` for older Terraform)",
	"path": ["terraform", i, "backend", "s3", j],
} if {
	lib.is_tf
	some i, tf in input.terraform
	some j, body in tf.backend.s3
	not body.use_lockfile == true
	not has_table(body)
}

deny contains {
	"id": "local-backend-env",
	"msg": sprintf("a local backend in an environment directory (%s): its state is neither shared nor locked", [shown]),
	"fix": "use a remote backend with locking (s3 with use_lockfile, gcs, azurerm, ...) for environment state",
	"path": ["terraform", i, "backend", "local", j],
} if {
	lib.is_tf
	some i, tf in input.terraform
	some j, _ in tf.backend["local"]
	env_dir
	shown := object.get({true: lib.file}, lib.file != "", lib.abs_path)
}

deny contains {
	"id": "provider-version",
	"msg": sprintf("provider %q in required_providers has no version constraint", [name]),
	"fix": sprintf("add a constraint: `%s = { source = \"%s\", version = \"~> X.Y\" }`", [name, object.get(spec, "source", sprintf("hashicorp/%s", [name]))]),
	"path": ["terraform", i, "required_providers", j, name],
} if {
	lib.is_tf
	some i, tf in object.get(input, "terraform", [])
	some j, rp in object.get(tf, "required_providers", [])
	some name, spec in rp
	is_object(spec)
	not provider_has_version(spec)
}

deny contains {
	"id": "prevent-destroy",
	"msg": sprintf("%s.%s is protected in plangate.hcl (%s) but has no lifecycle { prevent_destroy = true }", [t, n, concat(", ", sort(globs))]),
	"fix": "add `lifecycle { prevent_destroy = true }` to the resource block",
	"path": path,
} if {
	lib.is_tf
	count(object.get(lib.config, "protect", [])) > 0
	some t, by_name in input.resource
	some n, bodies in by_name
	some i, body in bodies
	globs := matching(t, n)
	count(globs) > 0
	not prevents_destroy(body)
	path := where(t, n, i, body)
}

deny contains {
	"id": "secret-default",
	"msg": sprintf("variable %q looks like a secret and has a literal default value", [name]),
	"fix": "remove the default and pass the value at run time (TF_VAR_..., a secrets manager, or an ephemeral/sensitive input); rotate the committed value",
	"path": ["variable", name, i, "default"],
} if {
	lib.is_tf
	some name, bodies in input.variable
	some i, body in bodies
	lib.literal_string(body.default)
	body.default != ""
	secret_name(name)
}

# -- modules --------------------------------------------------------------------

git_source(src) if startswith(src, "git::")

git_source(src) if startswith(src, "git@")

git_source(src) if startswith(src, "github.com/")

git_source(src) if startswith(src, "bitbucket.org/")

# <namespace>/<name>/<provider>, optionally behind a registry host and with a
# //subdirectory.
registry_source(src) if {
	not contains(src, "::")
	regex.match(`^([A-Za-z0-9.-]+(:[0-9]+)?/)?[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+(//.*)?$`, src)
	not startswith(src, "github.com/")
	not startswith(src, "bitbucket.org/")
}

unpinned(src, _) := [
	sprintf("git source %q is not pinned to a ref", [src]),
	"add `?ref=<tag or commit>` to the source, e.g. `?ref=v1.4.0`; a branch name moves under you",
] if {
	git_source(src)
	not regex.match(`[?&]ref=[^&]+`, src)
}

unpinned(src, body) := [
	sprintf("registry source %q has no version constraint", [src]),
	"add `version = \"~> 1.4\"` (or an exact version) to the module block",
] if {
	# Cheap tests first: the regular expression only runs for unversioned sources.
	not module_has_version(body)
	not startswith(src, ".")
	not git_source(src)
	registry_source(src)
}

module_has_version(body) if {
	is_string(body.version)
	body.version != ""
}

# -- backend --------------------------------------------------------------------

has_table(body) if {
	is_string(body.dynamodb_table)
	body.dynamodb_table != ""
}

# The file's path has an `envs/` or `environments/` directory.
env_dir if {
	some p in [lib.abs_path, lib.file]
	regex.match(`(^|/)(envs|environments)/`, p)
}

# -- providers ------------------------------------------------------------------

provider_has_version(spec) if {
	is_string(spec.version)
	spec.version != ""
}

# -- protect --------------------------------------------------------------------

matching(t, n) := {p |
	some block in object.get(lib.config, "protect", [])
	some p in object.get(block, "resources", [])
	matches(p, t, n)
}

matches(p, t, _) if glob.match(p, [], t)

matches(p, t, n) if glob.match(p, [], sprintf("%s.%s", [t, n]))

prevents_destroy(body) if {
	some lc in object.get(body, "lifecycle", [])
	lc.prevent_destroy == true
}

# Point at `prevent_destroy = false` when it is there, else at the block.
where(t, n, i, body) := ["resource", t, n, i, "lifecycle", j, "prevent_destroy"] if {
	some j, lc in object.get(body, "lifecycle", [])
	"prevent_destroy" in object.keys(lc)
} else := ["resource", t, n, i]

# -- secrets --------------------------------------------------------------------

# Lower-case words that make a variable name look like a secret ("_" and "-" removed
# before matching, so api_key, apiKey and api-key all match "apikey").
secret_words := ["password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey", "signingkey", "credential"]

# Names about a secret rather than holding one: its name, ARN, id, path, length...
not_a_secret := ["_name", "_names", "_arn", "_id", "_ids", "_path", "_file", "_length", "_ttl", "_version", "_type", "_enabled", "_rotation", "_prefix", "_count", "_days", "_policy", "_header"]

secret_name(name) if {
	flat := replace(replace(lower(name), "_", ""), "-", "")
	some w in secret_words
	contains(flat, w)
	low := replace(lower(name), "-", "_")
	not about_a_secret(low)
}

about_a_secret(low) if {
	some suffix in not_a_secret
	endswith(low, suffix)
}
