# builtins-extra: OPA builtins regorus lacks and plangate provides
# (src/policy/compat.rs): net.cidr_intersects, net.cidr_merge, crypto.md5/sha1/sha256,
# crypto.hmac.md5/sha1/sha256/sha512 and crypto.hmac.equal (the deprecated
# net.cidr_overlap is a Rego v0 builtin: see legacy-v0).
# Run with: conftest test --policy tests/conformance/policies/builtins-extra <plan.json>
#   (namespace main, Rego v1; no extra flags)
# Hashes are taken of values read from each plan, so every plan answers
# differently; bad arguments must leave a rule undefined (non-strict builtin errors).
package main

import rego.v1

# -- hashes of plan values -----------------------------------------------------

warn_hash contains msg if {
	some rc in input.resource_changes
	msg := sprintf("%s md5=%s sha1=%s sha256=%s", [
		rc.address,
		crypto.md5(rc.address),
		crypto.sha1(rc.address),
		crypto.sha256(rc.address),
	])
}

warn_hmac contains msg if {
	some rc in input.resource_changes
	key := concat(",", rc.change.actions)
	msg := sprintf("%s hmac md5=%s sha1=%s sha256=%s sha512=%s", [
		rc.address,
		crypto.hmac.md5(rc.address, key),
		crypto.hmac.sha1(rc.address, key),
		crypto.hmac.sha256(rc.address, key),
		crypto.hmac.sha512(rc.address, key),
	])
}

deny_hmac_equal contains msg if {
	some rc in input.resource_changes
	crypto.hmac.equal(crypto.hmac.sha256(rc.address, "k"), crypto.hmac.sha256(rc.address, "k"))
	not crypto.hmac.equal(crypto.hmac.sha256(rc.address, "k"), crypto.hmac.sha256(rc.address, "j"))
	msg := sprintf("%s: hmac.equal", [rc.address])
}

# Unicode and the empty string hash like any other bytes.
deny_hash_text contains msg if {
	msg := sprintf("md5(\"\")=%s sha256(\"é\")=%s hmac(\"\", \"\")=%s", [
		crypto.md5(""),
		crypto.sha256("é"),
		crypto.hmac.sha256("", ""),
	])
}

# -- networks ------------------------------------------------------------------

blocks := [
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/24", "192.168.0.0/24", "192.168.1.0/24",
	"172.16.0.0/12", "0.0.0.0/0", "2001:db8::/33", "2001:db8:8000::/33", "fd00::/8",
]

deny_intersects contains msg if {
	some i, a in blocks
	some j, b in blocks
	i < j
	net.cidr_intersects(a, b)
	msg := sprintf("intersects %s %s", [a, b])
}

deny_disjoint contains msg if {
	some i, a in blocks
	some j, b in blocks
	i < j
	not net.cidr_intersects(a, b)
	msg := sprintf("disjoint %s %s", [a, b])
}

deny_merge contains msg if {
	some input_set in [
		["10.0.0.0/24", "10.0.1.0/24"],
		["192.168.0.0/24", "192.168.1.0/24", "192.168.2.0/24", "192.168.3.0/25", "192.168.3.128/25"],
		{"10.0.0.1", "10.0.0.0", "10.0.0.2", "10.0.0.3"},
		["2001:db8::/33", "2001:db8:8000::/33", "10.1.2.3/24"],
		["2001:db8::/33", "::1"],
		["10.0.0.5"],
		["172.16.5.4", "192.168.1.1", "10.9.8.7/24", "10.9.9.0/24"],
		["::ffff:10.0.0.1"],
		["10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/24", "10.0.3.0/24"],
		["fd00::/9", "fd80::/9", "fe80::/10"],
		["10.0.0.0/8", "10.1.0.0/16"],
		[],
	]
	merged := net.cidr_merge(input_set)
	msg := sprintf("merge %s -> %s", [concat(" ", sort([x | some x in input_set])), concat(" ", sort(merged))])
}

# Values of any type to the type checker (OPA rejects literal bad types at compile).
seven := json.unmarshal("7")

cidr_text := json.unmarshal(`"10.0.0.0/8"`)

# Each of these is undefined (bad arguments), so no message names it.
deny_bad_arguments contains msg if {
	some name, bad in {
		"intersects-ip": net.cidr_intersects("10.0.0.0", "10.0.0.0/8"),
		"intersects-text": net.cidr_intersects("not a cidr", "10.0.0.0/8"),
		"merge-text": net.cidr_merge(["10.0.0.0/8", "nope"]),
		"merge-number": net.cidr_merge(["10.0.0.0/8", seven]),
		"merge-string": net.cidr_merge(cidr_text),
		"md5-number": crypto.md5(seven),
		"hmac-number": crypto.hmac.sha256("x", seven),
		"equal-number": crypto.hmac.equal("a", seven),
	}
	msg := sprintf("bad arguments %s gave %v", [name, bad])
}

deny_bad_argument_one_by_one contains msg if {
	not net.cidr_intersects("10.0.0.0", "10.0.0.0/8")
	not net.cidr_merge(["10.0.0.0/8", seven])
	not crypto.md5(seven)
	not crypto.hmac.equal("a", seven)
	msg := "each bad call is undefined (so `not` holds)"
}

# Addresses in the plan (the shared plans' `input` values, where there are any).
warn_plan_addresses contains msg if {
	some rc in input.resource_changes
	some path, value in walk(rc.change.after)
	is_string(value)
	regex.match(`^[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?$`, value)
	msg := sprintf("%s %v: %s in 10.0.0.0/8: %v", [rc.address, path, value, net.cidr_merge([value, "10.0.0.0/8"]) == {"10.0.0.0/8"}])
}
