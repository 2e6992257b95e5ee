"""A real OpenID provider for the tests: panva's certified ``oidc-provider`` under Node.js,
started from ``tests/oidc_provider`` on a free loopback port with a signing key the tests hold.

Its package comes from the npm registry through the lockfile (``npm ci --prefix
tests/oidc_provider``; ``.ci/run`` does it, with Debian's ``nodejs`` and ``npm``). Without Node.js
or the package these tests are skipped with one line saying so, and fail under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"
CLIENT_ID = "triage"
CLIENT_SECRET = "a-client-secret-for-the-tests-only"
KID = "test-signing-key"
# Two people in different groups, a team leader also in the duty workers' group, and one whose
# only group gives no role here.
ACCOUNTS = {
    "amira": {"preferred_username": "amira", "groups": ["g-duty"], "teams": ["north"]},
    "lee": {
        "preferred_username": "lee",
        "groups": ["g-leaders", "g-duty"],
        "teams": ["north", "south"],
    },
    "nobody": {"preferred_username": "nobody", "groups": ["g-finance"], "teams": ["north"]},
}
ROLE_MAP = {"g-duty": "duty_worker", "g-leaders": "team_leader", "g-data": "data_team"}
SUBMIT = re.compile(r'<form[^>]*action="([^"]+)"')


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable() -> str | None:
    """Why the provider cannot start here (None when it can)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm missing: apt-get install -y nodejs npm (.ci/run does); OIDC tests skipped"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider not installed: npm ci --prefix tests/oidc_provider (.ci/run does)"
    return None


def require_provider() -> None:
    """Skip (locally) or fail (under CI=true) when the provider cannot start."""
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@dataclass
class Provider:
    """A running provider: its issuer, the private key it signs with, and its client."""

    issuer: str
    key: RSAKey
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        """An ID token with these claims, signed as the provider signs (or with ``key``)."""
        return jwt.encode({"alg": "RS256", "kid": KID}, claims, key or self.key)

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The service's OIDC settings for this provider."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": self.client_id,
            "oidc_client_secret": self.client_secret,
            "oidc_role_map": ROLE_MAP,
            "oidc_team_claim": "teams",
            **extra,
        }


@contextmanager
def running_provider(workdir: Path, app_bases: list[str]) -> Iterator[Provider]:
    """Start the provider for a service reached at ``app_bases``; stop it afterwards."""
    require_provider()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    key = RSAKey.generate_key(2048, {"kid": KID, "use": "sig", "alg": "RS256"}, private=True)
    config = {
        "issuer": issuer,
        "port": port,
        "jwks": {"keys": [key.as_dict(private=True)]},
        "accounts": ACCOUNTS,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{b}/ui/oidc/callback" for b in app_bases],
                "post_logout_redirect_uris": [f"{b}/ui/login" for b in app_bases],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }
        ],
    }
    path = workdir / "oidc-provider.json"
    path.write_text(json.dumps(config))
    log = (workdir / "oidc-provider.log").open("w+")
    process = subprocess.Popen(
        ["node", str(PROVIDER_DIR / "provider.mjs"), str(path)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "ready", or "" if it died
        if line.strip() != "ready":
            log.seek(0)
            raise AssertionError(f"the OpenID provider did not start: {log.read()[-2000:]}")
        yield Provider(issuer, key)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def sign_in_at_provider(authorization_url: str, login: str) -> str:
    """Do what a person does at the provider (type their account name into its sign-in form)
    and return the URL it sends the browser back to (the service's callback)."""
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        response = browser.get(authorization_url)
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if "/ui/" in location:
                    return location
                response = browser.get(location)
            elif response.status_code == 200 and 'name="login"' in response.text:
                action = SUBMIT.search(response.text)
                assert action, "the provider's sign-in page has no form"
                form = {"prompt": "login", "login": login, "password": "any"}
                response = browser.post(urljoin(str(response.url), action.group(1)), data=form)
            else:
                raise AssertionError(f"unexpected provider answer {response.status_code}")
    raise AssertionError("the provider never sent the browser back")
