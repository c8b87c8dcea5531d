package plangate.lint.lib_test

import data.plangate.lint.lib

test_a_tf_document_is_tf if {
	lib.is_tf with input as {"resource": {"aws_s3_bucket": {"logs": [{}]}}}
}

test_an_empty_tfvars_document_is_tf if {
	lib.is_tf with input as {}
}

test_a_plan_is_not_tf if {
	not lib.is_tf with input as {"format_version": "1.2", "resource_changes": []}
}

test_blocks_are_listed_with_their_index if {
	lib.blocks2("resource") == [["aws_s3_bucket", "logs", 0, {"bucket": "a"}], ["aws_s3_bucket", "logs", 1, {"bucket": "b"}]] with input as {"resource": {"aws_s3_bucket": {"logs": [{"bucket": "a"}, {"bucket": "b"}]}}}
}

test_literal_strings if {
	lib.literal_string("abc")
	not lib.literal_string("${var.x}")
	not lib.literal_string(1)
}
