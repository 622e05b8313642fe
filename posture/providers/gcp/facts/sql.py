"""Cloud SQL facts both sources read: which SSL modes make the server refuse unencrypted connections."""

from __future__ import annotations

# https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances#SslMode (sslMode supersedes requireSsl)
SSL_MODE_REQUIRES_TLS: dict[str, bool] = {
    "ALLOW_UNENCRYPTED_AND_ENCRYPTED": False,
    "ENCRYPTED_ONLY": True,
    "TRUSTED_CLIENT_CERTIFICATE_REQUIRED": True,
}
"""``ipConfiguration.sslMode`` (Terraform ``ip_configuration.ssl_mode``) -> whether TLS is required."""
