"""Who may see the staff pages: STAFF_TOKEN as a bearer header, or a signed session cookie.

The cookie (itsdangerous, HttpOnly, SameSite=Lax) carries a random CSRF token that every POST form
sends back in a hidden field. Bearer requests carry no cookie, so they need no CSRF token.

Guessing the token is throttled, never a valid credential: after MAX_FAILURES wrong tokens (login
form or bearer) from one client address within WINDOW_SECONDS, or GLOBAL_MAX_FAILURES from all
addresses together (rotating X-Forwarded-For gains nothing), further guesses and the login form
are refused (429, Retry-After) until the oldest failure leaves the window. A valid cookie or bearer
is always let in. The staff pages count in the state database (``staff_failures``, client addresses
hashed), so every process and instance shares the lockout; without a database, in memory.

Each cookie carries a random session id; logging out records it as revoked in the state database
(``staff_revoked``), so the old cookie stops working at once rather than after SESSION_SECONDS.
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

from state import Database, SecretKey, Target, open_database

__all__ = ["COOKIE", "GLOBAL_MAX_FAILURES", "LoginThrottle", "Session", "StaffAuth"]

COOKIE = "khomun_staff"
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
GLOBAL_MAX_FAILURES = 50
WINDOW_SECONDS = 15 * 60
_GLOBAL = "\0all"  # the key of every failure together (never a client address)


class LoginThrottle:
    """Wrong-token attempts per client address in a sliding window: in the state database at
    ``db`` when given (shared by processes and instances; the clock is then wall time), else in
    this process's memory."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] | None = None,
        global_max: int = GLOBAL_MAX_FAILURES,
        db: Target | None = None,
        *,
        key: SecretKey,
    ) -> None:
        self._key = key
        self.max_failures = max_failures
        self.global_max = global_max
        self.window = window
        self._clock = clock or (time.time if db is not None else time.monotonic)
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._db: Database | None = open_database(db) if db is not None else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _client_key(self, client: str) -> str:
        """A client address as the database keeps it (hashed: addresses are personal data)."""
        return self._key.hash_id("staff-client", "web", client)

    def _shared_wait(self, db: Database, client: str) -> int:
        now = self._clock()
        waits = [0]
        for key, limit in ((self._client_key(client), self.max_failures), ("", self.global_max)):
            row = db.execute(
                "SELECT at FROM staff_failures WHERE at > ?"
                + (" AND client = ?" if key else "")
                + " ORDER BY at DESC LIMIT 1 OFFSET ?",
                (now - self.window, *([key] if key else []), limit - 1),
            ).fetchone()
            if row is not None:
                waits.append(max(1, int(row[0] + self.window - now) + 1))
        return max(waits)

    def _recent(self, client: str) -> deque[float]:
        times = self._failures.get(client, deque())
        cutoff = self._clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failures.pop(client, None)
        return times

    def wait(self, client: str) -> int:
        """Seconds until ``client`` may guess again (its own failures, or everyone's); 0 when it
        may now."""
        if self._db is not None:
            return self._shared_wait(self._db, client)
        with self._lock:
            waits = [0]
            for key, limit in ((client, self.max_failures), (_GLOBAL, self.global_max)):
                times = self._recent(key)
                if len(times) >= limit:
                    waits.append(max(1, int(times[-limit] + self.window - self._clock()) + 1))
            return max(waits)

    def failed(self, client: str) -> None:
        if self._db is not None:
            now = self._clock()
            with self._db.transaction() as tx:
                tx.execute("DELETE FROM staff_failures WHERE at <= ?", (now - self.window,))
                tx.execute(
                    "INSERT INTO staff_failures (client, at) VALUES (?, ?)", (self._client_key(client), now)
                )
            return
        with self._lock:
            self._recent(client)
            if len(self._failures) > 10_000:  # a flood of addresses: forget the oldest
                self._failures.pop(next(k for k in self._failures if k != _GLOBAL))
            now = self._clock()
            self._failures.setdefault(client, deque()).append(now)
            everyone = self._failures.setdefault(_GLOBAL, deque())
            everyone.append(now)
            while len(everyone) > self.global_max:
                everyone.popleft()


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    via: str  # "cookie" or "bearer"
    sid: str = ""  # the cookie's session id


class Revoked:
    """Session ids ended by logout, in the state database (shared by worker processes), kept as
    long as a cookie could live."""

    def __init__(self, path: Target | None) -> None:
        self._path = path
        self._memory: set[str] = set()
        self._opened: Database | None = None
        self._lock = threading.Lock()

    def _db(self) -> Database | None:
        if self._path is None:
            return None
        with self._lock:
            if self._opened is None:
                self._opened = open_database(self._path)
            return self._opened

    def add(self, sid: str) -> None:
        self._memory.add(sid)
        db = self._db()
        if db is None:
            return
        now = time.time()
        with db.transaction() as tx:
            tx.execute("DELETE FROM staff_revoked WHERE at < ?", (now - SESSION_SECONDS,))
            tx.execute("INSERT INTO staff_revoked (sid, at) VALUES (?, ?) ON CONFLICT DO NOTHING", (sid, now))

    def __contains__(self, sid: str) -> bool:
        if sid in self._memory:
            return True
        db = self._db()
        if db is None:
            return False
        return db.execute("SELECT 1 FROM staff_revoked WHERE sid = ?", (sid,)).fetchone() is not None

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()
                self._opened = None


class StaffAuth:
    def __init__(self, staff_token: str, secret: SecretKey, state_path: Target | None = None) -> None:
        self.token = staff_token
        self.revoked = Revoked(state_path)
        # signed with the service's secret key (KHOMUN_SECRET_KEY or the generated one), so a
        # cookie made elsewhere is worthless; the token's keyed tag in it: rotating the token
        # logs everyone out
        key = secret.derive("staff-session")
        self._signer = URLSafeTimedSerializer(key, salt="khomun-staff")
        self._token_tag = hmac.new(key, b"tag|" + staff_token.encode(), hashlib.sha256).hexdigest()[:16]

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
        sid = str(data.get("sid", ""))
        if not sid or sid in self.revoked:
            return None
        return Session(str(data["csrf"]), "cookie", sid)

    def login(self, response: Response, secure: bool) -> None:
        value = self._signer.dumps(
            {"csrf": secrets.token_urlsafe(24), "t": self._token_tag, "sid": secrets.token_urlsafe(16)}
        )
        response.set_cookie(
            COOKIE,
            value,
            max_age=SESSION_SECONDS,
            path="/staff",
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def logout(self, session: Session, response: Response) -> None:
        """End the session here (its id is revoked) and in the browser."""
        if session.sid:
            self.revoked.add(session.sid)
        response.delete_cookie(COOKIE, path="/staff", httponly=True, samesite="lax")

    @staticmethod
    def csrf_ok(session: Session, given: str) -> bool:
        if session.via == "bearer":
            return True
        return bool(given) and hmac.compare_digest(given.encode(), session.csrf.encode())
