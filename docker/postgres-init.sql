-- Run once by the postgres image when its data volume is first initialised (compose.yaml), as
-- the owner (POSTGRES_USER, "triage") connected to the service's database (POSTGRES_DB, "triage").

-- The MLflow tracking server's own database beside the service's.
CREATE DATABASE mlflow;

-- The service's role: it reads and writes the service's tables, which the owner creates (the
-- migrate job), but it may only INSERT and SELECT audit entries. The default privileges below
-- grant it the usual rights on each table the owner creates; migration 0710 then takes UPDATE,
-- DELETE and TRUNCATE on audit_events from every role but the owner, so the service can
-- append to the audit trail and read it, never change or remove an entry.
\getenv service_password TRIAGE_SERVICE_DB_PASSWORD
CREATE ROLE triage_service LOGIN PASSWORD :'service_password';
GRANT CONNECT ON DATABASE triage TO triage_service;
GRANT USAGE ON SCHEMA public TO triage_service;
ALTER DEFAULT PRIVILEGES FOR ROLE triage IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO triage_service;
ALTER DEFAULT PRIVILEGES FOR ROLE triage IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO triage_service;
