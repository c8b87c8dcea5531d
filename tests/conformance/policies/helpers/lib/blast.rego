package lib.blast

import rego.v1

import data.lib.tf

# OPA terraform tutorial: weighted count of changes per resource type.
threshold := 30

weights := {"terraform_data": {"delete": 10, "create": 1, "modify": 1}}

resource_types := {"terraform_data"}

# "modify" counts updates and the update half of a replace
counts[resource_type] := {"create": c, "delete": d, "modify": m} if {
	some resource_type in resource_types
	rs := [rc | some rc in input.resource_changes; rc.type == resource_type]
	c := count([rc | some rc in rs; tf.is_create(rc)])
	d := count([rc | some rc in rs; tf.is_delete(rc)])
	m := count([rc | some rc in rs; tf.is_update(rc)])
}

score := s if {
	all := [x |
		some resource_type, crud in weights
		del := crud.delete * counts[resource_type].delete
		new := crud.create * counts[resource_type].create
		mod := crud.modify * counts[resource_type].modify
		x := (del + new) + mod
	]
	s := sum(all)
}
