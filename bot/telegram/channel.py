"""The Telegram channel: ``POST /webhooks/telegram`` in, Bot API calls out (python-telegram-bot v22).

The webhook compares ``X-Telegram-Bot-Api-Secret-Token`` with ``TELEGRAM_WEBHOOK_SECRET`` in
constant time (403 on mismatch; with no secret configured every request is accepted and startup
logs a warning), refuses bodies over 1 MB (413), and answers 400 with one log line for a body
``bot.requests.parse_json`` refuses (deep nesting, NaN, 1e999, integers over 64 bits), an
``update_id`` that is not a whole number, a text that is not a string, or an update PTB cannot
read (a ``date`` of 1e400, ``entities`` as a string). Only then is the update recorded in the
inbox (``bot.inbox``), before the 200: only what answering needs (``minimal_update``: ids, chat
type, text, command entities, button data; no names), in the same transaction that drops an
``update_id`` already seen (Telegram retries non-2xx answers), so a refused update never hides a
good one. When this process already holds ``KHOMUN_INBOX_CAPACITY`` unanswered updates, or the
state database cannot record it, the answer is 503 and Telegram retries. PTB handles the update in
a background task (``await channel.drain()`` waits for them); its inbox row is deleted when the
reply has gone out, and after a crash the next process (or another worker) answers what was left.
Inline queries are answered at once or never (a late answer is refused), so they are only
de-duplicated. Start-up calls getMe in the background, again with backoff while Telegram's API
cannot be reached; meanwhile updates are accepted into the inbox and answered once it succeeds
(inline queries get 503 until then). Texts are cleaned (``bot.requests.clean_text``) before the conversation.

What users get:

- private chats: plain text is a search; commands /start, /help, /search <q>, /latest, /agencies;
- groups: only commands (``/search@bot``) and messages that mention ``@<bot username>``;
- button presses (callback queries) are always answered (``answerCallbackQuery``), then routed as
  ``Message(postback=data)``, or as typed text for "text" buttons (``t:`` prefix);
- inline mode (``@bot คำค้น`` in any chat): up to 50 articles per page, ``next_offset`` paging,
  each sharing one dataset card with a citation line; through ``Conversation.inline`` and the
  journal (``Services.handle_inline``), so unanswered inline queries reach staff.

Calls go through ``with_retries`` (``bot.retry``): ``ATTEMPTS`` tries, ``RetryAfter`` honoured up to
``MAX_RETRY_AFTER``, 5xx and failures to connect retried with backoff, ``BadRequest`` never. A
sendMessage that was written but not answered (read timeout, connection reset or closed once
open: ``MaybeDelivered``) is not sent again, since Telegram has no retry key and the Bot API may
have processed it; the other parts of a split reply still go. Only a request that never reached
the API (refused, DNS, TLS handshake, connect timeout) is resent. A rate limit, 5xx or failure to
connect that outlasts the retries hands the update back to the inbox (tried again later; parts of
a split reply already sent are recorded and not sent again). A
failing handler still answers ``texts.ERROR``; PTB swallows handler exceptions, so an error handler
logs them and keeps them in ``channel.errors`` (tests assert it stays empty).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import (
    BotCommand,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from intents import texts
from intents.payload import text_of
from intents.types import ChatType, Message, Turn
from state import SecretKey

from .. import metrics
from ..background import RETRY, SENT, Background, Deliveries, Outcome
from ..inbox import Inbox, InboxUnavailable, Pending
from ..requests import BadJson, body_or_refusal, clean_text, parse_json, plain_refusal
from ..retry import Policy
from ..settings import Settings
from . import render
from .request import AiohttpRequest, MaybeDelivered

__all__ = ["COMMANDS", "TelegramChannel", "minimal_update"]

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 3
#: connections to the Bot API beyond one per update the inbox may hold (KHOMUN_INBOX_CAPACITY; an
#: update makes one call at a time), for inline queries: chats hanging at the API never starve others
POOL_SPARE = 64
READ_TIMEOUT = 5.0  # seconds to wait for the Bot API's answer once a request is sent
BACKOFF = 0.2  # seconds, doubled per attempt
MAX_RETRY_AFTER = 10.0  # seconds
#: seconds start-up waits for getMe before going on without Telegram (it keeps trying)
STARTUP_WAIT = 2.0
START_BACKOFF = 0.5  # seconds between two getMe attempts while Telegram is unreachable, doubled
MAX_START_BACKOFF = 30.0
READY_WAIT = 10.0  # seconds an update waits for the channel to be ready before it is handed back
INLINE_CACHE_SECONDS = 300
INLINE_MAX_OFFSET = 200  # how deep inline paging goes
GREETING_TEXT = "/start"  # the conversation reads this as a greeting
#: command -> (Thai description, English description); names 1-32 chars [a-z0-9_]
COMMANDS = texts.COMMANDS


def _user(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    return {"id": int(raw["id"]), "is_bot": bool(raw.get("is_bot", False)), "first_name": ""}


def _chat(raw: Any) -> dict[str, Any]:
    return {"id": int(raw["id"]), "type": str(raw["type"])}


def _message(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    out: dict[str, Any] = {"message_id": raw["message_id"], "date": raw["date"], "chat": _chat(raw["chat"])}
    if raw.get("from") is not None:
        out["from"] = _user(raw["from"])
    if raw.get("text") is not None:
        out["text"] = raw["text"]
    if raw.get("entities"):
        out["entities"] = [{k: e[k] for k in ("type", "offset", "length")} for e in raw["entities"]]
    return out


def minimal_update(data: dict[str, Any]) -> dict[str, Any] | None:
    """What answering a message or a button press needs, for the inbox (None for every other
    kind of update, which is not kept): ids, chat type, text, entity positions, button data. Names,
    usernames and the rest are dropped. Raises KeyError/TypeError/ValueError on a malformed update."""
    if not isinstance(data, dict):
        raise TypeError("an update is a JSON object")
    if data.get("message") is not None:
        return {"update_id": data["update_id"], "message": _message(data["message"])}
    query = data.get("callback_query")
    if query is not None:
        out = {k: query[k] for k in ("id", "chat_instance", "data", "inline_message_id") if k in query}
        out["from"] = _user(query["from"])
        if query.get("message") is not None:
            message = query["message"]
            out["message"] = {
                "message_id": message["message_id"],
                "date": message["date"],
                "chat": _chat(message["chat"]),
            }
        return {"update_id": data["update_id"], "callback_query": out}
    return None


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def retry_after_seconds(err: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta on access
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return min(_seconds(err.retry_after), MAX_RETRY_AFTER)


def _asked_wait(err: BaseException) -> float | None:
    return retry_after_seconds(err) if isinstance(err, RetryAfter) else None


def _log_retry(err: BaseException, attempt: int, wait: float) -> None:
    if isinstance(err, RetryAfter):
        log.info("Telegram rate limit; waiting", extra={"seconds": wait, "attempt": attempt})


def _policy(resend: bool) -> Policy:
    def worth_retrying(err: BaseException) -> bool:
        if isinstance(err, MaybeDelivered):  # sent, unanswered: made again only when harmless
            return resend
        if isinstance(err, BadRequest):  # a NetworkError to PTB, but the same request fails again
            return False
        return isinstance(err, RetryAfter | TimedOut | NetworkError)  # PTB reports 5xx as NetworkError

    return Policy("telegram", worth_retrying, _asked_wait, ATTEMPTS, BACKOFF, _log_retry)


#: Bot API calls that may be made twice (answerCallbackQuery, answerInlineQuery), and the rest
_RESEND, _ONCE = _policy(resend=True), _policy(resend=False)


async def with_retries(make: Callable[[], Awaitable[T]], *, resend: bool = True) -> T:
    """``make()`` up to ATTEMPTS times on RetryAfter (its delay honoured), timeouts, 5xx. Without
    ``resend``, a request that was sent but not answered in time (``MaybeDelivered``) is not made
    again: for sendMessage that would be a duplicate reply whenever the API is slow."""
    return await (_RESEND if resend else _ONCE).call(make)


#: fields PTB reads as text, by the update's part that carries them
_STRINGS = {
    "message": ("text", "caption"),
    "edited_message": ("text", "caption"),
    "channel_post": ("text", "caption"),
    "edited_channel_post": ("text", "caption"),
    "callback_query": ("data", "id"),
    "inline_query": ("query", "offset", "id"),
}


def _update_id(data: Any) -> int:
    """The update's id: a whole number from 0 to 2^63 (not a float, a string or a bool)."""
    uid = data.get("update_id") if isinstance(data, dict) else None
    if isinstance(uid, bool) or not isinstance(uid, int) or uid < 0:
        raise BadJson("update_id is not a whole number")
    return uid


