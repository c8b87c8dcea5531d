//! The document shape, pinned against the cases of hcl2json's and conftest's own
//! `convert_test.go` (blocks always wrapped in arrays, as current hcl2json does).

use std::sync::Arc;

use serde_json::json;

use super::*;

fn doc(src: &str) -> serde_json::Value {
    parse(Arc::from(src)).expect("parses").value
}

#[test]
fn locals_literals_and_expressions() {
    let src = r#"
locals {
	test3 = 1 + 2
	test1 = "hello"
	test2 = 5
	arr = [1, 2, 3, 4]
	hyphen-test = 3
	temp = "${1 + 2} %{if local.test2 < 3}\"4\n\"%{endif}"
	temp2 = "${"hi"} there"
		quoted = "\"quoted\""
		squoted = "'quoted'"
	x = -10
	y = -x
	z = -(1 + 4)
}

locals {
	other = {
		num = local.test2 + 5
		thing = [for x in local.arr: x * 2]
		"${local.test3}" = 4
		3 = 1
		"local.test1" = 89
		"a.b.c[\"hi\"][3].*" = 3
		loop = "This has a for loop: %{for x in local.arr}x,%{endfor}"
		a.b.c = "True"
	}
}

locals {
	heredoc = <<-EOF
		This is a heredoc template.
		It references ${local.other.3}
	EOF
	simple = "${4 - 2}"
	cond = test3 > 2 ? 1: 0
	heredoc2 = <<EOF
		Another heredoc, that
		doesn't remove indentation
		${local.other.3}
		%{if true ? false : true}"gotcha"\n%{else}4%{endif}
	EOF
}

data "terraform_remote_state" "remote" {
	backend = "s3"

	config = {
		profile = var.profile
		region  = var.region
		bucket  = "mybucket"
		key     = "mykey"
	}
}

variable "profile" {}

variable "region" {
	default = "us-east-1"
}
"#;
    let expected = json!({
        "data": {"terraform_remote_state": {"remote": [{
            "backend": "s3",
            "config": {"bucket": "mybucket", "key": "mykey", "profile": "${var.profile}", "region": "${var.region}"}
        }]}},
        "locals": [
            {
                "arr": [1, 2, 3, 4],
                "hyphen-test": 3,
                "quoted": "\"quoted\"",
                "squoted": "'quoted'",
                "temp": "${1 + 2} %{if local.test2 < 3}\"4\n\"%{endif}",
                "temp2": "hi there",
                "test1": "hello",
                "test2": 5,
                "test3": "${1 + 2}",
                "x": -10,
                "y": "${-x}",
                "z": "${-(1 + 4)}"
            },
            {
                "other": {
                    "${local.test3}": 4,
                    "3": 1,
                    "a.b.c": "True",
                    "a.b.c[\"hi\"][3].*": 3,
                    "local.test1": 89,
                    "loop": "This has a for loop: %{for x in local.arr}x,%{endfor}",
                    "num": "${local.test2 + 5}",
                    "thing": "${[for x in local.arr: x * 2]}"
                }
            },
            {
                "cond": "${test3 > 2 ? 1: 0}",
                "heredoc": "This is a heredoc template.\nIt references ${local.other.3}\n",
                "heredoc2": "\t\tAnother heredoc, that\n\t\tdoesn't remove indentation\n\t\t${local.other.3}\n\t\t%{if true ? false : true}\"gotcha\"\\n%{else}4%{endif}\n",
                "simple": "${4 - 2}"
            }
        ],
        "variable": {"profile": [{}], "region": [{"default": "us-east-1"}]}
    });
    assert_eq!(doc(src), expected);
}

#[test]
fn nested_and_dynamic_blocks() {
    let src = r#"
resource "aws_elastic_beanstalk_environment" "example" {
	name        = "test_environment"
	application = "testing"

	setting {
	  namespace = "aws:autoscaling:asg"
	  name      = "MinSize"
	  value     = "1"
	}

	dynamic "setting" {
	  for_each = data.consul_key_prefix.environment.var
	  content {
		name      = setting.key
		value     = setting.value
	  }
	}
  }"#;
    let expected = json!({"resource": {"aws_elastic_beanstalk_environment": {"example": [{
        "application": "testing",
        "dynamic": {"setting": [{
            "content": [{"name": "${setting.key}", "value": "${setting.value}"}],
            "for_each": "${data.consul_key_prefix.environment.var}"
        }]},
        "name": "test_environment",
        "setting": [{"name": "MinSize", "namespace": "aws:autoscaling:asg", "value": "1"}]
    }]}}});
    assert_eq!(doc(src), expected);
}

