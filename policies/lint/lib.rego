# Helpers for the lint packages (plangate.lint.*), which `plangate lint` evaluates on
# Terraform / OpenTofu source files. Their input is the document conftest's hcl2
# parser gives for a .tf file: every block body wrapped in an array, labels nested as
# objects (`input.resource.aws_s3_bucket.logs[0]`), non-literal expressions as
# "${<source text>}".
#
# `plangate check` loads the whole embedded library, these packages included, with a
# plan as input: every rule starts with `lib.is_tf`, so they produce nothing there.
#
# Every finding is {"id", "msg", "fix", "path"}: `path` is the path of the block or
# attribute in the input document, which plangate maps back to its file, line and
# column.
package plangate.lint.lib

# The input is a source document, not a plan (plans carry format_version and
# planned_values / resource_changes / prior_state; a .tf document never does).
is_tf if {
	is_object(input)
	not input.format_version
	not input.resource_changes
	not input.planned_values
	not input.prior_state
}

# The file as named on the command line, and its absolute path ("/" separators).
default file := ""

file := data.plangate.file

default abs_path := ""

abs_path := data.plangate.abs_path

# plangate.hcl, parsed (the same document as data.plangate.config in check).
default config := {}

config := data.plangate.config

# Every block of a top-level type with two labels (resource, data), as
# [type, name, index, body].
blocks2(kind) := [[t, n, i, body] |
	some t, by_name in object.get(input, kind, {})
	some n, bodies in by_name
	some i, body in bodies
]

# Every block of a top-level type with one label (module, variable, provider), as
# [name, index, body].
blocks1(kind) := [[n, i, body] |
	some n, bodies in object.get(input, kind, {})
	some i, body in bodies
]

# A value written literally (not an expression or an interpolation).
literal_string(v) if {
	is_string(v)
	not contains(v, "${")
}
