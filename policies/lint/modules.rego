# [module-pinned] Module sources are pinned: a git source to a ref (`?ref=`), a
# registry source to a `version`. Local paths (./, ../) need neither.
package plangate.lint.modules

import data.plangate.lint.lib

deny contains {
	"id": "module-pinned",
	"msg": sprintf("module %q: %s", [name, problem]),
	"fix": fix,
	"path": ["module", name, i, "source"],
} if {
	lib.is_tf
	some m in lib.blocks1("module")
	[name, i, body] := m
	lib.literal_string(body.source)
	[problem, fix] := unpinned(body.source, body)
}

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
	registry_source(src)
	not has_version(body)
}

has_version(body) if {
	is_string(body.version)
	body.version != ""
}
