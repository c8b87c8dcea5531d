# [secret-default] Variables whose names look like secrets (password, secret, token,
# api_key, private_key, ...) have no literal `default`: the value would be committed.
package plangate.lint.secrets

import data.plangate.lint.lib

deny contains {
	"id": "secret-default",
	"msg": sprintf("variable %q looks like a secret and has a literal default value", [name]),
	"fix": "remove the default and pass the value at run time (TF_VAR_..., a secrets manager, or an ephemeral/sensitive input); rotate the committed value",
	"path": ["variable", name, i, "default"],
} if {
	lib.is_tf
	some v in lib.blocks1("variable")
	[name, i, body] := v
	secret_name(name)
	lib.literal_string(body.default)
	body.default != ""
}

secret_words := `(?i)(password|passwd|passphrase|secret|token|api_?key|private_?key|access_?key|secret_?key|signing_?key|credential)`

# Names about a secret rather than holding one: its name, ARN, id, path, length...
not_a_secret := `(?i)[_-](name|names|arn|id|ids|path|file|length|ttl|version|type|enabled|rotation|prefix|count|days|policy|header)$`

secret_name(name) if {
	regex.match(secret_words, name)
	not regex.match(not_a_secret, name)
}
