"""The LINE channel: ``POST /webhooks/line`` in, replies out through the Messaging API.

What the webhook does, in order:

1. Reads the raw body (over 1 MB -> 413) and checks ``x-line-signature`` on those exact bytes with
   line-bot-sdk's ``SignatureValidator`` before anything else; a bad signature or a body that
   ``bot.requests.parse_json`` refuses (deep nesting, NaN, ...) -> 400 and nothing is processed.
   Each event is then read on its own (line-bot-sdk's ``Event.from_dict``): one that cannot be
   read is skipped with one log line, never marked seen, and never costs the events beside it.
   Texts and ids are cleaned at the edge (``clean_text``, ``clean_id``). The console's "Verify"
   (``{"events": []}``) -> 200.
2. Turns each event into what answering it needs (chat, text or postback, reply token, a push
   retry key) and records them all in the inbox (``bot.inbox``) in one transaction, which also
   drops events already seen (``webhookEventId``; LINE redelivers). When this process already
   holds ``KHOMUN_INBOX_CAPACITY`` unanswered events, or the state database cannot record them,
   it answers 503 instead and records nothing, so LINE redelivers (with webhook redelivery on).
3. Answers 200 and handles each new event in a background task (LINE wants the webhook
   answered within 2 s); ``await channel.drain()`` waits for them (tests, shutdown). The inbox
   row is deleted once the reply has gone out; after a crash, the next process (or another
   worker) answers what was left (``bot.background.Deliveries``).

Which events are answered:

- text in a 1:1 chat: always (a search, or whatever the conversation makes of it), with the
  loading animation when the conversation takes longer than ``LOADING_AFTER`` over it (counted
  from when it takes the message up, so a backlog alone never starts it);
- text in a group or room: only when addressed to the bot, that is when the bot is mentioned
  (``mention.mentionees[*].isSelf``) or the text starts with one of ``ADDRESS_PREFIXES``
  ("ข้อมูล", "khomun", "@khomun"); the mention or prefix is stripped before routing;
- postbacks (our own buttons): ``Message(postback=data)``;
- follow (friend added) and join (invited to a group): the greeting, with an example;
- stickers, images, video, audio, files, locations in a 1:1 chat: the help text;
- unfollow (the user blocked the bot): that user's follows, and with them their raw id, are deleted;
- everything else (leave, reactions, unknown event types): ignored.

Calls post the renderer's JSON as compact UTF-8 on one pooled aiohttp session (bearer auth), and
report failures as line-bot-sdk's ``ApiException``. Not through the SDK's client: its model round
trip (``ReplyMessageRequest.from_dict`` and back) costs ~20 ms of CPU per carousel, and even its
raw ``call_api`` walks the body once more and escapes every Thai character as ``\\uXXXX`` (twice
the bytes); together a tenth of a LINE message's CPU under load. tests/test_bot_render_line.py
checks that every rendered reply parses as a ``ReplyMessageRequest``.

Replies use the reply token; when LINE says the token is invalid or expired the reply is pushed
instead with the event's ``X-Line-Retry-Key`` (a UUID kept in the inbox) on every retry and after
a restart, so a retried push is sent once. An event taken over from a dead process is replied to
with its token while it is younger than ``REPLY_TOKEN_SECONDS`` (a token lasts about a minute),
and there "invalid reply token" means the dead process used it, so nothing is pushed; an older
event is pushed. A reply that still fails after the retries below is handed back to the inbox and
tried again ``RETRY_DELAY`` seconds later. Each call is retried (``bot.retry``, ``POLICY``) up to
``ATTEMPTS`` times on 5xx, 429 (``Retry-After`` honoured up to ``MAX_RETRY_AFTER``), timeouts and
connection failures, never on another 4xx. A handler that fails still sends
``texts.ERROR``; logs carry a hash of the chat id, never tokens, signatures, bodies or raw user ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any, Protocol

import aiohttp
from linebot.v3 import SignatureValidator
from linebot.v3.messaging.async_rest import RESTResponse
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    AudioMessageContent,
    Event,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from intents import texts
from intents.types import ChatType, Message, Turn
from state import SecretKey

from .. import metrics
from ..background import RETRY, SENT, Background, Deliveries, Outcome, https_proxy, outbound_session
from ..inbox import Inbox, InboxUnavailable, Pending
from ..requests import BadJson, body_or_refusal, clean_id, clean_text, parse_json, plain_refusal
from ..retry import Policy
from ..settings import Settings
from . import render

__all__ = ["ADDRESS_PREFIXES", "LineChannel"]

log = logging.getLogger(__name__)

ADDRESS_PREFIXES = ("@khomun", "khomun", "ข้อมูล")  # longest first: "@khomun" before "khomun"
ATTEMPTS = 3
BACKOFF = 0.2  # seconds, doubled per attempt
MAX_RETRY_AFTER = 10.0  # seconds: a longer Retry-After is not worth holding a reply for
TIMEOUT = 10.0  # seconds per API call, all told
CONNECT_TIMEOUT = 3.0  # seconds to open a connection (a pool slot is always free: see POOL_SPARE)
LOADING_SECONDS = 10  # 5-60, a multiple of 5
#: connections to the LINE API beyond one per event the inbox may hold (KHOMUN_INBOX_CAPACITY): an
#: event makes one call at a time, so chats hanging at the API never take another chat's connection
POOL_SPARE = 32
#: start LINE's loading animation only when a reply takes longer than this (seconds)
LOADING_AFTER = 0.3
#: a reply token younger than this (seconds) is still used after a restart; LINE's last about a minute
REPLY_TOKEN_SECONDS = 50.0
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
LOADING_PATH = "/v2/bot/chat/loading/start"
GREETING_TEXT = "สวัสดี"  # routed as a greeting (intents.chitchat)
_MEDIA = (
    StickerMessageContent,
    ImageMessageContent,
    VideoMessageContent,
    AudioMessageContent,
    FileMessageContent,
    LocationMessageContent,
)


class Services(Protocol):
    follows: Any
    secret: SecretKey

    def handle(self, message: Message, journal_rows: list[Any] | None = None) -> Turn: ...

    async def complete(self, turn: Turn) -> Turn: ...


def _strip_address(text: str, content: TextMessageContent) -> str | None:
    """The text without the bot's mention or prefix when the message is addressed, else None."""
    mention = content.mention
    selves = [m for m in (mention.mentionees if mention else []) if getattr(m, "is_self", False)]
    if selves:
        for m in sorted(selves, key=lambda m: m.index, reverse=True):
            text = text[: m.index] + text[m.index + m.length :]
        return text.strip()
    lowered = text.lstrip().lower()
    for prefix in ADDRESS_PREFIXES:
        if lowered.startswith(prefix):
            return text.lstrip()[len(prefix) :].lstrip(" ,:：-").strip()
    return None


