variable "region" { type = string }
variable "first" { type = number }
variable "count_" { type = number }
variable "phase" { type = string }

locals {
  after = var.phase == "after"
  # The last 10% of the services are new in the after phase; the first 5% are gone.
  n_new  = floor(var.count_ / 10)
  n_gone = floor(var.count_ / 20)
  # range() stops at 1024 values: build 0..count_-1 from blocks of 1000.
  all   = [for p in setproduct(range(0, ceil(var.count_ / 1000)), range(0, 1000)) : p[0] * 1000 + p[1] if p[0] * 1000 + p[1] < var.count_]
  keep  = [for i in local.all : i if(local.after ? i >= local.n_gone : i < var.count_ - local.n_new)]
  teams = ["payments", "search", "platform", "data", "web"]
  services = {
    for i in local.keep : format("svc-%05d", var.first + i) => var.first + i
  }
}

resource "terraform_data" "service" {
  for_each = local.services

  input = {
    name   = each.key
    region = var.region
    team   = local.teams[each.value % 5]
    # ~14% updated in place
    image    = format("registry.example.com/%s/%s:%s", local.teams[each.value % 5], each.key, local.after && each.value % 7 == 3 ? "1.5.0" : "1.4.2")
    replicas = 2 + each.value % 4
    cpu      = "500m"
    memory   = "1Gi"
    ports    = [8080, 9090]
    env = {
      LOG_LEVEL = "info"
      REGION    = var.region
      FEATURE_X = tostring(each.value % 2 == 0)
    }
    tags = {
      owner       = local.teams[each.value % 5]
      cost_center = format("cc-%02d", each.value % 37)
      environment = "prod"
    }
  }
  # 4% replaced (destroy before create): a major engine upgrade
  triggers_replace = [local.after && each.value % 25 == 5 ? "postgres-16" : "postgres-14"]
}

output "service_count" {
  value = length(terraform_data.service)
}