def _check_strings(data: dict[str, Any]) -> None:
    """What PTB would take as text must be text (a number there broke the handlers and the journal)."""
    for part, fields in _STRINGS.items():
        value = data.get(part)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise BadJson(f"{part} is not an object")
        for name in fields:
            if name in value and not isinstance(value[name], str):
                raise BadJson(f"{part}.{name} is not a string")


class TelegramChannel:
    def __init__(self, settings: Settings, services: Any) -> None:
        self.settings = settings
        self.services = services
        self.routes = [Route("/webhooks/telegram", self.webhook, methods=["POST"])]
        self.errors: list[BaseException] = []
        self._background = Background("khomun-telegram")
        self.inbox = Inbox(settings.state_db, wait=0)
        self.deliveries = Deliveries(
            "telegram", self.inbox, self._background, self._answer, settings.inbox_capacity
        )
        self._parsed: dict[str, Update] = {}  # updates accepted by this webhook, not yet handled
        self._retry_later: set[int] = set()  # update ids whose reply the Bot API refused for now
        self._already: dict[int, int] = {}  # update id -> messages of its reply sent before a crash
        self._rows: dict[int, list[Any]] = {}  # update id -> its journal rows (written when done)
        self._ready = asyncio.Event()  # getMe answered and PTB started
        self._starter: asyncio.Task[None] | None = None
        base = settings.telegram_api_base_url
        self.app = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .updater(None)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .concurrent_updates(64)
            .request(
                AiohttpRequest(pool_size=settings.inbox_capacity + POOL_SPARE, read_timeout=READ_TIMEOUT)
            )
            .get_updates_request(AiohttpRequest(pool_size=1))
            .build()
        )
        self.app.add_handler(CommandHandler("start", self._on_start))
        self.app.add_handler(CommandHandler("help", self._on_help))
        self.app.add_handler(CommandHandler("search", self._on_search))
        self.app.add_handler(CommandHandler("latest", self._on_latest))
        self.app.add_handler(CommandHandler("agencies", self._on_agencies))
        self.app.add_handler(CommandHandler(["follow", "unfollow", "following"], self._on_follow))
        self.app.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED, self._on_text)
        )
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_handler(InlineQueryHandler(self._on_inline))
        self.app.add_error_handler(self._on_error)

    # -- lifecycle ----------------------------------------------------------------------------
    async def startup(self) -> None:
        # httpx logs every request URL at INFO, and Bot API URLs carry the bot token
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        if not self.settings.telegram_webhook_secret:
            log.warning("TELEGRAM_WEBHOOK_SECRET is not set: /webhooks/telegram accepts any caller")
        self._background.start()
        self.deliveries.start()
        self._starter = asyncio.create_task(self._start())
        # a reachable API is ready at once; an unreachable one must not hold up the service
        await asyncio.wait({self._starter}, timeout=STARTUP_WAIT)

    async def _start(self) -> None:
        """getMe (learns the bot's username), start PTB, set the commands: once, in the background,
        again with backoff while Telegram cannot be reached. Meanwhile webhooks are still accepted
        into the inbox, and answered once this succeeds."""

        def failed(state: RetryCallState) -> None:
            err = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.error(
                "Telegram unreachable at startup; will retry",
                extra={"error": type(err).__name__, "seconds": wait},
            )

        async for attempt in AsyncRetrying(  # until it succeeds
            wait=wait_exponential(multiplier=START_BACKOFF, max=MAX_START_BACKOFF),
            retry=retry_if_exception_type((TelegramError, OSError)),
            before_sleep=failed,
        ):
            with attempt:
                await self.app.initialize()
                await self.app.start()
        self._ready.set()  # answering needs getMe only; the command menu may come a moment later
        log.info("Telegram channel ready", extra={"bot": self.app.bot.username})
        await self.set_commands()

    async def _wait_ready(self) -> bool:
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), READY_WAIT)
            except TimeoutError:
                return False
        return True

    async def shutdown(self) -> None:
        if self._starter is not None:
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
        await self.deliveries.stop()
        await self._background.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()  # a no-op when initialize() never succeeded
        self.inbox.close()

    async def drain(self) -> None:
        """Wait until every update accepted so far has been answered."""
        await self._background.drain()

    async def set_commands(self) -> bool:
        """setMyCommands in Thai and English (and the default list in Thai); never fatal."""
        try:
            for lang, i in (("th", 0), ("en", 1), (None, 0)):
                commands = [BotCommand(name, pair[i]) for name, pair in COMMANDS.items()]
                await self.app.bot.set_my_commands(commands, language_code=lang)
            return True
        except (TelegramError, OSError) as err:
            log.warning("setMyCommands failed; continuing", extra={"error": type(err).__name__})
            return False

    # -- the webhook --------------------------------------------------------------------------
    async def webhook(self, request: Request) -> Response:
        secret = self.settings.telegram_webhook_secret
        if secret:
            given = request.headers.get("x-telegram-bot-api-secret-token", "")
            if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
                log.warning("Telegram webhook with a wrong secret refused")
                return PlainTextResponse("forbidden", 403)
        body = await body_or_refusal(request, plain_refusal)
        if isinstance(body, Response):
            return body
        try:
            data = parse_json(body)
            update_id = _update_id(data)
            _check_strings(data)
        except BadJson as err:
            log.info("Telegram webhook with a malformed body refused", extra={"reason": str(err)})
            return PlainTextResponse("bad request", 400)
        try:
            payload = minimal_update(data)
            update = Update.de_json(payload if payload is not None else data, self.app.bot)
        except Exception as err:  # PTB raises whatever a malformed field leads to
            log.info("Telegram update refused: unreadable", extra={"error": type(err).__name__})
            return PlainTextResponse("bad request", 400)
        event_id = str(update_id)
        if payload is None and not self._ready.is_set():  # inline queries are not kept: retry later
            return PlainTextResponse("not ready", 503)
        if payload is not None and self.deliveries.full():
            log.warning(
                "Telegram webhook refused: the inbox is full", extra={"capacity": self.deliveries.capacity}
            )
            return PlainTextResponse("busy", 503)
        if payload is not None:
            self._parsed[event_id] = update
        try:
            [new] = await self.deliveries.accept([(event_id, payload)])
        except InboxUnavailable:
            self._parsed.pop(event_id, None)
            return PlainTextResponse("not ready", 503)
        if not new:
            self._parsed.pop(event_id, None)
            log.info("Telegram update already handled", extra={"update": update_id})
        elif payload is None:
            self._background.spawn(self.app.process_update(update))
        return PlainTextResponse("OK")

    async def _answer(self, item: Pending, rows: list[Any]) -> Outcome:
        """Handle one update from the inbox: SENT when its reply went out (or never will). Its
        journal rows go in ``rows`` (``answer`` finds them by update id), written when the inbox
        marks it done."""
        update = self._parsed.pop(item.event_id, None)
        if not await self._wait_ready():  # still starting: handed back, tried again later
            return RETRY
        if update is None:  # taken over from another process
            payload = dict(item.payload)
            already = int(payload.pop("sent_parts", 0) or 0)
            update = Update.de_json(payload, self.app.bot)
            if already:
                self._already[update.update_id] = already
        self._rows[update.update_id] = rows
        try:
            await self.app.process_update(update)
        finally:
            self._rows.pop(update.update_id, None)
        self._already.pop(update.update_id, None)
        if update.update_id in self._retry_later:
            self._retry_later.discard(update.update_id)
            return RETRY
        return SENT

    # -- handlers -----------------------------------------------------------------------------
    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        if err is not None:
            self.errors.append(err)
            log.error("Telegram handler failed", exc_info=(type(err), err, err.__traceback__))

    def _tag(self, chat: str) -> str:
        """A chat as log lines name it (keyed: a numeric id cannot be found by trying them all)."""
        secret: SecretKey = self.services.secret
        return secret.hash_id("log", "telegram", chat)

    def _message(self, update: Update, text: str = "", postback: str = "") -> Message:
        chat = update.effective_chat
        user = update.effective_user
        chat_type: ChatType = "private" if chat is None or chat.type == "private" else "group"
        return Message(
            "telegram",
            str(chat.id) if chat else "",
            text=clean_text(text) or "",
            user_id=str(user.id) if user else "",
            postback=clean_text(postback) or "",
            chat_type=chat_type,
        )

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, self._message(update, text=GREETING_TEXT))

    async def _on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, self._message(update, postback="help"))

    async def _on_search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, self._message(update, text=" ".join(context.args or [])))

    async def _on_latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, self._message(update, postback="latest"))

    async def _on_agencies(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, self._message(update, postback="agencies"))

    async def _on_follow(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/follow <คำค้น>, /unfollow [เรื่อง], /following: as typed (intents.understand reads them)."""
        msg = update.effective_message
        command = (msg.text or "").split(maxsplit=1)[0].split("@", 1)[0] if msg is not None else ""
        await self.answer(update, self._message(update, text=" ".join([command, *(context.args or [])])))

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if msg is None or not msg.text:
            return
        text = clean_text(msg.text) or ""
        if msg.chat.type != "private":
            mention = f"@{self.app.bot.username}".lower()
            if mention not in text.lower():
                return  # groups: only commands and mentions
            at = text.lower().index(mention)
            text = (text[:at] + text[at + len(mention) :]).strip()
        await self.answer(update, self._message(update, text=text))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await with_retries(lambda: query.answer())
        except TelegramError as err:  # too old to answer: still act on the press
            log.info("answerCallbackQuery failed", extra={"error": type(err).__name__})
        data = query.data or ""
        if not data or query.message is None:
            return  # a press on a message sent through inline mode: nowhere to answer
        typed = text_of(data)
        if typed is not None:
            message = self._message(update, text=typed)
        else:
            message = self._message(update, postback=data)
        await self.answer(update, message)

    async def _on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        text = (clean_text(query.query) or "").strip()
        offset = int(query.offset) if query.offset.isdigit() else 0
        results: list[dict[str, Any]] = []
        next_offset = ""
        if text and offset < INLINE_MAX_OFFSET:
            cards = await self._background.run(self._inline_cards, update, text, offset)
            results = render.inline_results(cards)
            if len(cards) > render.MAX_INLINE_RESULTS:
                next_offset = str(offset + render.MAX_INLINE_RESULTS)
        articles = [self._article(r) for r in results]
        try:
            await with_retries(
                lambda: self.app.bot.answer_inline_query(
                    query.id,
                    articles,
                    cache_time=INLINE_CACHE_SECONDS,
                    is_personal=False,
                    next_offset=next_offset,
                )
            )
        except TelegramError:
            log.exception("answerInlineQuery failed")

    def _inline_cards(self, update: Update, text: str, offset: int) -> list[Any]:
        """One page of cards (plus one to tell whether a next page exists), through the
        conversation: journaled like a message, so unanswered ones reach staff."""
        user = update.effective_user
        uid = str(user.id) if user else ""
        message = Message("telegram", f"inline:{uid}", text=text, user_id=uid, chat_type="inline")
        turn = self.services.handle_inline(message, offset, render.MAX_INLINE_RESULTS)
        return list(turn.reply.cards)

    # -- answering ----------------------------------------------------------------------------
    async def answer(self, update: Update, message: Message) -> None:
        """Route the message, render the reply, send it; a failure still gets texts.ERROR."""
        if not message.chat_id:
            return
        started = time.perf_counter()
        try:
            rows = self._rows.get(update.update_id)  # None: not from the inbox, journaled buffered
            turn: Turn = await self._background.run(self.services.handle, message, rows)
            turn = await self.services.complete(turn)  # a preview asked for is fetched here
            payloads = render.render(turn.reply)
        except Exception:
            log.exception("Telegram update handling failed", extra={"chat": self._tag(message.chat_id)})
            payloads = [{"text": texts.ERROR}]
        try:
            await self.send(
                message.chat_id,
                payloads,
                event_id=str(update.update_id),
                already=self._already.pop(update.update_id, 0),
            )
            metrics.REPLY_SECONDS.labels("telegram").observe(time.perf_counter() - started)
        except MaybeDelivered:
            log.warning(
                "Telegram sendMessage unanswered (timeout or reset); not resent: it may have arrived",
                extra={"chat": self._tag(message.chat_id)},
            )
        except RetryAfter:
            # nothing was sent: the inbox tries again later rather than give up
            log.warning(
                "Telegram rate limit outlasted the retries", extra={"chat": self._tag(message.chat_id)}
            )
            self._retry_later.add(update.update_id)
        except NetworkError as err:
            # 5xx or no connection, after the retries: it did not arrive; the inbox tries again
            log.warning(
                "Telegram send failed; trying again later",
                extra={"chat": self._tag(message.chat_id), "error": str(err)[:100]},
            )
            self._retry_later.add(update.update_id)
        except TelegramError:
            log.exception("Telegram send failed", extra={"chat": self._tag(message.chat_id)})

    def _markup(self, payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
        markup = payload.get("reply_markup")
        return InlineKeyboardMarkup.de_json(markup, self.app.bot) if markup else None

    def _article(self, r: dict[str, Any]) -> InlineQueryResultArticle:
        content = r["input_message_content"]
        return InlineQueryResultArticle(
            id=r["id"],
            title=r["title"],
            description=r.get("description") or None,
            url=r.get("url"),
            reply_markup=self._markup(r),
            input_message_content=InputTextMessageContent(
                content["message_text"],
                parse_mode=content.get("parse_mode"),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )

    async def send(
        self, chat_id: str, payloads: list[dict[str, Any]], *, event_id: str | None = None, already: int = 0
    ) -> None:
        """sendMessage for each rendered payload but the first ``already`` (sent before a crash).
        For a reply in several messages, each part sent but the last is recorded in the inbox row
        of ``event_id``, so a process taking the update over after a crash sends only the rest.
        The keyboard and preview options go as the renderer's JSON (``api_kwargs``) rather than a
        round trip through PTB objects; the renderer's output is checked against PTB's models in
        tests/test_bot_render_telegram.py."""
        bot = self.app.bot
        unsure: MaybeDelivered | None = None
        for i, payload in enumerate(payloads):
            if i < already:
                continue
            if i > already and event_id is not None:
                await self.deliveries.sent(event_id, i)
            raw = {k: payload[k] for k in ("reply_markup", "link_preview_options") if payload.get(k)}
            send = partial(
                bot.send_message,
                chat_id,
                payload["text"],
                parse_mode=payload.get("parse_mode"),
                api_kwargs=raw,
            )
            try:
                await with_retries(send, resend=False)
            except MaybeDelivered as err:  # this part may have arrived: go on with the next
                unsure = err
        if unsure is not None:
            raise unsure
