"""The dashboard app's HTTP plumbing: strict JSON responses, one-line errors for bad
queries, unknown studies and crashes, and the security headers every response carries."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from nntune._json import dumps

# Only this origin's scripts and styles (plotly adds inline styles); nothing from elsewhere.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'")


def json_body(data: Any) -> str:
    """Strict JSON (non-finite numbers as null), as every JSON nntune writes."""
    return dumps(data, separators=(",", ":"))


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json_body(data), status_code=status, media_type="application/json",
                    headers={"cache-control": "no-store"})


def error(status: int, message: str) -> Response:
    return json_response({"error": message.splitlines()[0] if message else "error"}, status)


def _multi(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        out.setdefault(key, []).append(value)
    return out


async def _bad_query(request: Request, exc: Exception) -> Response:
    return error(400, str(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, f"study: {exc}")


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.status_code, str(exc.detail))


async def _crash(request: Request, exc: Exception) -> Response:
    return error(500, f"internal error: {type(exc).__name__}")


class SecurityHeaders:
    """Adds the content security policy (nothing loads from another origin) to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff")]
            await send(message)
        await self.app(scope, receive, with_headers)


async def _no_icon(request: Request) -> Response:
    return PlainTextResponse("", status_code=204)