def _retry_after(err: ApiException) -> float | None:
    raw = (err.headers or {}).get("Retry-After") if err.headers is not None else None
    try:
        return min(float(raw), MAX_RETRY_AFTER) if raw is not None else None
    except ValueError:
        return None


def _worth_retrying(err: BaseException) -> bool:
    """5xx, 429, timeouts and connection failures; never another 4xx (the push's retry key makes
    a push safe to repeat, and a reply token is refused once used)."""
    if isinstance(err, ApiException):
        return err.status == 429 or (err.status or 0) >= 500
    return isinstance(err, TimeoutError | aiohttp.ClientError)


def _asked_wait(err: BaseException) -> float | None:
    return _retry_after(err) if isinstance(err, ApiException) and err.status == 429 else None


def _log_retry(err: BaseException, attempt: int, wait: float) -> None:
    if isinstance(err, ApiException):
        log.info("LINE API busy; retrying", extra={"status": err.status, "attempt": attempt})
    else:
        log.info("LINE API unreachable; retrying", extra={"error": type(err).__name__, "attempt": attempt})


#: every Messaging API call (reply, push): ATTEMPTS tries, Retry-After honoured up to MAX_RETRY_AFTER
POLICY = Policy("line", _worth_retrying, _asked_wait, ATTEMPTS, BACKOFF, _log_retry)


