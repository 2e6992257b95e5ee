"""Timeliness of the store's decisions and assessments (read only, over contacts, decisions and
completions)."""
