# [prevent-destroy] Resources that plangate.hcl protects (`protect { resources =
# [...] }`: globs on the type or on `type.name`) carry
# `lifecycle { prevent_destroy = true }`, so Terraform itself refuses to destroy them.
package plangate.lint.protect

import data.plangate.lint.lib

deny contains {
	"id": "prevent-destroy",
	"msg": sprintf("%s.%s is protected in plangate.hcl (%s) but has no lifecycle { prevent_destroy = true }", [t, n, concat(", ", sort(globs))]),
	"fix": "add `lifecycle { prevent_destroy = true }` to the resource block",
	"path": path,
} if {
	lib.is_tf
	some r in lib.blocks2("resource")
	[t, n, i, body] := r
	globs := matching(t, n)
	count(globs) > 0
	not prevents_destroy(body)
	path := where(t, n, i, body)
}

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