#[test]
fn repeated_blocks_append_in_source_order() {
    let src = r#"
provider "aws" {
    version = "=2.46.0"
    alias   = "one"
}
provider "aws" {
    version = "=2.47.0"
    alias   = "two"
}
terraform {
  required_version = ">= 1.6"
}
"#;
    assert_eq!(
        doc(src),
        json!({
            "provider": {"aws": [
                {"alias": "one", "version": "=2.46.0"},
                {"alias": "two", "version": "=2.47.0"}
            ]},
            "terraform": [{"required_version": ">= 1.6"}]
        })
    );
}

#[test]
fn expressions_keep_their_exact_source_text() {
    let src = "a = var.env==\"prod\"?2:1   # a comment\nb = merge(var.tags,{Name = \"x\"})\nc = type\nd = !true\ne = [null, true, 1.5]\nf = \"${[1, 2]}\"\n";
    assert_eq!(
        doc(src),
        json!({
            "a": "${var.env==\"prod\"?2:1}",
            "b": "${merge(var.tags,{Name = \"x\"})}",
            "c": "${type}",
            "d": false,
            "e": [null, true, 1.5],
            "f": [1, 2]
        })
    );
}

#[test]
fn escaped_template_markers_stay_escaped() {
    let src = "a = \"$${literal} and %%{literal}\"\nb = \"pre-${var.x}-$${y}\"\nc = \"v-${var.a ? \"x\" : \"y\"}\"\n";
    assert_eq!(
        doc(src),
        json!({
            "a": "$${literal} and %%{literal}",
            "b": "pre-${var.x}-$${y}",
            "c": "v-%{if var.a}x%{else}y%{endif}"
        })
    );
}

#[test]
fn tfvars_are_plain_attributes() {
    let src = "region = \"eu-west-1\"\nzones = [\"a\", \"b\"]\ntags = { team = \"x\" }\n";
    assert_eq!(
        doc(src),
        json!({"region": "eu-west-1", "zones": ["a", "b"], "tags": {"team": "x"}})
    );
}

#[test]
fn spans_point_at_blocks_attributes_and_keys() {
    let src = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"x\"\n  versioning {\n    enabled = true\n  }\n}\n";
    let f = parse(Arc::from(src)).unwrap();
    let at = |p: serde_json::Value| {
        let r = f.span_of_json(&p).expect("span");
        &src[r]
    };
    assert!(at(json!(["resource", "aws_s3_bucket", "logs", 0]))
        .starts_with("resource \"aws_s3_bucket\""));
    assert_eq!(
        at(json!(["resource", "aws_s3_bucket", "logs", 0, "bucket"])),
        "bucket = \"x\""
    );
    assert!(at(json!([
        "resource",
        "aws_s3_bucket",
        "logs",
        0,
        "versioning",
        0
    ]))
    .starts_with("versioning {"));
    assert_eq!(
        at(json!([
            "resource",
            "aws_s3_bucket",
            "logs",
            0,
            "versioning",
            0,
            "enabled"
        ])),
        "enabled = true"
    );
    // A path deeper than the document falls back to its longest known prefix.
    assert_eq!(
        at(json!([
            "resource",
            "aws_s3_bucket",
            "logs",
            0,
            "bucket",
            "nope"
        ])),
        "bucket = \"x\""
    );
    assert!(f
        .span_of_address_in("aws_s3_bucket.logs has no versioning")
        .is_some());
    assert!(f
        .span_of_address_in("aws_s3_bucket.logs2 is fine")
        .is_none());
    let item = f.item_starting_on_line(3).unwrap();
    assert_eq!(item.kind, ItemKind::Block);
}

#[test]
fn bad_hcl_reports_the_byte_offset() {
    let src = "resource \"a\" \"b\" {\n  x = \n}\n";
    let e = parse(Arc::from(src)).unwrap_err();
    assert!(e.message.starts_with("invalid HCL"), "{}", e.message);
    assert!(e.offset > 0 && e.offset <= src.len());
}

#[test]
fn blocks_with_and_without_labels_are_refused_like_hcl2json() {
    let src = "foo {}\nfoo \"x\" {}\n";
    let e = parse(Arc::from(src)).unwrap_err();
    assert!(e.message.contains("`foo`"), "{}", e.message);
    assert_eq!(e.offset, 7);
}
