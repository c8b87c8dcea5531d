# [provider-version] Every provider in `required_providers` has a version
# constraint.
package plangate.lint.providers

import data.plangate.lint.lib

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
	not has_version(spec)
}

has_version(spec) if {
	is_string(spec.version)
	spec.version != ""
}
