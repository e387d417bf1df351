"""Everything a running bot needs, built once from Settings: the engine, the conversation, the
chat contexts and the journal. Channels and pages get a Services and call ``handle``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from index.live import LiveEngine
from index.search import Engine, Teachings
from index.teachings import TeachingStore
from intents import ContextStore, Conversation, Message, Turn
from intents.follows import FollowStore
from state import SecretKey

from . import metrics
from .journal import Journal, load_or_create_secret
from .preview.fetch import PreviewCache, Previewer
from .runtime import ensure_index
from .settings import Settings

__all__ = ["Services", "build_services"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Services:
    settings: Settings
    engine: Engine
    conversation: Conversation
    journal: Journal
    contexts: ContextStore
    #: the service's secret key: every id hashed (journal, contexts, logs, staff) and staff sessions
    secret: SecretKey
    #: an in-memory preview cache unless given
    previews: Previewer = field(default_factory=lambda: Previewer(PreviewCache(":memory:")))

    @property
    def follows(self) -> FollowStore:
        return self.conversation.follows

    def handle(self, message: Message, journal_rows: list[Any] | None = None) -> Turn:
        """Route one message and journal it: its rows appended to ``journal_rows`` when given (a
        webhook event's, written by the inbox with the event), else queued for the journal's
        writer (web chat). Never raises."""
        turn = self.conversation.route(message)
        metrics.count_turn(message.platform, turn)
        try:
            if journal_rows is not None:
                journal_rows.extend(self.journal.rows(message, turn))
            else:
                self.journal.record(message, turn)
        except Exception:
            log.exception("journal record failed", extra={"platform": message.platform})
        return turn

    def handle_inline(self, message: Message, offset: int, page: int) -> Turn:
        """An inline query through the conversation, journaled like a message when it asks for
        the first page (later pages are the same query), once the user has stopped typing."""
        turn = self.conversation.inline(message, offset, page)
        if offset == 0:
            try:
                self.journal.record_typing(message, turn)
            except Exception:
                log.exception("journal record failed", extra={"platform": message.platform})
        return turn

    async def handle_async(self, message: Message) -> Turn:
        """``handle`` off the event loop (search and SQLite are blocking)."""
        return await run_in_threadpool(self.handle, message)

    async def complete(self, turn: Turn) -> Turn:
        """The turn with anything it asked the channel to fetch (a preview) filled in; never raises."""
        return await self.previews.complete(turn)

    def close(self) -> None:
        if isinstance(self.engine, LiveEngine):  # built here (a test's shared engine is not)
            self.engine.close()
        self.journal.close()
        self.contexts.close()
        self.follows.close()
        self.previews.cache.close()


def build_services(settings: Settings) -> Services:
    """Open the index (building it from the bundled catalog when missing; a rebuilt one is picked
    up while serving, see index.live), the state DB and the journal. Warms pythainlp up (the
    engine does) so no user waits for the first tokenisation."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = SecretKey(load_or_create_secret(settings))
    ensure_index(settings.index_path)
    # follows the index file: `khomun index refresh` swaps a new one in without a restart
    teachings: Teachings = TeachingStore(settings.state_db)
    engine = LiveEngine(settings.index_path, teachings, on_search=metrics.SEARCH_SECONDS.observe)
    contexts = ContextStore(settings.state_db, key=secret)
    journal = Journal(settings.state_db, secret)
    journal.purge(settings.retention_days)
    contexts.purge()
    follows = FollowStore(settings.state_db)
    previews = Previewer(
        PreviewCache(settings.state_db),
        allow_hosts=settings.fetch_allow_hosts.split(","),
        ckan_url=settings.ckan_url,
    )
    conversation = Conversation(engine, contexts, follows)
    return Services(settings, engine, conversation, journal, contexts, secret, previews)
