"""GCP facts both sources read (plan and live)."""
