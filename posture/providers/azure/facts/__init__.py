"""Azure facts both sources read (plan and live)."""
