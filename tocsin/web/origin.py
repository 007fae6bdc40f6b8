"""Where a request really comes from: the client address and the page's origin.

Behind a reverse proxy the peer is the proxy. Its ``X-Forwarded-For`` and
``X-Forwarded-Proto`` / ``X-Forwarded-Host`` headers are believed only when the peer is
in ``TOCSIN_TRUSTED_PROXIES``; anyone else could write them to pose as another client.

:class:`OriginCheck` refuses a state-changing request whose ``Origin`` (or, without
one, ``Referer``) is neither the platform's own origin nor one of
``TOCSIN_ALLOWED_ORIGINS`` — a second line behind the CSRF token. Requests with
neither header (scripts using the API with a token) are left to the token check.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.errors import ConfigurationError
from tocsin.i18n import N_
from tocsin.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def trusted_networks(spec: str) -> tuple[Network, ...]:
    """Parse ``TOCSIN_TRUSTED_PROXIES``; a bad entry is named."""
    networks: list[Network] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"TOCSIN_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network"
            ) from None
    return tuple(networks)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    ip = _ip(address) if address else None
    return ip is not None and any(ip in net for net in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str],
                   networks: tuple[Network, ...]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the
    right-most ``X-Forwarded-For`` hop that is not itself a trusted proxy."""
    current = peer or "unknown"
    if not _trusted(peer, networks):
        return current
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:  # garbage in the header: stop at the last hop we can vouch for
            return current
        current = str(ip)
        if not any(ip in net for net in networks):
            return current
    return current


def request_client(request: Request, settings: Settings) -> str:
    """The client address of ``request`` under ``settings``' trusted proxies."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"),
                          trusted_networks(settings.trusted_proxies))


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-case, default port left out."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    shown = f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{shown}"


def allowed_origins(spec: str) -> frozenset[str]:
    origins: set[str] = set()
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        origin = _origin_of(item)
        if origin is None:
            raise ConfigurationError(N_("TOCSIN_ALLOWED_ORIGINS: %(value)s is not an origin "
                                        "such as https://tocsin.example.org", value=repr(item)))
        origins.add(origin)
    return frozenset(origins)


class OriginCheck:
    """Pure ASGI middleware: state-changing requests from foreign pages are refused (403)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.networks = trusted_networks(settings.trusted_proxies)
        self.allowed = allowed_origins(settings.allowed_origins)

    def own_origin(self, scope: Scope, headers: dict[str, str]) -> str | None:
        scheme = scope.get("scheme", "http")
        host = headers.get("host", "")
        client = scope.get("client")
        if _trusted(client[0] if client else None, self.networks):
            scheme = headers.get("x-forwarded-proto", str(scheme)).split(",")[0].strip().lower()
            host = headers.get("x-forwarded-host", host).split(",")[0].strip()
        return _origin_of(f"{scheme}://{host}") if host else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        claimed = headers.get("origin") or headers.get("referer")
        if claimed is None:
            await self.app(scope, receive, send)
            return
        origin = _origin_of(claimed) if claimed != "null" else None
        if origin is not None and (origin == self.own_origin(scope, headers)
                                   or origin in self.allowed):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        message = ("this request came from another site's page and was refused; "
                   "open Tocsin directly and try again")
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps({"detail": message}).encode()
            kind = b"application/json"
        else:
            body = (f"<!doctype html><title>Refused</title><h1>403 Refused</h1>"
                    f"<p>{message.capitalize()}.</p>").encode()
            kind = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", kind),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
