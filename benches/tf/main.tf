# A synthetic but realistic platform of N terraform_data resources (offline: no
# provider to download). Applied once with phase=before, then planned with
# phase=after: the plan mixes create, update, replace (both orders), delete and no-op.
#
#   services: for_each inside a module per region (module.region["eu-west-1"]...)
#   workers:  count, create_before_destroy (replaced as [create, delete])

variable "n" {
  type        = number
  description = "total number of resource instances in the plan"
}

variable "phase" {
  type        = string
  description = "before | after"
}

locals {
  n_svc   = floor(var.n * 0.8)
  n_wrk   = var.n - local.n_svc
  regions = ["eu-west-1", "us-east-1"]
  per     = ceil(local.n_svc / length(local.regions))
}

module "region" {
  source   = "./modules/region"
  for_each = { for i, r in local.regions : r => i }

  region = each.key
  first  = each.value * local.per
  count_ = min(local.per, local.n_svc - each.value * local.per)
  phase  = var.phase
}

resource "terraform_data" "worker" {
  # 10% of the workers go away in the after phase (delete_because_count_index).
  count = var.phase == "after" ? local.n_wrk - floor(local.n_wrk / 10) : local.n_wrk

  input = {
    name  = format("worker-%05d", count.index)
    queue = ["ingest", "billing", "email", "reports"][count.index % 4]
    # 20% updated in place
    image     = format("registry.example.com/workers/worker:%s", var.phase == "after" && count.index % 5 == 1 ? "2.8.1" : "2.7.0")
    autoscale = { min = 1, max = 4 + count.index % 8, target_cpu = 0.65 }
    labels    = { tier = "batch", shard = tostring(count.index % 16) }
  }
  # ~11% replaced (create before destroy)
  triggers_replace = [var.phase == "after" && count.index % 9 == 2 ? "ami-0b2f4c1d" : "ami-0a1e3b7c"]

  lifecycle {
    create_before_destroy = true
  }
}

output "worker_count" {
  value = length(terraform_data.worker)
}
