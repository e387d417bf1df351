"""One way to hash chat, user and client ids, and every other key the service derives: all from
the service's secret key (KHOMUN_SECRET_KEY, or the one generated into ``<data dir>/secret.key``).

Each purpose gets its own key, HMAC-SHA256(secret, "khomun|" + purpose), so a value hashed for the
journal cannot be matched against the same id hashed for logs or contexts, and an id is hashed
with HMAC-SHA256(purpose key, "platform:id"). Keyed, so nobody without the secret can enumerate
the ids behind a hash (a Telegram user id is a number below ten billion: an unkeyed hash of it is
reversed by trying them all).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal, get_args

__all__ = ["IdPurpose", "Purpose", "SecretKey"]

#: what an id is hashed for (the length kept: logs only need to tell chats apart in a day's lines)
IdPurpose = Literal["journal", "context", "log", "staff-client"]
#: every key derived from the secret
Purpose = Literal["journal", "context", "log", "staff-client", "staff-session"]
_LENGTH: dict[str, int] = {"journal": 32, "context": 32, "log": 12, "staff-client": 32}


class SecretKey:
    """The service's secret and the keys derived from it. Built from the same secret, every
    process and instance hashes an id alike."""

    __slots__ = ("_keys",)

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if not raw:
            raise ValueError("a secret key cannot be empty")
        self._keys = {
            purpose: hmac.new(raw, f"khomun|{purpose}".encode(), hashlib.sha256).digest()
            for purpose in get_args(Purpose)
        }

    @classmethod
    def of(cls, secret: SecretKey | str | bytes) -> SecretKey:
        return secret if isinstance(secret, SecretKey) else cls(secret)

    @classmethod
    def ephemeral(cls) -> SecretKey:
        """A key for this process only: what it hashes cannot be matched after a restart."""
        return cls(secrets.token_bytes(32))

    def derive(self, purpose: Purpose) -> bytes:
        """The key for one purpose (a staff session's signature, say)."""
        return self._keys[purpose]

    def hash_id(self, purpose: IdPurpose, platform: str, raw_id: str) -> str:
        """hex HMAC-SHA256(key of ``purpose``, "platform:id"), cut to the purpose's length; ""
        when there is no id."""
        if not raw_id:
            return ""
        data = f"{platform}:{raw_id}".encode("utf-8", "surrogatepass")
        return hmac.new(self._keys[purpose], data, hashlib.sha256).hexdigest()[: _LENGTH[purpose]]

    def __repr__(self) -> str:
        return "SecretKey(...)"  # never the key, not even in a traceback's locals
