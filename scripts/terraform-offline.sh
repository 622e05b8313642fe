# Sourced by the scripts that make real plans offline (tests/fixtures/plans, tests/fixtures/rules,
# benchmarks/realistic). Makes a temporary work directory ($work, removed on exit) and points Terraform at a
# filesystem mirror of hashicorp/aws (default /opt/tf-plugins; override with TF_PLUGIN_MIRROR) with fake
# credentials: a plan of new resources with the provider's skip_* flags makes no AWS API call.
mirror="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKEFAKE AWS_SECRET_ACCESS_KEY=fake AWS_EC2_METADATA_DISABLED=true
