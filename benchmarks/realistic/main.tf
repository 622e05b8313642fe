# A realistic plan for benchmarks/: the real AWS plan-fixture scenarios (tests/fixtures/plans/aws/*) as
# modules, each instantiated `stacks` times. `regenerate.sh` plans it with stacks = 1 into stack-plan.json;
# gen_plan.py --shape realistic repeats that one instance of each module exactly as Terraform does for
# count = N (verified against a real 10-stack plan, see README.md).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-not-real"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "stacks" {
  type    = number
  default = 1
}

module "network" {
  source = "../../tests/fixtures/plans/aws/network"
  count  = var.stacks
}

module "data" {
  source = "../../tests/fixtures/plans/aws/data"
  count  = var.stacks
}

module "lb" {
  source = "../../tests/fixtures/plans/aws/lb"
  count  = var.stacks
}

module "s3" {
  source = "../../tests/fixtures/plans/aws/s3"
  count  = var.stacks
}
