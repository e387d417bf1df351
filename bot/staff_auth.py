"""Who may see the staff pages: STAFF_TOKEN as a bearer header, or a signed session cookie.

The cookie (itsdangerous, HttpOnly, SameSite=Lax) carries a random CSRF token that every POST form
sends back in a hidden field. Bearer requests carry no cookie, so they need no CSRF token.

Guessing the token is throttled: after MAX_FAILURES wrong tokens (login form or bearer) from one
client address within WINDOW_SECONDS, that address is refused (429, Retry-After) until the oldest
failure leaves the window, even with the right token. The count is per process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["COOKIE", "LoginThrottle", "Session", "StaffAuth"]

COOKIE = "khomun_staff"
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    """Wrong-token attempts per client address in a sliding window."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        times = self._failures.get(client, deque())
        cutoff = self._clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failures.pop(client, None)
        return times

    def wait(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may now."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self.max_failures:
                return 0
            return max(1, int(times[0] + self.window - self._clock()) + 1)

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client)
            if len(self._failures) > 10_000:  # a flood of addresses: forget the oldest
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(client, deque()).append(self._clock())


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    via: str  # "cookie" or "bearer"


class StaffAuth:
    def __init__(self, staff_token: str, secret_key: str) -> None:
        self.token = staff_token
        # the session key: KHOMUN_SECRET_KEY, else derived from the staff token (rotating it logs all out)
        key = secret_key or hashlib.sha256(b"khomun-staff-session|" + staff_token.encode()).hexdigest()
        self._signer = URLSafeTimedSerializer(key, salt="khomun-staff")
        self._token_tag = hashlib.sha256(b"tag|" + staff_token.encode()).hexdigest()[:16]

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    def check_token(self, given: str) -> bool:
        return bool(self.token) and hmac.compare_digest(given.strip().encode(), self.token.encode())

    def session(self, request: Request) -> Session | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value:
            return Session("", "bearer") if self.check_token(value) else None
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("t") != self._token_tag or not data.get("csrf"):
            return None
        return Session(str(data["csrf"]), "cookie")

    def login(self, response: Response, secure: bool) -> None:
        value = self._signer.dumps({"csrf": secrets.token_urlsafe(24), "t": self._token_tag})
        response.set_cookie(
            COOKIE,
            value,
            max_age=SESSION_SECONDS,
            path="/staff",
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    @staticmethod
    def logout(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/staff", httponly=True, samesite="lax")

    @staticmethod
    def csrf_ok(session: Session, given: str) -> bool:
        if session.via == "bearer":
            return True
        return bool(given) and hmac.compare_digest(given.encode(), session.csrf.encode())
