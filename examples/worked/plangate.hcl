# The worked example from the README: three environments at different stages.
settings {
  default_environment = "dev"
  max_plan_age        = "168h"
}

environment "dev" {
  stage = "auto-apply-all"
}

environment "staging" {
  match = ["envs/staging/**"]
  stage = "auto-apply"
}

environment "prod" {
  match        = ["envs/prod/**"]
  stage        = "promote"
  promote_from = "staging"
}

group "platform" {
  members = ["alice", "bob", "carol"]
}

# Every change to staging needs one approval from platform.
approval "staging-review" {
  environments = ["staging"]
  when         = "any"
  group        = "platform"
  count        = 1
}

# Destroying anything in prod needs two.
approval "prod-destroy" {
  environments = ["prod"]
  when         = "destructive"
  group        = "platform"
  count        = 2
}

window "business-hours" {
  environments = ["staging", "prod"]
  timezone     = "Europe/Berlin"
  days         = ["mon", "tue", "wed", "thu"]
  from         = "09:00"
  to           = "16:00"
}

freeze "year-end" {
  environments = ["*"]
  from         = "2026-12-20T00:00:00Z"
  to           = "2027-01-04T00:00:00Z"
  break_glass  = "platform"
}

protect {
  resources   = ["terraform_data.database"]
  break_glass = "platform"
}
