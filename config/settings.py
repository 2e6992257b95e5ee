"""Settings for every part of triage, from environment variables prefixed ``TRIAGE_``.

Nothing here runs at import: call :func:`get_settings` (cached) where settings are needed, and
``get_settings.cache_clear()`` in tests after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RATE_LIMIT_OFF = frozenset({"", "0", "off", "none"})
# The roles of service.auth.schemas.Role (config imports nothing of the service).
ROLES = ("duty_worker", "team_leader", "data_team", "admin")
# Error messages (tests assert them).
BAND_OUT_OF_RANGE = (
    "TRIAGE_FLAG_HIGH_RISK_BAND={band} can never be reached with TRIAGE_RISK_BANDS={bands}: "
    "bands run from 1 to {bands}, so set the high-risk band to {bands} or less"
)
OIDC_INCOMPLETE = (
    "TRIAGE_OIDC_ISSUER is set, so TRIAGE_OIDC_CLIENT_ID and TRIAGE_OIDC_ROLE_MAP must be too"
)


class Settings(BaseSettings):
    """Every tunable of the product in one place."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    home: Path = Field(Path("var"), description="Where all state lives (database, MLflow, data).")
    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(None, description="Service database; default SQLite in home.")
    mlflow_tracking_uri: str | None = Field(
        None, description="MLflow store; default SQLite in home."
    )

    # The model and its registry.
    model_name: str = "front-door-triage"
    label_strategy: Literal[
        "missing_negative", "complete_case", "acted_on", "acted_on_weighted"
    ] = "acted_on"
    risk_bands: int = Field(10, ge=2, le=20)
    surface_share_threshold: float = Field(0.5, gt=0, lt=1)
    seed: int = 20261126
    rare_cell_rows: int = Field(
        50,
        ge=1,
        description=(
            "A contact whose age band x referral source x number of concerns had fewer training "
            "contacts than this is told so in its limits."
        ),
    )

    # Quality gates for the `champion` alias. Defaults suit real front-door data, where the best
    # peer models report AUC of about 0.76 (New Zealand) to 0.84 (a California placement model).
    gate_min_auc: float = Field(0.65, ge=0.5, le=1)
    gate_max_calibration_error: float = Field(0.05, gt=0, le=1)
    gate_min_auc_ratio_to_truth: float = Field(0.9, ge=0, le=1)
    gate_min_labelled_rows: int = Field(200, ge=1)
    # The fairness gate blocks only large, significant calibration gaps between groups whose
    # outcomes are mostly observed (docs/fairness.md).
    fairness_gate_min_coverage: float = Field(0.8, gt=0, le=1)
    fairness_gate_max_ratio: float = Field(1.25, gt=1)
    fairness_min_n: int = Field(30, ge=1, description="Fewest in a denominator for a verdict.")

    # Retraining (`triage retrain`): a challenger replaces the champion only if, on the same
    # held-out rows, it passes every gate and is no worse than the champion beyond these margins.
    retrain_max_auc_loss: float = Field(0.01, ge=0, le=1)
    retrain_max_calibration_increase: float = Field(0.01, ge=0, le=1)

    # Monitoring (`triage monitor`, docs/monitoring.md).
    monitor_min_n: int = Field(200, ge=1, description="Fewest contacts in a month to judge it.")
    monitor_alpha: float = Field(0.05, gt=0, lt=1, description="Level for Holm-adjusted p-values.")
    report_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest a request waits for a fairness or monitoring report to recompute.",
    )

    # Working-day clocks (docs/timeliness.md): a contact's decision is due this many working days
    # after the day it was received, an assessment this many (Working Together 2023: at most 45;
    # an authority may set a shorter local target such as 7).
    decision_due_working_days: int = Field(
        1, ge=1, description="Working days after receipt by which a decision is due."
    )
    assessment_due_working_days: int = Field(
        45, ge=1, description="Working days after receipt by which an assessment is due."
    )

    # The narrative check (docs/narrative.md): suggestions are prompts, never verdicts.
    narrative_model: Path | None = Field(
        None,
        description=(
            "An ONNX sentence model of your own instead of the packaged all-MiniLM-L6-v2; its "
            "tokenizer.json and the thresholds.json of `python -m narrative.calibrate --model` "
            "must be beside it."
        ),
    )
    narrative_threads: int = Field(
        2,
        ge=1,
        le=16,
        description=(
            "How many of one narrative check's model runs may go at once, each on one thread "
            "(a 10-sentence narrative is usually two runs). 2 uses both cores of a 2-core "
            "machine when they are free, for about the same CPU time; 1 keeps each check on one "
            "core (docs/narrative.md)."
        ),
    )
    narrative_flag_similarity: float = Field(
        0.48,
        gt=0,
        le=1,
        description=(
            "Suggestion similarity from which an uncoded concern counts for the flag rule; "
            "calibrated so that at most 5% of no-concern test sentences reach it."
        ),
    )

    # The service (`triage serve`).
    host: str = Field("127.0.0.1", description="Address `triage serve` binds by default.")
    port: int = Field(8000, ge=1, le=65535, description="Port `triage serve` binds by default.")
    max_batch: int = Field(1000, ge=1, le=10_000, description="Most contacts per batch request.")
    flag_high_risk_band: int = Field(
        8,
        ge=1,
        le=20,
        description="Substantive band from which NFA, signpost or more-info is flagged.",
    )
    model_poll_seconds: float = Field(
        30.0, ge=0, description="How often the service checks for a new champion (0: never)."
    )
    db_pool_size: int = Field(10, ge=1, le=100, description="Connections per service process.")
    group_max: int = Field(
        64,
        ge=1,
        le=1000,
        description=(
            "Most scores, or decisions, of requests arriving together that one transaction stores "
            "(group commit; 1: each request its own transaction)."
        ),
    )
    db_busy_timeout_seconds: float = Field(
        30.0, gt=0, description="SQLite: how long a write waits for another to finish."
    )

    # The pages (/ui): signed session cookies. Unset in development, a random key per process.
    secret_key: SecretStr | None = Field(
        None, description="Signs the pages' session cookies; required in production."
    )
    cookie_secure: bool | None = Field(
        None, description="Mark cookies Secure; unset means yes except on http://localhost."
    )
    session_hours: float = Field(
        8.0, gt=0, le=24, description="Hours of inactivity after which a page sign-in ends."
    )

    # The audit trail (SECURITY.md, "The audit anchor"): keys the chain's HMAC. Kept outside the
    # database it protects; unset in development, a fixed public key.
    audit_key: SecretStr | None = Field(
        None, description="Keys the audit chain's HMAC; required outside development."
    )

    # OpenID Connect sign-in for the pages (SECURITY.md, docs/deployment.md). Set the issuer to
    # turn it on; roles come from the role claim's values through the role map.
    oidc_issuer: str | None = Field(
        None, description="The OpenID provider's issuer URL (its discovery document's base)."
    )
    oidc_client_id: str | None = Field(None, description="This service's client ID there.")
    oidc_client_secret: SecretStr | None = Field(None, description="Its client secret.")
    oidc_role_claim: str = Field("groups", description="The ID token claim listing groups.")
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Group (a value of the role claim) to role, as JSON: "
            'TRIAGE_OIDC_ROLE_MAP=\'{"<group id>": "duty_worker"}\'.'
        ),
    )
    oidc_team_claim: str | None = Field(
        None, description="The ID token claim listing the user's teams (unset: none)."
    )
    oidc_name_claim: str = Field(
        "preferred_username", description="The ID token claim that names the user."
    )
    oidc_scopes: str = Field("openid profile email", description="Scopes asked for at sign-in.")
    oidc_redirect_uri: str | None = Field(
        None,
        description="The callback URL registered at the provider; unset: /ui/oidc/callback "
        "on the host the browser used.",
    )
    oidc_access_contact: str = Field(
        "your team leader or your IT service desk",
        description="Whom people without a role are told to ask for access.",
    )
    page_token_signin: bool | None = Field(
        None,
        description="Allow API-token sign-in to the pages; unset: only when OIDC is not set up.",
    )

    # Imports (`triage data import-cin`): keys the pseudonyms of imported records.
    pseudonym_key: SecretStr | None = Field(
        None, description="Keys imported records' pseudonyms (HMAC); required outside development."
    )

    # Abuse limits and browsers (SECURITY.md).
    rate_limit: str = Field(
        "600/minute",
        description=(
            "Most /v1 requests per user, e.g. '600/minute' or '20/second;600/minute'; "
            "'0' or '' turns it off. Counted per process: N workers allow N times as many."
        ),
    )
    token_max_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="Longest lifetime `triage users add/rotate` may give a token.",
    )
    signin_failure_limit: str = Field(
        "10/15 minutes",
        description=(
            "Most failed sign-ins (a wrong bearer token on /v1, a wrong token at /ui/login) per "
            "client address and per token prefix before 429; counted per process."
        ),
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest request body in bytes (413 beyond); fits a full batch of narratives.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Origins whose pages may call the API from a browser, as a JSON list "
            "(TRIAGE_CORS_ORIGINS='[\"https://portal.example\"]'); empty, CORS stays closed."
        ),
    )

    @field_validator("rate_limit", "signin_failure_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        """Refuse a limit that `limits` cannot parse (at start-up, not at the first request)."""
        from limits import parse_many

        value = value.strip()
        if value not in RATE_LIMIT_OFF:
            try:
                parse_many(value)
            except ValueError as error:
                raise ValueError(f"not a rate limit like '600/minute': {value!r}") from error
        return value

    @field_validator("oidc_role_map")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        """Refuse a role map naming a role the service does not have."""
        unknown = sorted(set(value.values()) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}: use {', '.join(ROLES)}")
        return value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        """Refuse an OIDC set-up missing the client ID or the role map (nobody could sign in)."""
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_role_map):
            raise ValueError(OIDC_INCOMPLETE)
        return self

    @model_validator(mode="after")
    def _high_risk_band_exists(self) -> Settings:
        """Refuse a high-risk band above the number of bands: its flag could never fire."""
        if self.flag_high_risk_band > self.risk_bands:
            raise ValueError(
                BAND_OUT_OF_RANGE.format(band=self.flag_high_risk_band, bands=self.risk_bands)
            )
        return self

    @property
    def oidc_enabled(self) -> bool:
        """Whether the pages sign people in through an OpenID provider."""
        return bool(self.oidc_issuer)

    @property
    def token_signin_enabled(self) -> bool:
        """Whether the pages accept an API token: the setting, else only without OIDC."""
        if self.page_token_signin is not None:
            return self.page_token_signin
        return not self.oidc_enabled

    @property
    def rate_limit_enabled(self) -> bool:
        """Whether /v1 requests are rate limited."""
        return self.rate_limit not in RATE_LIMIT_OFF

    @property
    def signin_throttle_enabled(self) -> bool:
        """Whether failed sign-ins are throttled."""
        return self.signin_failure_limit not in RATE_LIMIT_OFF

    @property
    def mlflow_uri(self) -> str:
        """The MLflow tracking URI: the override, else SQLite under ``home``."""
        return self.mlflow_tracking_uri or f"sqlite:///{self.home.resolve() / 'mlflow.db'}"

    @property
    def mlflow_artifacts(self) -> Path:
        """Where MLflow writes artifacts (never ``./mlruns`` of the working directory)."""
        return self.home.resolve() / "mlartifacts"

    @property
    def database_uri(self) -> str:
        """The service database URL: the override, else SQLite ``triage.db`` under ``home``."""
        return self.database_url or f"sqlite:///{self.home.resolve() / 'triage.db'}"

    @property
    def data_dir(self) -> Path:
        """Where generated data is written by default."""
        return self.home / "data"


@lru_cache
def get_settings() -> Settings:
    """Return the process's settings (cached; clear the cache after changing the environment)."""
    return Settings()


# Values seen in examples and templates (compose.yaml, .env samples, tutorials): never a real key.
PLACEHOLDER_WORDS = ("changeme", "changethis", "replaceme", "placeholder", "example", "secretkey")
WEAK_PASSWORDS = frozenset(
    {"", "postgres", "triage", "mlflow", "password", "secret", "admin", "root", "changeme"}
)
MIN_SECRET_CHARS = 32


class InsecureSettings(RuntimeError):
    """Settings that are fine on a laptop but refused outside development."""


def insecure_settings(settings: Settings) -> list[str]:
    """What makes ``settings`` unfit outside development, one sentence per problem naming its
    variable (empty in development, where anything goes)."""
    if settings.environment == "development":
        return []
    problems = _secret_key_problems(settings.secret_key)
    problems += _secret_key_problems(
        settings.audit_key, name="TRIAGE_AUDIT_KEY", development=DEVELOPMENT_AUDIT_KEY
    )
    for name, url in (
        ("TRIAGE_DATABASE_URL", settings.database_url),
        ("TRIAGE_MLFLOW_TRACKING_URI", settings.mlflow_tracking_uri),
    ):
        if url and _has_weak_password(url):
            problems.append(f"{name} uses a default or empty password: set a strong one.")
    if settings.cookie_secure is False:
        problems.append("TRIAGE_COOKIE_SECURE is false: sign-in cookies must only travel on HTTPS.")
    if settings.oidc_issuer and not settings.oidc_issuer.startswith("https://"):
        problems.append("TRIAGE_OIDC_ISSUER is not https: sign-ins must only travel on HTTPS.")
    if "*" in settings.cors_origins:
        problems.append("TRIAGE_CORS_ORIGINS allows every origin ('*'): list the origins instead.")
    return problems


def refuse_insecure(settings: Settings) -> None:
    """Raise :class:`InsecureSettings` listing every problem, if there is one."""
    problems = insecure_settings(settings)
    if problems:
        where = f"TRIAGE_ENVIRONMENT={settings.environment}"
        raise InsecureSettings(f"Refusing to start ({where}): " + " ".join(problems))


# The audit chain's key when TRIAGE_AUDIT_KEY is unset in development: public, so never trusted.
DEVELOPMENT_AUDIT_KEY = "triage-development-audit-key: public, for laptops only"


def audit_key(settings: Settings) -> bytes:
    """The audit chain's HMAC key: TRIAGE_AUDIT_KEY, or the public development key in
    development; outside development an unset or weak key raises :class:`InsecureSettings`."""
    value = settings.audit_key.get_secret_value() if settings.audit_key else ""
    if settings.environment == "development":
        return (value.strip() or DEVELOPMENT_AUDIT_KEY).encode()
    problems = _secret_key_problems(
        settings.audit_key, name="TRIAGE_AUDIT_KEY", development=DEVELOPMENT_AUDIT_KEY
    )
    if problems:
        raise InsecureSettings(
            f"Refusing to open the audit trail (TRIAGE_ENVIRONMENT={settings.environment}): "
            + " ".join(problems)
        )
    return value.encode()


def _secret_key_problems(
    key: SecretStr | None, *, name: str = "TRIAGE_SECRET_KEY", development: str | None = None
) -> list[str]:
    generate = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
    if key is None or not key.get_secret_value().strip():
        return [f"{name} is unset: {generate}."]
    value = key.get_secret_value()
    letters = "".join(c for c in value.lower() if c.isalnum())
    if value == development:
        return [f"{name} is the public development key: {generate}."]
    if any(word in letters for word in PLACEHOLDER_WORDS) or letters in WEAK_PASSWORDS:
        return [f"{name} is a placeholder from an example: {generate}."]
    if len(value) < MIN_SECRET_CHARS or len(set(value)) < 10:
        return [f"{name} is too short or repetitive (< {MIN_SECRET_CHARS}): {generate}."]
    return []


def _has_weak_password(url: str) -> bool:
    """Whether a URL carries a password that is empty or a well-known default."""
    from urllib.parse import unquote, urlsplit

    password = urlsplit(url).password
    if password is None:
        return False  # none in the URL: SQLite, peer authentication, ~/.pgpass or PGPASSWORD
    return unquote(password).lower() in WEAK_PASSWORDS
