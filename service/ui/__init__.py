"""Server-rendered pages (GOV.UK Design System styles) on the same services as the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from config.settings import Settings

HERE = Path(__file__).parent


def install_ui(app: FastAPI, settings: Settings) -> None:
    """Mount the pages, their static files and their error pages (refuses a missing key)."""
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    from service.ui import inbox_pages, oidc_pages, router, session, timeliness_pages

    app.state.ui_signer = session.serializer(session.secret_key(settings))
    app.state.ui_templates = Jinja2Templates(directory=HERE / "templates")
    app.state.oidc = None
    if settings.oidc_enabled:  # no network here: discovery waits for the first sign-in
        from service.auth.oidc import OidcClient

        app.state.oidc = OidcClient(settings)
    app.include_router(router.router)
    app.include_router(oidc_pages.router)
    app.include_router(inbox_pages.router)
    app.include_router(timeliness_pages.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_exception_handler(router.PageError, router.page_error)
    app.add_exception_handler(router.LoginRequired, router.login_required)
    app.add_middleware(session.RefreshSessionMiddleware)  # idle sessions end, used ones go on
