"""The state database: one owner for its schema (numbered migrations) and one way to connect; and
the one way ids are hashed before they are kept or logged (``SecretKey``).

The floor of the house: bot, intents and index may import it; it imports none of them.
"""

from .db import (
    Database,
    Error,
    Refused,
    Rows,
    Target,
    connect_sqlite,
    create_private,
    is_locked,
    is_postgres,
    open_database,
)
from .migrations import MIGRATIONS, current_version, latest_version, migrate
from .secret import IdPurpose, Purpose, SecretKey

__all__ = [
    "MIGRATIONS",
    "Database",
    "Error",
    "IdPurpose",
    "Purpose",
    "Refused",
    "Rows",
    "SecretKey",
    "Target",
    "connect_sqlite",
    "create_private",
    "current_version",
    "is_locked",
    "is_postgres",
    "latest_version",
    "migrate",
    "open_database",
]
