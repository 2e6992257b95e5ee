"""`triage`: the command line that fronts every job.

Commands import their heavy dependencies inside the function, so `triage --help` stays fast.
"""

from __future__ import annotations

import typer

from cli import (
    data_cmd,
    demo_cmd,
    fairness_cmd,
    model_cmd,
    models_cmd,
    monitor_cmd,
    outcomes_cmd,
    quickstart_cmd,
    reports_cmd,
    service_cmd,
    synthetic_cmd,
    timeliness_cmd,
)

app = typer.Typer(
    name="triage",
    help="Front-door triage decision support: a second opinion, never a decision-maker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
data_app = typer.Typer(
    help="Contact records: generate synthetic extracts, validate files.", no_args_is_help=True
)
data_app.command("generate")(synthetic_cmd.generate)
data_app.command("validate")(data_cmd.validate)
data_app.command("import-cin")(data_cmd.import_cin)
app.add_typer(data_app, name="data")

fairness_app = typer.Typer(help="Fairness audits of decisions and the model.", no_args_is_help=True)
fairness_app.command("audit")(fairness_cmd.audit)
app.add_typer(fairness_app, name="fairness")

app.command("train")(model_cmd.train)
app.command("score")(model_cmd.score)
app.command("evaluate")(model_cmd.evaluate)
app.command("quickstart")(quickstart_cmd.quickstart)
app.command("retrain")(models_cmd.retrain)
app.command("monitor")(monitor_cmd.monitor)
reports_app = typer.Typer(
    help="Fairness and monitoring reports of the service's store, stored for its routes.",
    no_args_is_help=True,
)
reports_app.command("record")(reports_cmd.record)
app.add_typer(reports_app, name="reports")
app.command("timeliness")(timeliness_cmd.timeliness)
models_app = typer.Typer(help="Registered versions and the champion alias.", no_args_is_help=True)
models_app.command("list")(models_cmd.list_models)
models_app.command("promote")(models_cmd.promote)
models_app.command("rollback")(models_cmd.rollback)
models_app.command("history")(models_cmd.history)
models_app.command("trust")(models_cmd.trust)
app.add_typer(models_app, name="models")
app.command("serve")(service_cmd.serve)
app.command("export")(outcomes_cmd.export)
outcomes_app = typer.Typer(help="Outcomes recorded when they become known.", no_args_is_help=True)
outcomes_app.command("import")(outcomes_cmd.import_outcomes)
app.add_typer(outcomes_app, name="outcomes")

users_app = typer.Typer(help="Users of the service and their API tokens.", no_args_is_help=True)
users_app.command("add")(service_cmd.users_add)
users_app.command("list")(service_cmd.users_list)
users_app.command("rotate")(service_cmd.users_rotate)
users_app.command("teams")(service_cmd.users_teams)
users_app.command("revoke")(service_cmd.users_revoke)
app.add_typer(users_app, name="users")

demo_app = typer.Typer(
    help="Synthetic demonstration data for a fresh store (never production).", no_args_is_help=True
)
demo_app.command("seed")(demo_cmd.seed)
app.add_typer(demo_app, name="demo")

audit_app = typer.Typer(help="The service's tamper-evident audit trail.", no_args_is_help=True)
audit_app.command("verify")(service_cmd.audit_verify)
audit_app.command("head")(service_cmd.audit_head)
app.add_typer(audit_app, name="audit")


if __name__ == "__main__":  # pragma: no cover
    app()
