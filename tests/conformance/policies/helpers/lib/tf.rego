package lib.tf

import rego.v1

is_delete(rc) if "delete" in rc.change.actions

is_create(rc) if "create" in rc.change.actions

is_update(rc) if rc.change.actions == ["update"]

# Two definitions of one function (they must agree where both are defined).
kind(rc) := "replace" if count(rc.change.actions) == 2

kind(rc) := rc.change.actions[0] if count(rc.change.actions) == 1

unknown_paths(rc) := {concat(".", [to_string(p) | some p in path]) |
	walk(rc.change.after_unknown, [path, value])
	value == true
}

to_string(x) := x if is_string(x)

to_string(x) := format_int(x, 10) if is_number(x)
