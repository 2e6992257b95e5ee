"""The pages under ``/ui``: another face of the same services as the JSON routes.

Each handler parses a form into the API's schema, calls the same service function as its JSON
route, and renders a template or redirects (post/redirect/get). Rules live in the services.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from config.settings import Settings
from data.workdays import working_days_between
from service.auth import page_sessions
from service.auth.schemas import Caller, Role
from service.auth.service import authenticate, leaders
from service.auth.tables import User
from service.auth.teams import user_teams
from service.completions import service as completions
from service.completions.schemas import CompletionIn
from service.contacts import service as contacts
from service.contacts.schemas import CONTACT_ID_PATTERN, ContactIn
from service.db import Database
from service.decisions import service as decisions
from service.decisions.flags import FlagCode
from service.decisions.schemas import DecisionIn
from service.decisions.timing import decision_due
from service.deps import (
    ClockDep,
    DatabaseDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    client_address,
)
from service.errors import (
    FIELD_RULE_ERRORS,
    Conflict,
    DomainError,
    InvalidField,
    NotFound,
    invalid_field,
)
from service.reports.deps import RefresherDep
from service.reports.service import stored_report
from service.reviews import service as reviews
from service.reviews.schemas import ResolveIn
from service.ui import forms, session
from service.ui.chart import waterfall

router = APIRouter(prefix="/ui", include_in_schema=False)
HOME = {  # duty workers and team leaders land on the inbox of incoming work
    Role.DUTY_WORKER: "/ui/inbox",
    Role.TEAM_LEADER: "/ui/inbox",
    Role.DATA_TEAM: "/ui/fairness",
}
WORKERS = (Role.DUTY_WORKER, Role.TEAM_LEADER)
LEADERS = (Role.TEAM_LEADER,)
READERS = (Role.TEAM_LEADER, Role.DATA_TEAM)
# A new form starts at the contract's defaults: not known, never the first item of a list.
NEW_CONTACT = {"concerns": [], "child_sex": "U", "child_ethnicity": "NOBT", "child_disability": "U"}


class PageError(Exception):
    """A page answered with an error page (403, 404, 409 ...)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class LoginRequired(Exception):
    """No signed-in user: go to the sign-in page, then come back."""

    def __init__(self, back: str) -> None:
        super().__init__(back)
        self.back = back


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered with the caller, the CSRF token and the code lists."""
    page = session.load(request)
    caller = getattr(request.state, "page_caller", None)
    context |= {"caller": caller, "csrf": page.csrf if page else "", "choices": forms.CHOICES}
    context |= {"reason_labels": forms.REASON_LABELS, "home": home_of(caller)}
    templates = request.app.state.ui_templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def home_of(caller: Caller | None) -> str:
    """Where a user starts."""
    return HOME.get(caller.role, "/ui/login") if caller else "/ui/login"


def see_other(url: str) -> RedirectResponse:
    """Post/redirect/get."""
    return RedirectResponse(url, status_code=303)


@contextmanager
def found_or_404(what: str) -> Iterator[None]:
    """Within this block a service's NotFound becomes a 404 page about ``what``."""
    try:
        yield
    except NotFound as error:
        raise PageError(404, f"{what} not found", str(error.detail)) from error


def page_user(*roles: Role) -> Callable[..., Caller]:
    """A dependency: the signed-in, active user with one of ``roles`` (else login or 403)."""

    def check(request: Request, db: DatabaseDep) -> Caller:
        found = signed_in(request, db)
        if found is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(back)
        user, teams = found
        caller = Caller(user.name, Role(user.role), request.state.request_id, teams)
        request.state.page_caller = caller
        if caller.role not in roles:
            raise PageError(403, "You cannot open this page", "Your role does not allow it.")
        return caller

    return check


def signed_in(request: Request, db: Database) -> tuple[User, frozenset[str]] | None:
    """The active user of the request's live page session and their teams, or None.

    The session's last-seen time moves on (it ends after ``TRIAGE_SESSION_HOURS`` idle).
    """
    page = session.load(request)
    if page is None or page.sid is None:
        return None
    hours = request.app.state.settings.session_hours
    now = datetime.fromtimestamp(session.now(), UTC)
    with db.write.begin() as write:
        found = page_sessions.current(write, page.sid, hours=hours, now=now)
        if found is None:
            return None
        user = found[0]
        return user, user_teams(write, user.name)


