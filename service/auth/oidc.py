"""The OpenID Connect relying party: discovery, the authorization-code flow with PKCE, and the
ID token's checks, all through Authlib (and joserfc, which it uses for JOSE).

Nothing talks to the provider until the first sign-in: its discovery document and keys are then
fetched and kept for an hour (the keys again at once when a token names a key not yet seen, as a
provider rotating its keys does). The ID token's signature is checked against the provider's
JWKS with the algorithms it announces, then its issuer, audience (and ``azp``), expiry, issue
time, nonce and ``at_hash``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from config.settings import Settings

CACHE_SECONDS = 3600
HTTP_TIMEOUT = 10.0
LEEWAY_SECONDS = 60  # clocks differ a little between the provider and the service


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered with something unusable."""


class InvalidIdToken(Exception):
    """The ID token failed a check; ``reason`` names which (audited, never shown raw)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Cache:
    metadata: dict[str, Any] | None = None
    keys: dict[str, Any] | None = None
    fetched_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class OidcClient:
    """The service as a client of one OpenID provider (shared by every request)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        secret = settings.oidc_client_secret
        self.client_secret = secret.get_secret_value() if secret else None
        self.scope = settings.oidc_scopes
        self.clock = clock
        self._cache = _Cache()

    def _http(self, **kwargs: Any) -> OAuth2Client:
        method = "client_secret_basic" if self.client_secret else "none"
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=method,
            code_challenge_method="S256",
            scope=self.scope,
            timeout=HTTP_TIMEOUT,
            **kwargs,
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            data = response.json()
        except Exception as error:  # network, HTTP status or JSON: all mean "not usable now"
            raise ProviderUnavailable(f"{url}: {type(error).__name__}") from error
        if not isinstance(data, dict):
            raise ProviderUnavailable(f"{url}: not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached; its issuer must be the configured one)."""
        with self._cache.lock:
            fresh = self.clock() - self._cache.fetched_at < CACHE_SECONDS
            if self._cache.metadata is None or not fresh:
                found = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
                if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                    raise ProviderUnavailable("the discovery document names another issuer")
                self._cache.metadata, self._cache.keys = found, None
                self._cache.fetched_at = self.clock()
            return self._cache.metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (its JWKS), fetched again when ``refresh``."""
        metadata = self.metadata()
        with self._cache.lock:
            if self._cache.keys is None or refresh:
                self._cache.keys = self._get_json(str(metadata["jwks_uri"]))
            return KeySet.import_key_set(self._cache.keys)  # type: ignore[arg-type]

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        """Where to send the browser: the authorization endpoint with PKCE, state and nonce."""
        endpoint = str(self.metadata()["authorization_endpoint"])
        with self._http(redirect_uri=redirect_uri) as http:
            url, _ = http.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=code_verifier
            )
        return str(url)

    def exchange(self, *, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        """Trade the authorization code (and PKCE verifier) for tokens at the token endpoint."""
        endpoint = str(self.metadata()["token_endpoint"])
        try:
            with self._http(redirect_uri=redirect_uri) as http:
                token = http.fetch_token(endpoint, code=code, code_verifier=code_verifier)
        except Exception as error:  # an OAuth error answer (e.g. a code used twice) or network
            raise InvalidIdToken(f"token_endpoint: {type(error).__name__}") from error
        if "id_token" not in token:
            raise InvalidIdToken("no_id_token")
        return dict(token)

    def validate(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The claims of a valid ID token for this client and nonce (else InvalidIdToken)."""
        metadata = self.metadata()
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in algorithms if a != "none"]
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                token = jwt.decode(id_token, self.keys(), registry=registry)
            except InvalidKeyIdError:  # a key we have not seen: the provider may have rotated
                token = jwt.decode(id_token, self.keys(refresh=True), registry=registry)
            params: dict[str, Any] = {"nonce": nonce, "client_id": self.client_id}
            if access_token:
                params["access_token"] = access_token
            options = {
                "iss": {"essential": True, "values": [str(metadata["issuer"])]},
                "aud": {"essential": True, "values": [self.client_id]},
            }
            claims = CodeIDToken(token.claims, token.header, options, params)
            if not nonce or "nonce" not in claims:  # always sent, so always required back
                raise InvalidIdToken("nonce")
            claims.validate(now=int(self.clock()), leeway=LEEWAY_SECONDS)
        except JoseError as error:
            raise InvalidIdToken(_reason(error)) from error
        return dict(claims)

    def end_session_url(self, *, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """The provider's sign-out URL (RP-initiated logout), or None where it offers none."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except ProviderUnavailable:
            return None
        if not endpoint:
            return None
        from authlib.common.urls import add_params_to_uri

        params = [("client_id", self.client_id)]
        params.append(("post_logout_redirect_uri", post_logout_redirect_uri))
        if id_token:
            params.append(("id_token_hint", id_token))
        return str(add_params_to_uri(str(endpoint), params))


def _reason(error: JoseError) -> str:
    """A short name for a failed check: the error's kind and the claim it names."""
    claim = getattr(error, "claim", None)
    return f"{error.error}:{claim}" if claim else str(error.error)
