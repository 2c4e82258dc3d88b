"""How a station talks to central: a tiny interface (POST bytes, get status/bytes/headers),
with an HTTP implementation (urllib) and one over Django's test client for tests."""

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext as _

from ektp.errors import DomainError


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)


class Transport(Protocol):
    base_url: str

    def post(self, path: str, body: bytes, headers: dict) -> Response: ...


class SyncUnavailable(DomainError):
    """Central could not be reached, or answered with something unusable: try again later."""

    status = 503
    code = "central_unavailable"


class HttpTransport:
    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, path: str, body: bytes, headers: dict) -> Response:
        request = urllib.request.Request(
            self.base_url + path, data=body, method="POST",
            headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return Response(answer.status, answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), dict(error.headers))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SyncUnavailable(_("Server pusat tidak dapat dihubungi: %(e)s") % {"e": exc},
                                  code="central_unreachable") from exc


class DjangoClientTransport:
    """Central in the same process (tests): Django's test client as the wire."""

    def __init__(self, client=None, base_url: str = "http://testserver"):
        from django.test import Client

        self.client = client or Client()
        self.base_url = base_url

    def post(self, path: str, body: bytes, headers: dict) -> Response:
        answer = self.client.post(path, data=body, content_type="application/json",
                                  headers=headers)
        return Response(answer.status_code, answer.content, dict(answer.headers))


def basic_auth(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def error_of(response: Response) -> tuple[str, str]:
    try:
        data = json.loads(response.body)
        return str(data.get("code", "")), str(data.get("detail", ""))
    except (ValueError, AttributeError):
        return "", response.body[:200].decode("utf-8", "replace")


def call_json(transport: Transport, path: str, body: bytes, headers: dict, *,
              expect: int = 200) -> dict:
    response = transport.post(path, body, headers)
    if response.status != expect:
        code, detail = error_of(response)
        if 400 <= response.status < 500 and code:
            raise DomainError(detail, code=code, status=response.status)
        raise SyncUnavailable(_("Jawaban server pusat %(s)d: %(d)s")
                              % {"s": response.status, "d": detail})
    try:
        return json.loads(response.body)
    except ValueError as exc:
        raise SyncUnavailable(_("Jawaban server pusat tidak terbaca")) from exc
