"""Settings for every part of triage, from environment variables prefixed ``TRIAGE_``.

Nothing here runs at import: call :func:`get_settings` (cached) where settings are needed, and
``get_settings.cache_clear()`` in tests after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # Quality gates for the `champion` alias. Defaults suit real front-door data, where the best
    # peer models reach AUC 0.72-0.84 (../shared/reference/published-figures.md).
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
    session_hours: float = Field(8.0, gt=0, le=24, description="How long a page sign-in lasts.")

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