def _invalid_reply_token(err: ApiException) -> bool:
    body = err.body.decode("utf-8", "replace") if isinstance(err.body, bytes) else str(err.body or "")
    return err.status == 400 and "reply token" in body.lower()


class LineChannel:
    loading_after: float = LOADING_AFTER

    def __init__(self, settings: Settings, services: Services) -> None:
        self.settings = settings
        self.services = services
        self.routes = [Route("/webhooks/line", self.webhook, methods=["POST"])]
        self._signature = SignatureValidator(settings.line_channel_secret)
        self._background = Background("khomun-line")
        self.inbox = Inbox(settings.state_db, wait=0)
        self.deliveries = Deliveries(
            "line", self.inbox, self._background, self._answer, settings.inbox_capacity
        )
        self._session: aiohttp.ClientSession | None = None
        self._headers = {
            "Authorization": f"Bearer {settings.line_channel_access_token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._proxy: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    async def startup(self) -> None:
        self._proxy = https_proxy()
        self._session = outbound_session(self.settings.inbox_capacity + POOL_SPARE)
        self._background.start()
        self.deliveries.start()
        log.info("LINE channel ready", extra={"api": self.settings.line_api_base_url})

    async def shutdown(self) -> None:
        await self.deliveries.stop()
        await self._background.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.inbox.close()

    async def drain(self) -> None:
        """Wait until every event accepted so far has been answered."""
        await self._background.drain()

    # -- the webhook --------------------------------------------------------------------------
    async def webhook(self, request: Request) -> Response:
        body = await body_or_refusal(request, plain_refusal)
        if isinstance(body, Response):
            return body
        signature = request.headers.get("x-line-signature", "")
        try:
            signed = self._signature.validate(body.decode("utf-8"), signature)
        except UnicodeDecodeError:
            signed = False
        if not signed:
            log.warning("LINE webhook with a bad signature refused")
            return PlainTextResponse("bad signature", 400)
        try:
            data = parse_json(body)
            if not isinstance(data, dict) or not isinstance(data.get("events"), list):
                raise BadJson("no events list")
        except BadJson as err:
            log.warning("LINE webhook with a malformed body refused", extra={"reason": str(err)})
            return PlainTextResponse("bad request", 400)
        events = [e for e in (self._event(raw) for raw in data["events"]) if e is not None]
        if not events:
            return PlainTextResponse("OK")
        batch = [
            (clean_id(getattr(e, "webhook_event_id", None)) or uuid.uuid4().hex, self.payload(e))
            for e in events
        ]
        if self.deliveries.full(sum(p is not None for _, p in batch)):
            log.warning(
                "LINE webhook refused: the inbox is full", extra={"capacity": self.deliveries.capacity}
            )
            return PlainTextResponse("busy", 503)
        try:
            fresh = await self.deliveries.accept(batch)
        except InboxUnavailable:
            return PlainTextResponse("not ready", 503)
        if not all(fresh):
            log.info("LINE events already handled", extra={"events": fresh.count(False)})
        for event in events:
            if isinstance(event, UnfollowEvent):  # blocked: forget the user's follows and raw id
                await self._background.run(self._forget, event)
        return PlainTextResponse("OK")

    @staticmethod
    def _event(raw: Any) -> Any | None:
        """One event of a signed delivery as line-bot-sdk's model, or None (one log line) when it
        cannot be read: a malformed event never costs the valid ones beside it, and is not marked
        seen."""
        try:
            return Event.from_dict(raw)
        except Exception as err:  # pydantic's ValidationError, TypeError, KeyError, ...
            kind = raw.get("type") if isinstance(raw, dict) else None
            log.info(
                "LINE event skipped: unreadable",
                extra={"type": str(kind)[:32], "error": type(err).__name__},
            )
            return None

    def _tag(self, chat: str) -> str:
        """A chat as log lines name it (keyed: the id cannot be recovered from it)."""
        return self.services.secret.hash_id("log", "line", chat)

    # -- events -> messages -------------------------------------------------------------------
    def to_message(self, event: Any) -> Message | None:
        """The neutral Message for an event, or None when the bot should stay silent."""
        source = event.source
        chat_type: ChatType
        if isinstance(source, GroupSource):
            chat_id, chat_type, user_id = source.group_id, "group", source.user_id
        elif isinstance(source, RoomSource):
            chat_id, chat_type, user_id = source.room_id, "group", source.user_id
        elif isinstance(source, UserSource):
            chat_id, chat_type, user_id = source.user_id, "private", source.user_id
        else:
            return None
        chat_id, user_id = clean_id(chat_id), clean_id(user_id) or ""
        if not chat_id:
            return None

        def msg(text: str = "", postback: str = "") -> Message:
            return Message(
                "line", chat_id, text=text, user_id=user_id, postback=postback, chat_type=chat_type
            )

        if isinstance(event, MessageEvent):
            content = event.message
            if isinstance(content, TextMessageContent):
                text = clean_text(content.text) or ""
                if chat_type == "group":
                    addressed = _strip_address(text, content)
                    if addressed is None:
                        return None
                    text = addressed
                return msg(text=text)
            if isinstance(content, _MEDIA) and chat_type == "private":
                return msg(postback="help")
            return None
        if isinstance(event, PostbackEvent) and event.postback and event.postback.data:
            return msg(postback=clean_text(event.postback.data) or "")
        if isinstance(event, FollowEvent | JoinEvent):
            return msg(text=GREETING_TEXT)
        return None

    def payload(self, event: Any) -> dict[str, Any] | None:
        """What answering the event needs (None: the bot stays silent): the chat, the text or
        postback, the reply token and a push retry key. Nothing else of the event is kept."""
        message = self.to_message(event)
        if message is None:
            return None
        return {
            "chat": message.chat_id,
            "type": message.chat_type,
            "user": message.user_id,
            "text": message.text,
            "postback": message.postback,
            "token": clean_id(getattr(event, "reply_token", None)) or "",
            "retry": str(uuid.uuid4()),
        }

    async def _answer(self, item: Pending, rows: list[Any]) -> Outcome:
        """Answer one event from the inbox; its journal rows go in ``rows`` (written when the
        inbox marks it done)."""
        p = item.payload
        chat = str(p.get("chat") or "")
        message = Message(
            "line",
            chat,
            text=str(p.get("text") or ""),
            user_id=str(p.get("user") or ""),
            postback=str(p.get("postback") or ""),
            chat_type="group" if p.get("type") == "group" else "private",  # as to_message recorded it
        )
        try:
            loop = asyncio.get_running_loop()
            started = asyncio.Event()

            def handle() -> Turn:
                loop.call_soon_threadsafe(started.set)
                return self.services.handle(message, rows)

            work = asyncio.ensure_future(self._background.run(handle))
            if message.chat_type == "private" and (message.text or message.postback):
                # the typing dots only when the answer is not there at once: most answers take a
                # few milliseconds, and an extra API call per message would halve throughput.
                # The clock starts when the conversation takes this message up, not at receipt:
                # waiting behind a backlog is not this message being slow (and the dots would then
                # cost a call for every message of the backlog)
                starting = asyncio.ensure_future(started.wait())
                await asyncio.wait({work, starting}, return_when=asyncio.FIRST_COMPLETED)
                starting.cancel()
                done, _ = await asyncio.wait({work}, timeout=self.loading_after)
                if not done:
                    await self._loading(message.chat_id)
            turn = await self.services.complete(await work)  # a preview asked for is fetched here
            messages = render.render(turn.reply)
        except Exception:
            log.exception("LINE event handling failed", extra={"chat": self._tag(chat)})
            messages = [{"type": "text", "text": texts.ERROR}]
        # a token past its minute is not tried: push at once
        young = time.time() - item.received < REPLY_TOKEN_SECONDS
        token = str(p.get("token") or "") if young else ""
        try:
            await self.send(
                token,
                chat,
                messages,
                retry_key=str(p.get("retry") or "") or None,
                spent_is_sent=item.attempts > 0,
            )
            metrics.REPLY_SECONDS.labels("line").observe(time.time() - item.received)
        except (ApiException, aiohttp.ClientError, TimeoutError) as err:
            status = getattr(err, "status", None)
            if isinstance(err, ApiException) and status is not None and status < 500 and status != 429:
                log.error("LINE refused the reply", extra={"chat": self._tag(chat), "status": status})
                return SENT  # never will be
            log.warning(
                "LINE reply failed; trying again later",
                extra={"chat": self._tag(chat), "status": status, "error": type(err).__name__},
            )
            return RETRY
        return SENT

    def _forget(self, event: Any) -> None:
        user_id = clean_id(getattr(event.source, "user_id", None))
        if user_id and isinstance(event.source, UserSource):
            n = self.services.follows.remove_all("line", user_id)
            log.info(
                "LINE user blocked the bot; follows deleted", extra={"chat": self._tag(user_id), "follows": n}
            )

    # -- sending ------------------------------------------------------------------------------
    async def _loading(self, chat_id: str) -> None:
        """Best effort: the "typing" dots while we search. Never retried, never fatal."""
        try:
            await self._post(
                LOADING_PATH, {"chatId": chat_id, "loadingSeconds": LOADING_SECONDS}, timeout=2.0
            )
        except (ApiException, aiohttp.ClientError, TimeoutError) as err:
            log.info("LINE loading animation failed", extra={"status": getattr(err, "status", None)})

    async def _post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None, timeout: float = TIMEOUT
    ) -> None:
        """POST our JSON to the Messaging API; a non-2xx answer raises ``ApiException``."""
        assert self._session is not None
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        async with self._session.post(
            self.settings.line_api_base_url + path,
            data=data,
            headers={**self._headers, **headers} if headers else self._headers,
            timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=CONNECT_TIMEOUT),
            proxy=self._proxy,
        ) as response:
            payload = await response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=RESTResponse(response, payload))

    async def send(
        self,
        reply_token: str | None,
        to: str,
        messages: list[dict[str, Any]],
        *,
        retry_key: str | None = None,
        spent_is_sent: bool = False,
    ) -> None:
        """Reply with the token; push when the token is invalid or expired (or missing), with
        ``retry_key`` (a new one when None). With ``spent_is_sent`` (an earlier attempt may have
        used the token) an invalid token means the reply was delivered: nothing is pushed."""
        if reply_token:
            body = {"replyToken": reply_token, "messages": messages}
            try:
                await self._call(lambda: self._post(REPLY_PATH, body))
                return
            except ApiException as err:
                if not _invalid_reply_token(err):
                    raise
                if spent_is_sent:
                    log.info("LINE reply token already used: answered before", extra={"chat": self._tag(to)})
                    return
                if getattr(err, "_khomun_ambiguous", False):
                    # an earlier attempt timed out and may have been delivered: do not push twice
                    log.warning(
                        "LINE reply token spent after a timeout; not pushing", extra={"chat": self._tag(to)}
                    )
                    return
                log.info("LINE reply token expired; pushing instead", extra={"chat": self._tag(to)})
        if not to:
            return
        key = {"X-Line-Retry-Key": retry_key or str(uuid.uuid4())}  # the same key on every retry
        try:
            await self._call(lambda: self._post(PUSH_PATH, {"to": to, "messages": messages}, key))
        except ApiException as err:
            if err.status != 409:  # 409: this retry key was already accepted, so it was sent
                raise

    async def _call(self, make: Any) -> None:
        """Run ``make()`` under ``POLICY``. Re-raises the last error; an API error is tagged
        ``_khomun_ambiguous`` when an earlier attempt timed out (and so may have been delivered)."""
        ambiguous = False

        async def once() -> None:
            nonlocal ambiguous
            try:
                await make()
            except (TimeoutError, aiohttp.ClientError):
                ambiguous = True
                raise

        try:
            await POLICY.call(once)
        except ApiException as err:
            err._khomun_ambiguous = ambiguous  # type: ignore[attr-defined]
            raise
