"""The key for imported records' pseudonyms: ``TRIAGE_PSEUDONYM_KEY``, refused if weak outside
development (where a fixed development key is used when none is set)."""

from __future__ import annotations

from config.settings import MIN_SECRET_CHARS, PLACEHOLDER_WORDS, InsecureSettings, Settings

DEVELOPMENT_KEY = "triage-development-pseudonym-key-not-for-real-data"


def pseudonym_key(settings: Settings) -> bytes:
    """The pseudonym key as bytes; raise ``InsecureSettings`` for a default or weak key outside
    development."""
    value = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else ""
    if settings.environment == "development":
        return (value or DEVELOPMENT_KEY).encode()
    generate = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
    where = f"TRIAGE_ENVIRONMENT={settings.environment}"
    letters = "".join(c for c in value.lower() if c.isalnum())
    if not value.strip() or value == DEVELOPMENT_KEY:
        problem = "TRIAGE_PSEUDONYM_KEY is unset or the development default"
    elif any(word in letters for word in PLACEHOLDER_WORDS):
        problem = "TRIAGE_PSEUDONYM_KEY is a placeholder from an example"
    elif len(value) < MIN_SECRET_CHARS or len(set(value)) < 10:
        problem = f"TRIAGE_PSEUDONYM_KEY is too short or repetitive (< {MIN_SECRET_CHARS})"
    else:
        return value.encode()
    raise InsecureSettings(f"Refusing to import ({where}): {problem}: {generate}.")
