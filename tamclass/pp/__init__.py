"""Preprocessing helpers (input checks, normalisation detection)."""
