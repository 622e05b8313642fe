"""GCP resources from Terraform (plan JSON, HCL, .tf.json): the normalisers this cloud registers."""

from posture.providers.gcp.terraform.normalise import JOINED, NORMALISERS
from posture.providers.terraform.dispatch import register

register(NORMALISERS, JOINED)