async def checked_form(request: Request) -> FormData:
    """The posted form, if its CSRF token matches the session's (else 403)."""
    form = await request.form()
    if not session.csrf_ok(session.load(request), form.get(session.CSRF_FIELD)):
        raise PageError(
            403, "This form has expired", "Go back, reload the page and send the form again."
        )
    return form


Form = Annotated[FormData, Depends(checked_form)]
Worker = Annotated[Caller, Depends(page_user(*WORKERS))]
Leader = Annotated[Caller, Depends(page_user(*LEADERS))]
Reader = Annotated[Caller, Depends(page_user(*READERS))]


# --- sign in and out -------------------------------------------------------------------------


@router.get("")
def start(request: Request, db: DatabaseDep) -> RedirectResponse:
    """Send a visitor to their first page (signing in first if need be)."""
    found = signed_in(request, db)
    user = found[0] if found else None
    if user is not None and Role(user.role) in HOME:
        return see_other(HOME[Role(user.role)])
    return see_other("/ui/login")


@router.get("/login")
def login_page(request: Request, next: str = "") -> HTMLResponse:
    """The sign-in page (starts an anonymous session for its CSRF token)."""
    page = session.load(request) or session.new()
    response = render_login(request, page, next, {})
    session.save(request, response, page)
    return response


def render_login(
    request: Request,
    page: session.PageSession,
    back: str,
    errors: dict[str, str],
    status: int | None = None,
) -> HTMLResponse:
    """The sign-in page with a given session's token."""
    settings: Settings = request.app.state.settings
    templates = request.app.state.ui_templates
    context: dict[str, Any] = {"caller": None, "csrf": page.csrf, "errors": errors}
    context |= {"next": safe_next(back), "home": "/ui/login", "oidc": settings.oidc_enabled}
    context["token_signin"] = settings.token_signin_enabled
    status = status or (401 if errors else 200)
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


def safe_next(back: str) -> str:
    """Only a page of this service to go back to after signing in."""
    return back if back.startswith("/ui/") and not back.startswith("//") else ""


@router.post("/login")
def login(request: Request, db: DatabaseDep, settings: SettingsDep, form: Form) -> Response:
    """Sign in with an API token (unless OIDC replaced it); a new session on success."""
    token = str(form.get("token") or "").strip()
    back = str(form.get("next") or "")
    request_id = request.state.request_id
    page = session.load(request) or session.new()
    if not settings.token_signin_enabled:
        with db.write.begin() as write:
            page_sessions.refuse(
                write, None, method="token", reason="token_signin_off", request_id=request_id
            )
        message = "Token: sign-in with a token is turned off; use your organisation's account"
        return render_login(request, page, back, {"token": message}, status=403)
    throttle, address = request.app.state.signin_throttle, client_address(request)
    if token and throttle is not None and (wait := throttle.retry_after(address, token)):
        message = f"Token: too many failed sign-ins; try again in {wait} seconds"
        refused = render_login(request, page, back, {"token": message}, status=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    with db.write.begin() as write:
        user = authenticate(write, token) if token else None
        if user is None:
            reason = "no_token" if not token else "unknown_or_revoked_token"
            page_sessions.refuse(write, None, method="token", reason=reason, request_id=request_id)
        else:
            sid = page_sessions.start(write, user, method="token", request_id=request_id)
            role = Role(user.role)
    if user is None:
        if token and throttle is not None:
            throttle.failed(address, token)
        message = (
            "Token: enter your API token" if not token else "Token: not valid, revoked or expired"
        )
        return render_login(request, page, back, {"token": message})
    response = see_other(safe_next(back) or HOME.get(role, "/ui/login"))
    session.save(request, response, session.new(sid))
    return response


@router.post("/logout")
def logout(request: Request, db: DatabaseDep, form: Form) -> RedirectResponse:
    """Sign out: end the server-side session (every copy of the cookie) and, for a provider
    sign-in, the provider's session too where it offers that."""
    page = session.load(request)
    ended: tuple[str, str | None] | None = None
    if page is not None and page.sid is not None:
        with db.write.begin() as write:
            record = page_sessions.end(write, page.sid, request_id=request.state.request_id)
            ended = (record.method, record.id_token) if record else None
    response = see_other(provider_sign_out(request, ended) or "/ui/login")
    session.clear(request, response)
    return response


def provider_sign_out(request: Request, ended: tuple[str, str | None] | None) -> str | None:
    """Where to end the provider's session after ending ours (None: nowhere)."""
    client = getattr(request.app.state, "oidc", None)
    if ended is None or ended[0] != "oidc" or client is None:
        return None
    return client.end_session_url(
        id_token=ended[1], post_logout_redirect_uri=public_url(request, "/ui/login")
    )


def public_url(request: Request, path: str) -> str:
    """``path`` on this service as the browser (or the provider) reaches it."""
    configured = request.app.state.settings.oidc_redirect_uri
    if configured:
        from urllib.parse import urlsplit

        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}{path}"
    return str(request.base_url).rstrip("/") + path


