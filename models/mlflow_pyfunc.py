"""The MLflow pyfunc wrapper, logged as "models from code": contract rows in, estimates out.

MLflow loads this file by path and calls ``set_model``; nothing here runs on import elsewhere.
"""

from __future__ import annotations

import warnings
from typing import Any

import mlflow.pyfunc
from mlflow.models import set_model

with warnings.catch_warnings():
    # MLflow asks for list[...] type hints on predict; ours takes a DataFrame, left untyped.
    warnings.simplefilter("ignore", UserWarning)

    # mlflow.pyfunc loads PythonModel lazily, so mypy cannot see it.
    class TriagePyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
        """Wraps a ``TriageModel``: contract rows in; probability, band and surface share out."""

        def load_context(self, context: Any) -> None:
            import joblib

            self.model = joblib.load(context.artifacts["triage_model"])

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            from models.assess import assess_frame

            table = assess_frame(self.model, model_input)
            return table[["contact_id", "probability", "band", "surface_share"]]


set_model(TriagePyfunc())
