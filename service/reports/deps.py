"""The app's report refresher, for the routes and pages that serve stored reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.reports.refresh import Refresher


async def get_refresher(request: Request) -> Refresher:
    """The app's refresher (one per process, built with the app)."""
    return request.app.state.report_refresher


RefresherDep = Annotated[Refresher, Depends(get_refresher)]