# --- contacts --------------------------------------------------------------------------------


@router.get("/contacts/new")
def new_contact(request: Request, caller: Worker) -> HTMLResponse:
    """The contact form."""
    values = {**NEW_CONTACT, "team_id": min(caller.teams, default="")}  # the first of theirs
    return render(request, "contact_new.html", values=values, errors={})


@router.post("/contacts/new")
def score_contact(
    request: Request, caller: Worker, db: DatabaseDep, settings: SettingsDep, form: Form
) -> Response:
    """Score a contact as ``POST /v1/contacts/score`` does, then show its second opinion."""
    body = forms.contact_input(form)
    values = {**body, **{k: form.get(k) for k in ("child_age_years", "prior_contacts_12m")}}
    values |= {k: form.get(k) for k in forms.CONTACT_BOOLS}
    contact, errors = forms.validate(ContactIn, body, forms.CONTACT_LABELS)
    if contact is not None:
        try:
            model = request.app.state.champion
            if model is None:
                raise PageError(503, "No model is loaded", "Ask the data team to register one.")
            contacts.score_contacts(
                db,
                model,
                [contact],
                by=caller,
                settings=settings,
                narrative=request.app.state.narrative,
                batch=False,
            )
            return see_other(f"/ui/contacts/{contact.contact_id}")
        except (Conflict, InvalidField) as error:
            errors = domain_messages(error, "contact_id", forms.CONTACT_LABELS)
    return render(request, "contact_new.html", 422, values=values, errors=errors)


def domain_messages(error: DomainError, field: str, labels: dict[str, str]) -> dict[str, str]:
    """A service's refusal as a message next to the field it names (else ``field``)."""
    if isinstance(error, InvalidField):
        return forms.messages(error.detail, labels)
    return {field: f"{labels.get(field, field)}: {error.detail}"}


@router.get("/contacts/{contact_id}")
def contact_page(
    request: Request,
    caller: Worker,
    db_session: SessionDep,
    contact_id: str,
    decision: str = "",
    completed: str = "",
) -> HTMLResponse:
    """A contact's second opinion and its decisions, as ``GET /v1/contacts/{id}`` gives them."""
    return render_contact(
        request, db_session, contact_id, caller, recorded=decision, completed=completed == "1"
    )


