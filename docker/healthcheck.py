#!/usr/bin/env python3
"""The container's health check: exit 0 when the service is ready to score, 1 otherwise.

Usage: ``triage-healthcheck [--live] [URL]``, URL defaulting to
``http://127.0.0.1:$TRIAGE_PORT/health``.

Ready (the default, used by the image's HEALTHCHECK): ``/health`` answers 200, which it does
once a champion model is loaded. ``--live``: 503 (no model yet) will do as well, for a liveness
probe that must not restart a service that is merely waiting for its first model.
The standard library only: the slim image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4.0


def default_url() -> str:
    """The service's own /health on the loopback interface."""
    return f"http://127.0.0.1:{os.environ.get('TRIAGE_PORT', '8000')}/health"


def status_of(url: str) -> int | None:
    """The HTTP status ``url`` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except (OSError, ValueError):  # refused, timed out, unresolvable, malformed URL
        return None


def main(argv: list[str]) -> int:
    """Check the service once; print one line saying why when it fails."""
    live = "--live" in argv
    urls = [arg for arg in argv if arg != "--live"]
    url = urls[0] if urls else default_url()
    status = status_of(url)
    if status is None:
        print(f"unhealthy: no answer from {url}")
        return 1
    if status == 200 or (live and status == 503):
        return 0
    print(f"unhealthy: {url} answered {status}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
