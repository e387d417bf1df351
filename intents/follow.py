"""Following a topic or an agency, and previews of a data file: the conversation's side.

A follow is a saved search answered by the same engine and the same answer bar as a message: only
a search the engine answers with confidence can be followed, and only its confident answers are
ever news for it (``news_for``). Alerts are pushed on LINE and Telegram (``khomun alerts send``);
on the web a follow is an Atom feed. Follows are for one person's chat: not in groups.
"""

from __future__ import annotations

from collections.abc import Callable

from index.dataset import Dataset
from index.search import Engine

from . import payload, texts
from .cards import shorten
from .context import ChatContext
from .follows import MAX_FOLLOWS, Follow, FollowStore
from .types import Button, Message, Outcome, PreviewRequest, Reply, Turn
from .understand import Intent

__all__ = ["PREVIEWABLE", "FollowHandlers", "news_for", "preview_button", "watermark"]

#: file formats a preview can read (bot.preview; a CKAN DataStore resource can be previewed too)
PREVIEWABLE = frozenset({"CSV", "XLSX", "XLS", "ODS", "TSV", "TXT"})
#: platforms where a follow is pushed to the chat (elsewhere it is a feed)
PUSHED = frozenset({"line", "telegram"})
#: datasets a follow looks at per run (the newest of them are news)
NEWS_POOL = 50
Result = tuple[Turn, ChatContext | None]


def preview_button(d: Dataset, list_id: str, n: int) -> Button | None:
    """The "ดูตัวอย่างข้อมูล" button for item n, when its best file is a table."""
    best = d.best_resource
    if best is None or not list_id or best.format.strip().upper() not in PREVIEWABLE:
        return None
    return Button(texts.LABEL_PREVIEW, payload.preview(list_id, n))


def watermark(engine: Engine) -> str:
    """The newest modification the index knows: what a new follow has already "seen"."""
    newest = engine.latest(limit=1)
    return newest[0].metadata_modified if newest else ""


def news_for(engine: Engine, follow: Follow) -> list[Dataset]:
    """Datasets matching the follow and modified after its ``since``, newest first."""
    if follow.kind == "agency":
        pool = engine.by_agency(follow.query, limit=NEWS_POOL)
    else:
        result = engine.search(follow.query, limit=NEWS_POOL)
        if not result.answered or result.confidence != "high":
            return []
        pool = [h.dataset for h in result.hits]
    fresh = [d for d in pool if d.metadata_modified > follow.since]
    return sorted(fresh, key=lambda d: d.metadata_modified, reverse=True)