def render_contact(
    request: Request,
    db_session: Any,
    contact_id: str,
    caller: Caller,
    *,
    recorded: str = "",
    completed: bool = False,
    values: dict[str, Any] | None = None,
    completion: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The contact page, with the decision and assessment forms as typed and their errors."""
    found = stored_contact(db_session, contact_id, caller)
    latest = found["decisions"][-1] if found["decisions"] else None
    today = request.app.state.clock.today()
    settings = request.app.state.settings
    due = decision_due(db_session.connection(), contact_id, settings)
    assessment = completions.assessment_state(db_session, contact_id, settings)
    context = {
        **found,
        "clock": due_clock(due, today),
        "social_work": assessment,
        "assessment_clock": due_clock(assessment.due_on, today) if assessment else None,
        "completed": completed,
        "chart": waterfall(found["assessment"]["explanation"]),
        "recorded": latest if latest and latest.decision_id == recorded else None,
        "values": values or {"reasons": []},
        "completion": completion or {},
        "errors": errors or {},
    }
    return render(request, "contact.html", 422 if errors else 200, **context)


def due_clock(due: date, today: date) -> dict[str, Any]:
    """The decision's clock in words; ``late`` asks the form for late reasons."""
    late = today > due
    if late:
        days = working_days_between(due, today)
        text = f"{days} working day{'s' if days != 1 else ''} overdue"
    elif today == due:
        text = "due today"
    else:
        text = f"due in {working_days_between(today, due)} working days"
    return {"due_on": due, "text": text, "late": late}


def stored_contact(db_session: Any, contact_id: str, caller: Caller) -> dict[str, Any]:
    """The stored contact (its viewing audited), or a 404 page."""
    if not re.fullmatch(CONTACT_ID_PATTERN, contact_id):
        raise PageError(404, "Contact not found", "No contact has that ID.")
    with found_or_404("Contact"):
        return decisions.contact_with_decisions(
            db_session, contact_id, by=caller, reviews=reviews.QUEUE
        )


@router.post("/contacts/{contact_id}/decision")
def decide(
    request: Request,
    caller: Worker,
    db_session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    contact_id: str,
    form: Form,
) -> Response:
    """Record a decision as ``POST /v1/contacts/{id}/decision`` does; show its flags at once."""
    body = forms.decision_input(form)
    decision, errors = forms.validate(DecisionIn, body, forms.DECISION_LABELS)
    if decision is None:
        return render_contact(request, db_session, contact_id, caller, values=body, errors=errors)
    try:
        with found_or_404("Contact"):
            recorded = decisions.decide(
                db_session,
                contact_id,
                decision,
                by=caller,
                settings=settings,
                reviews=reviews.QUEUE,
                now=clock.now(),
            )
    except FIELD_RULE_ERRORS as error:
        db_session.rollback()
        errors = domain_messages(invalid_field(error), "decision", forms.DECISION_LABELS)
        return render_contact(request, db_session, contact_id, caller, values=body, errors=errors)
    return see_other(f"/ui/contacts/{contact_id}?decision={recorded.decision_id}")


@router.post("/contacts/{contact_id}/assessment")
def complete_assessment(
    request: Request,
    caller: Worker,
    db_session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    contact_id: str,
    form: Form,
) -> Response:
    """Complete the assessment as ``POST /v1/contacts/{id}/assessment`` does."""
    body = forms.completion_input(form)
    typed = forms.on_completion_form(body)
    completion, errors = forms.validate(CompletionIn, body, forms.COMPLETION_LABELS)
    if completion is not None:
        try:
            with found_or_404("Contact"):
                completions.complete_assessment(
                    db_session,
                    contact_id,
                    completion,
                    by=caller,
                    settings=settings,
                    now=clock.now(),
                )
            return see_other(f"/ui/contacts/{contact_id}?completed=1#assessment-heading")
        except FIELD_RULE_ERRORS as error:
            db_session.rollback()
            errors = domain_messages(invalid_field(error), "outcome", forms.COMPLETION_LABELS)
        except (InvalidField, Conflict) as error:
            db_session.rollback()
            errors = domain_messages(error, "outcome", forms.COMPLETION_LABELS)
    return render_contact(
        request,
        db_session,
        contact_id,
        caller,
        completion=typed,
        errors=forms.on_completion_form(errors),
    )


# --- reviews ---------------------------------------------------------------------------------


@router.get("/reviews")
def review_queue(request: Request, caller: Leader, db_session: ReadSessionDep) -> HTMLResponse:
    """The review queue with filters, as ``GET /v1/reviews`` lists it."""
    query = request.query_params
    errors: dict[str, str] = {}
    allowed: dict[str, tuple[str, ...]] = {
        "status": ("open", "resolved"),
        "flag": tuple(f.value for f in FlagCode),
        "age_band": tuple(v for v, _ in forms.CHOICES["age_band"]),
    }
    chosen: dict[str, str | None] = {}
    for name, values in allowed.items():
        value = query.get(name) or None
        if value is not None and value not in values:
            errors[name] = f"{name.replace('_', ' ').capitalize()}: choose one of the list"
            value = None
        chosen[name] = value
    team = (query.get("team") or "").strip()[:64] or None
    filters = reviews.ReviewFilters(
        status=chosen["status"] or "open",
        team=team,
        flag=chosen["flag"],
        age_band=chosen["age_band"],
    )
    cursor = query.get("cursor") or None
    try:
        found = reviews.list_reviews(db_session, filters, by=caller, limit=50, cursor=cursor)
    except InvalidField:
        found = reviews.list_reviews(db_session, filters, by=caller, limit=50, cursor=None)
    # For mypy: `values` named the choices' tuples in the loop above
    values = {"status": filters.status, "team": team or "", **chosen}  # type: ignore[assignment]
    # For mypy: as above: `values` is the dict built on the line before
    values["status"] = filters.status  # type: ignore[index]
    return render(
        request,
        "reviews.html",
        422 if errors else 200,
        page=found,
        values=values,
        errors=errors,
        # Those a review may go to: the leaders of the caller's teams.
        leaders=sorted({name for team in caller.teams for name in leaders(db_session, team)}),
    )


@router.get("/reviews/{review_id}")
def review_page(
    request: Request, caller: Leader, db_session: SessionDep, review_id: str
) -> HTMLResponse:
    """One review: the contact, its assessment, the worker's decision, and the resolve form."""
    return render_review(request, db_session, review_id, caller)


def render_review(
    request: Request,
    db_session: Any,
    review_id: str,
    caller: Caller,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The review page, with the resolve form as typed and its errors."""
    with found_or_404("Review"):
        item = reviews.get_review(db_session, review_id, by=caller)
    found = stored_contact(db_session, item.contact_id, caller)
    reviewed = next(d for d in found["decisions"] if d.decision_id == item.decision_id)
    context = {
        **found,
        "item": item,
        "reviewed": reviewed,
        "chart": waterfall(found["assessment"]["explanation"]),
        "leaders": [name for name in leaders(db_session, item.team_id) if name != item.decided_by],
        "values": values or {"reasons": []},
        "errors": errors or {},
    }
    return render(request, "review.html", 422 if errors and status == 200 else status, **context)


@router.post("/reviews/{review_id}/claim")
def claim(request: Request, caller: Leader, db_session: SessionDep, review_id: str, form: Form):
    """Claim a review, as ``POST /v1/reviews/{id}/claim`` does."""
    try:
        with found_or_404("Review"):
            reviews.claim(db_session, review_id, by=caller)
    except Conflict as error:
        db_session.rollback()
        return render_review(
            request, db_session, review_id, caller, errors={"claim": str(error.detail)}, status=409
        )
    return see_other(f"/ui/reviews/{review_id}")


@router.post("/reviews/{review_id}/assign")
def assign(request: Request, caller: Leader, db_session: SessionDep, review_id: str, form: Form):
    """Assign a review to a team leader, as ``POST /v1/reviews/{id}/assign`` does."""
    assignee = str(form.get("assignee") or "").strip()
    try:
        with found_or_404("Review"):
            reviews.assign(db_session, review_id, assignee, by=caller)
    except (Conflict, InvalidField) as error:
        db_session.rollback()
        errors = domain_messages(error, "assignee", {"assignee": "Assign to"})
        return render_review(request, db_session, review_id, caller, errors=errors, status=422)
    return see_other(f"/ui/reviews/{review_id}")


@router.post("/reviews/{review_id}")
def resolve(
    request: Request,
    caller: Leader,
    db_session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    review_id: str,
    form: Form,
):
    """Uphold or overturn, as ``POST /v1/reviews/{id}`` does."""
    body = forms.decision_input(form, with_outcome=True)
    typed = {**body, "decision": form.get("decision"), "reasons": form.getlist("reasons")}
    resolution, errors = forms.validate(ResolveIn, body, forms.DECISION_LABELS)
    if resolution is None:
        return render_review(request, db_session, review_id, caller, values=typed, errors=errors)
    try:
        with found_or_404("Review"):
            reviews.resolve(
                db_session,
                review_id,
                resolution,
                by=caller,
                settings=settings,
                now=clock.now(),
            )
    except FIELD_RULE_ERRORS as error:
        db_session.rollback()
        errors = domain_messages(invalid_field(error), "review_by", forms.DECISION_LABELS)
        return render_review(request, db_session, review_id, caller, values=typed, errors=errors)
    except Conflict as error:
        db_session.rollback()
        errors = {"outcome": f"Outcome: {error.detail}"}
        return render_review(
            request, db_session, review_id, caller, values=typed, errors=errors, status=409
        )
    return see_other(f"/ui/reviews/{review_id}")


# --- fairness --------------------------------------------------------------------------------


@router.get("/fairness")
def fairness_page(
    request: Request,
    caller: Reader,
    db: DatabaseDep,
    settings: SettingsDep,
    refresher: RefresherDep,
) -> HTMLResponse:
    """The latest stored fairness audit of the decisions, as ``GET /v1/fairness/report``."""
    report = stored_report(db, "fairness", settings, refresher, by=caller.name).as_dict()
    return render(request, "fairness.html", report=report)


# --- errors ----------------------------------------------------------------------------------


async def page_error(request: Request, exc: Exception) -> Response:
    """An error page in the service's layout."""
    assert isinstance(exc, PageError)
    context = {"title": exc.title, "message": exc.message}
    return render(request, "error.html", exc.status, **context)


async def login_required(request: Request, exc: Exception) -> Response:
    """To the sign-in page, coming back afterwards."""
    assert isinstance(exc, LoginRequired)
    return see_other(f"/ui/login?next={quote(exc.back, safe='')}")
