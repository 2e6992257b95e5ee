-- Run once by the postgres image when its data volume is first initialised (compose.yaml):
-- the MLflow tracking server's own database beside the service's (POSTGRES_DB, "triage").
CREATE DATABASE mlflow;