class FollowHandlers:
    def __init__(
        self,
        engine: Engine,
        follows: FollowStore,
        agency_counts: Callable[[], list[tuple[str, int]]],
        topic_of: Callable[[object, str], str],
    ) -> None:
        self.engine = engine
        self.follows = follows
        self._agency_counts = agency_counts
        self._topic_of = topic_of

    def table(self) -> dict[str, Callable[[Intent, Message, ChatContext], Result]]:
        return {
            "follow_query": self.follow_query,
            "follow": self.follow_list,
            "follow_agency": self.follow_agency,
            "following": self.following,
            "unfollow": self.unfollow,
            "unfollow_text": self.unfollow_text,
            "preview": self.preview,
        }

    # -- following ---------------------------------------------------------------------------------
    def _refused(self, message: Message) -> Turn | None:
        if message.chat_type != "private" or not message.chat_id:
            return Turn(Reply(texts.FOLLOW_GROUP), Outcome("follow", answered=False))
        if len(self.follows.of_chat(message.platform, message.chat_id)) >= MAX_FOLLOWS:
            return Turn(
                Reply(texts.FOLLOW_TOO_MANY.format(limit=MAX_FOLLOWS)), Outcome("follow", answered=False)
            )
        return None

    def _add(self, message: Message, kind: str, query: str, topic: str) -> Turn:
        existing = self.follows.find(message.platform, message.chat_id, kind, query)
        if existing is not None:
            reply = Reply(texts.FOLLOW_ALREADY.format(topic=topic), quick_replies=self._list_button())
            return Turn(reply, Outcome("follow", query=query))
        refused = self._refused(message)
        if refused is not None:
            return refused
        follow = self.follows.add(
            message.platform, message.chat_id, kind, query, topic, watermark(self.engine)
        )
        if follow is None:  # added by a concurrent message
            return Turn(Reply(texts.FOLLOW_ALREADY.format(topic=topic)), Outcome("follow", query=query))
        buttons: tuple[Button, ...] = ()
        if message.platform == "line":
            text = texts.FOLLOWED_LINE.format(topic=topic)
        elif message.platform in PUSHED:
            text = texts.FOLLOWED.format(topic=topic)
        else:
            feed = f"/feeds/{follow.feed_id}.atom"
            text = texts.FOLLOWED_WEB.format(topic=topic, feed=feed)
            buttons = (Button("Atom feed", feed, "url"),)
        reply = Reply(text, buttons=buttons, quick_replies=self._list_button())
        return Turn(reply, Outcome("follow", query=query))

    def _list_button(self) -> tuple[Button, ...]:
        return (Button(texts.LABEL_FOLLOWING, payload.following()),)

    def follow_query(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """ "ติดตาม <คำค้น>" or /follow <คำค้น>: only what the engine answers with confidence."""
        text = intent.arg.strip()
        if not text:
            reply = Reply(texts.FOLLOW_HOW.format(example=texts.HELP_EXAMPLES[0]))
            return Turn(reply, Outcome("follow", answered=False)), None
        if message.chat_type != "private":
            return self._refused(message) or Turn(Reply(texts.FOLLOW_GROUP), Outcome("follow")), None
        result = self.engine.search(text, limit=1)
        topic = self._topic_of(result.query, text)
        if not result.answered or result.confidence != "high":
            reply = Reply(texts.FOLLOW_NOT_FOUND.format(topic=topic))
            return Turn(reply, Outcome("follow", query=text, key=result.query.key, answered=False)), None
        return self._add(message, "query", text, topic.strip()), None

    def follow_list(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """The "ติดตามเรื่องนี้" button under a list: the search (or agency) that made it."""
        if ctx.kind == "search" and ctx.query:
            return self.follow_query(Intent("follow_query", ctx.query), message, ctx)
        if ctx.kind == "agency" and ctx.query:
            return self._add(message, "agency", ctx.query, ctx.query), None
        return Turn(Reply(texts.STALE), Outcome("follow", answered=False)), None

    def follow_agency(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        counts = self._agency_counts()
        i = int(intent.arg)
        if i >= len(counts):
            return Turn(Reply(texts.STALE), Outcome("follow", answered=False)), None
        org = counts[i][0]
        return self._add(message, "agency", org, org), None

    def following(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """The chat's follows, each with a remove button."""
        mine = self.follows.of_chat(message.platform, message.chat_id)
        if not mine:
            text = texts.FOLLOWING_NONE.format(example=texts.HELP_EXAMPLES[0])
            return Turn(Reply(text), Outcome("following")), None
        lines = [texts.FOLLOWING]
        lines += [texts.FOLLOWING_ITEM.format(n=i, topic=f.topic) for i, f in enumerate(mine, start=1)]
        buttons = tuple(
            # whole on the web; each platform's renderer cuts a label to its own limit
            Button(texts.LABEL_UNFOLLOW.format(n=f"{i}. {f.topic}"), payload.unfollow(f.id))
            for i, f in enumerate(mine, start=1)
        )
        return Turn(Reply("\n".join(lines), buttons=buttons), Outcome("following")), None

    def unfollow(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        gone = self.follows.remove(message.platform, message.chat_id, int(intent.arg))
        if gone is None:
            return Turn(Reply(texts.STALE), Outcome("unfollow", answered=False)), None
        return Turn(
            Reply(texts.UNFOLLOWED.format(topic=gone.topic)), Outcome("unfollow", query=gone.query)
        ), None

    def unfollow_text(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """ "เลิกติดตาม" (the list with buttons), "เลิกติดตามทั้งหมด", or "เลิกติดตาม <เรื่อง>"."""
        arg = intent.arg.strip()
        if arg == "all":
            n = self.follows.remove_all(message.platform, message.chat_id)
            if n:
                return Turn(Reply(texts.UNFOLLOWED_ALL), Outcome("unfollow")), None
        elif arg:
            for f in self.follows.of_chat(message.platform, message.chat_id):
                if arg in (f.query, f.topic):
                    self.follows.remove(message.platform, message.chat_id, f.id)
                    return Turn(Reply(texts.UNFOLLOWED.format(topic=f.topic)), Outcome("unfollow")), None
        return self.following(intent, message, ctx)

    # -- previews ----------------------------------------------------------------------------------
    def preview(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """A preview of item n's best data file: the reply names it, the channel fetches it."""
        n = int(intent.arg)
        outcome = Outcome("preview", query=message.postback, answered=False)
        if not 1 <= n <= len(ctx.names):
            return Turn(Reply(texts.STALE), outcome), None
        d = self.engine.get(ctx.names[n - 1])
        best = d.best_resource if d is not None else None
        if d is None or best is None or not best.url:
            return Turn(Reply(texts.PREVIEW_NO_FILE), outcome), None
        name = shorten(best.name or best.url.rsplit("/", 1)[-1], 80)
        req = PreviewRequest(d.name, d.title, best.url, best.format.strip().upper(), name)
        reply = Reply(texts.PREVIEW_LOADING.format(name=name), preview_of=req)
        return Turn(reply, Outcome("preview", query=message.postback, hits=(d.name,))), None
