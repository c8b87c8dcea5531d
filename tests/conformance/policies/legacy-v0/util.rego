package legacy.util

protected_names = {"db", "lb", "gone"}

is_protected(rc) {
	protected_names[rc.name]
}

is_protected(rc) {
	startswith(rc.address, "module.b.")
}

# a function with a value and an else branch without one (= true)
has_tags(rc) = false {
	not rc.change.after.input.tags
} else {
	true
}
