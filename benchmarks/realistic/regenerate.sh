#!/usr/bin/env bash
# Make stack-plan.json (one instance of each module in main.tf) with real Terraform, offline.
# Needs terraform (made with 1.11.4) and a filesystem mirror of hashicorp/aws 5.100.0 (default
# /opt/tf-plugins; override with TF_PLUGIN_MIRROR). Optional argument: the number of stacks (default 1) and
# an output file, e.g. `regenerate.sh 10 /tmp/plan-10.json` for a full real plan to compare against.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
stacks="${1:-1}"
out="${2:-$here/stack-plan.json}"
# shellcheck source=/dev/null
source "$here/../../scripts/terraform-offline.sh"
cd "$here"
terraform init -input=false -no-color -lockfile=readonly >/dev/null 2>&1 || terraform init -input=false -no-color >/dev/null
terraform plan -input=false -no-color -refresh=false -var "stacks=$stacks" -out="$work/plan.bin" >/dev/null
terraform show -json "$work/plan.bin" >"$out"
rm -f "$here/.terraform.lock.hcl"
echo "wrote $out"
