"""One handler per intent: (intent, message, chat context) -> (Turn, new context or None).

Handlers read the engine and the context they are given; storing the new context is the router's
job. Every reply text comes from texts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from index.dataset import Dataset
from index.query import ParsedQuery
from index.search import Engine, SearchResult
from index.text import has_thai

from . import payload, texts
from .cards import make_card, make_details, shorten
from .context import ChatContext
from .follow import FollowHandlers, preview_button
from .follows import FollowStore
from .followup import Refinement, refinement
from .listing import (
    PAGE_SIZE,
    card_with_buttons,
    facet_buttons,
    facets_of,
    feedback_buttons,
    filter_description,
    in_province,
    matches,
    ranked_agencies,
    title_years,
)
from .types import Button, Message, Outcome, Reply, Turn
from .understand import Intent

__all__ = ["LIST_LIMIT", "Handlers"]

#: how many datasets a stored list keeps (pages of PAGE_SIZE are cut from it)
LIST_LIMIT = 50
AGENCIES_PAGE = 10
Result = tuple[Turn, ChatContext | None]


#: a concept weighing less than this share of the heaviest is context, not said back as the topic
TOPIC_SHARE = 0.4
#: and at most this many concepts are said
TOPIC_MAX = 3
#: what is said when the topic exists but not as asked (SearchResult.unconfirmed): the moment, a
#: timetable; a province, year or month otherwise
_UNCONFIRMED_LEADS = {"live": texts.NOT_FOUND_LIVE, "timetable": texts.NOT_FOUND_TIMETABLE}


def _as_typed(word: str, typed: str) -> str:
    """A Latin word in the capitals it was typed with (PM2.5, not the normalised pm2.5)."""
    at = typed.lower().find(word)
    return typed[at : at + len(word)] if at >= 0 else word


def topic_of(q: ParsedQuery, typed: str) -> str:
    """What a search was about, in a few words: its concepts, provinces and years as understood
    (fillers and particles dropped), not the message as typed."""
    parts: list[str] = []
    # the few words that weigh most: not the asker's life around them ("แม่", "ใกล้บ้าน"), which
    # index.query weighs a fraction of a topic (topicness, person words)
    weights = sorted((c.weight for c in q.concepts), reverse=True)
    bar = TOPIC_SHARE * weights[0] if weights else 0.0
    if len(weights) > TOPIC_MAX:
        bar = max(bar, weights[TOPIC_MAX - 1])
    for c in q.concepts:
        if c.weight < bar:
            continue
        word = c.text.replace(" ", "") if has_thai(c.text) else _as_typed(c.text, typed)
        if parts and has_thai(word) and has_thai(parts[-1][-1]) and parts[-1] + word in q.normalized:
            parts[-1] += word  # ทะเบียน + วัด -> ทะเบียนวัด, as typed
        else:
            parts.append(word)
    parts += sorted(q.provinces)
    parts += [str(y) for y in sorted(q.years)]
    topic = " ".join(parts) or shorten(typed, 40)
    topic = shorten(topic, 60)
    # Latin at either end gets a space from the Thai around it ("เรื่อง bike lanes ค่ะ")
    if not has_thai(topic[0]):
        topic = " " + topic
    if not has_thai(topic[-1]):
        topic += " "
    return topic


def _names(datasets: list[Dataset]) -> tuple[str, ...]:
    return tuple(d.name for d in datasets)


def _list_fields(ctx: ChatContext) -> dict[str, object]:
    """The list on screen's fields, to make a new list from it (a new order or filter)."""
    return {
        "kind": ctx.kind,
        "query": ctx.query,
        "corrected": ctx.corrected,
        "all_names": ctx.all_names,
        "names": ctx.names,
        "filters": ctx.filters,
        "facets": ctx.facets,
    }


class Handlers:
    def __init__(self, engine: Engine, follows: FollowStore | None = None) -> None:
        self.engine = engine
        self._agencies: tuple[tuple[int, int, int, int], list[tuple[str, int]]] | None = None
        self.follows = follows if follows is not None else FollowStore()
        following = FollowHandlers(engine, self.follows, self.agency_counts, topic_of)  # type: ignore[arg-type]
        self._table: dict[str, Callable[[Intent, Message, ChatContext], Result]] = {
            "greeting": self.greeting,
            "help": self.help,
            "thanks": self.thanks,
            "empty": self.empty,
            "search": self.search,
            "example": self.example,
            "details": self.details,
            "more": self.more,
            "narrow": self.narrow,
            "refine": self.refine,
            "agencies": self.agencies,
            "agency": self.agency,
            "latest": self.latest,
            "feedback": self.feedback,
            "fallback": self.fallback,
            "stale": self.stale,
            "expired": self.expired,
            **following.table(),
        }

    def handle(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        handler = self._table.get(intent.name)
        if handler is None:  # a bug, not a user's doing: say so loudly (the router answers politely)
            raise LookupError(f"no handler for intent {intent.name!r}")
        return handler(intent, message, ctx)

    @property
    def intents(self) -> frozenset[str]:
        """Every intent name a handler answers."""
        return frozenset(self._table)

    def follow_up(self, text: str) -> Refinement | None:
        """What a typed message asks of the list on screen, None when it is a new search."""
        return refinement(text, self.engine.parse)

    # -- shared pieces -------------------------------------------------------------------------
    def agency_counts(self) -> list[tuple[str, int]]:
        """The agencies, kept until another index is swapped in (``Engine.identity``)."""
        identity = self.engine.identity
        if self._agencies is None or self._agencies[0] != identity:
            self._agencies = (identity, self.engine.agencies())
        return self._agencies[1]

    def _suggestions(self) -> tuple[Button, ...]:
        """Where to go from nothing: two example queries, the agencies, the newest datasets."""
        examples = [Button(e, payload.example(i)) for i, e in enumerate(texts.HELP_EXAMPLES[:2])]
        return (
            *examples,
            Button(texts.LABEL_AGENCIES, payload.agencies(0)),
            Button(texts.LABEL_LATEST, payload.latest()),
        )

    def _show(self, ctx: ChatContext, lead: str, outcome: Outcome, extra: tuple[Button, ...] = ()) -> Turn:
        """One page of the context's list as cards, with paging and narrowing quick replies."""
        start = ctx.page * PAGE_SIZE
        page = self.engine.get_many(list(ctx.names[start : start + PAGE_SIZE]))
        cards = tuple(card_with_buttons(d, start + i + 1, ctx.list_id) for i, d in enumerate(page))
        lines = [lead] if lead else []
        if len(ctx.names) > PAGE_SIZE:
            lines.append(texts.PAGE.format(first=start + 1, last=start + len(cards), total=len(ctx.names)))
        text = "\n".join(lines)
        quick: list[Button] = list(extra)
        if start + PAGE_SIZE < len(ctx.names):
            quick.append(Button(texts.LABEL_MORE, payload.more(ctx.list_id)))
        quick.extend(facet_buttons(ctx))
        outcome = replace(outcome, hits=outcome.hits or tuple(c.name for c in cards))
        buttons = feedback_buttons(ctx.list_id)
        return Turn(Reply(text, cards=cards, buttons=buttons, quick_replies=tuple(quick)), outcome)

    def _list(
        self, ctx: ChatContext, kind: str, query: str, datasets: list[Dataset], corrected: str = ""
    ) -> ChatContext:
        """A new list on screen (the one before it is remembered for its buttons)."""
        names = tuple(d.name for d in datasets)
        return ctx.new_list(
            payload.new_list_id(),
            kind=kind,
            query=query,
            corrected=corrected,
            all_names=names,
            names=names,
            facets=facets_of(datasets, {}),
        )

    # -- chit-chat -----------------------------------------------------------------------------
    def greeting(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        text = texts.GREETING.format(example=texts.HELP_EXAMPLES[0])
        return Turn(Reply(text, quick_replies=self._help_buttons()), Outcome("greeting")), None

    def _help_buttons(self) -> tuple[Button, ...]:
        examples = [Button(e, payload.example(i)) for i, e in enumerate(texts.HELP_EXAMPLES)]
        return (
            *examples,
            Button(texts.LABEL_AGENCIES, payload.agencies(0)),
            Button(texts.LABEL_LATEST, payload.latest()),
        )

    def help(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        examples = "\n".join(f"• {e}" for e in texts.HELP_EXAMPLES)
        reply = Reply(texts.HELP.format(examples=examples), quick_replies=self._help_buttons())
        return Turn(reply, Outcome("help")), None

    def thanks(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        return Turn(Reply(texts.THANKS), Outcome("thanks")), None

    def empty(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        text = texts.EMPTY.format(example=texts.HELP_EXAMPLES[0])
        return Turn(Reply(text, quick_replies=self._help_buttons()), Outcome("empty", answered=False)), None

    # -- search --------------------------------------------------------------------------------
    def search(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        return self.run_search(intent.arg or message.text.strip(), ctx)

    def example(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        i = int(intent.arg)
        if i >= len(texts.HELP_EXAMPLES):
            return self.stale(intent, message, ctx)
        return self.run_search(texts.HELP_EXAMPLES[i], ctx)

    def run_search(
        self, text: str, ctx: ChatContext | None = None, result: SearchResult | None = None
    ) -> Result:
        """Search (or take ``result``, a search of ``text`` already made) and show the list; a
        search that finds nothing keeps the chat's list as it was."""
        ctx = ctx if ctx is not None else ChatContext()
        result = result if result is not None else self.engine.search(text, limit=LIST_LIMIT)
        q = result.query
        outcome = Outcome(
            intent="search",
            query=text,
            normalized=q.normalized,
            hits=tuple(h.name for h in result.hits),
            scores=tuple(h.score for h in result.hits),
            answered=result.answered,
            corrected=q.corrected,
            key=q.key,
            confidence=result.confidence,
        )
        if q.empty:
            reply = Reply(
                texts.FALLBACK.format(example=texts.HELP_EXAMPLES[0]), quick_replies=self._suggestions()
            )
            return Turn(reply, replace(outcome, intent="fallback", answered=False)), None
        topic = topic_of(q, text)
        if not result.answered and result.elsewhere:
            # the topic exists, not for the province, year or moment asked: say so, and show it
            ctx = self._list(ctx, "search", text, [h.dataset for h in result.elsewhere])
            lead = _UNCONFIRMED_LEADS.get(result.unconfirmed, texts.NOT_FOUND_ELSEWHERE).format(topic=topic)
            return self._show(ctx, lead, outcome), ctx
        if not result.answered:
            near = self._near(result)
            lead = (
                texts.NOT_FOUND.format(topic=topic)
                + " "
                + (texts.NOT_FOUND_NEAR if near else texts.NOT_FOUND_SUGGEST)
            )
            return Turn(Reply(lead, quick_replies=near or self._suggestions()), outcome), None
        ctx = self._list(ctx, "search", text, [h.dataset for h in result.hits], q.corrected)
        extra: tuple[Button, ...] = ()
        found = _found(result, topic)
        if q.corrected:
            lead = texts.DID_YOU_MEAN.format(corrected=q.corrected) + "\n" + found
            extra = (Button(texts.LABEL_NOT_MEANT, payload.not_meant()),)
        elif result.confidence == "low":
            lead = texts.UNSURE
        else:
            lead = found
        turn = self._show(ctx, lead, outcome, extra)
        if result.confidence == "high":  # only what the answer bar answers can be followed
            follow = Button(texts.LABEL_FOLLOW, payload.follow(ctx.list_id))
            turn = replace(turn, reply=replace(turn.reply, buttons=(follow, *turn.reply.buttons)))
        return turn, ctx

    def inline(self, text: str, offset: int, page: int) -> Turn:
        """Telegram's inline mode (``@bot คำค้น`` in any chat): results ``offset`` to
        ``offset + page`` of the same search a typed message gets, and one more when a next page
        exists, as cards without buttons. Outside any chat: no list is kept."""
        result = self.engine.search(text, limit=offset + page + 1)
        q = result.query
        hits = result.hits[offset : offset + page + 1] if result.answered else []
        outcome = Outcome(
            intent="fallback" if q.empty else "search",
            query=text,
            normalized=q.normalized,
            hits=tuple(h.name for h in hits),
            scores=tuple(h.score for h in hits),
            answered=result.answered and not q.empty,
            corrected=q.corrected,
            key=q.key,
            confidence=result.confidence,
        )
        topic = topic_of(q, text)
        if not outcome.answered:
            return Turn(Reply(texts.NOT_FOUND.format(topic=topic)), outcome)
        return Turn(Reply(_found(result, topic), cards=tuple(make_card(h.dataset) for h in hits)), outcome)

    def _near(self, result: SearchResult) -> tuple[Button, ...]:
        """For a search that found nothing: the agencies of its best partial matches, and the
        query's words those matches hold, as searches of their own."""
        index = {org: i for i, (org, _) in enumerate(self.agency_counts())}
        words = [c.text for c in result.query.concepts if c.kind != "unknown"]
        if len(words) < 2:
            return ()  # one word that found nothing: nothing nearer to offer
        agencies = dict.fromkeys(h.dataset.organization for h in result.near if h.dataset.organization)
        held = {reason.split(":", 1)[0] for h in result.near for reason in h.why}
        topics = [w for w in words if w in held]
        buttons = [Button(org, payload.agency(index[org])) for org in list(agencies)[:3] if org in index]
        buttons += [Button(t, t, "text") for t in topics[:3]]
        return tuple(buttons)

    # -- the stored list -------------------------------------------------------------------------
    def details(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        n = int(intent.arg)
        outcome = Outcome("details", query=message.text or message.postback, answered=False)
        pool = ctx.names
        if not pool:
            text = texts.STALE if intent.button else texts.NO_LIST.format(example=texts.HELP_EXAMPLES[0])
            return Turn(Reply(text, quick_replies=self._help_buttons()), outcome), None
        if not 1 <= n <= len(pool):
            text = texts.OUT_OF_RANGE_ONE if len(pool) == 1 else texts.OUT_OF_RANGE.format(count=len(pool))
            return Turn(Reply(text), outcome), None
        d = self.engine.get(pool[n - 1])
        if d is None:
            return Turn(Reply(texts.STALE), outcome), None
        number = ctx.names.index(d.name) + 1 if d.name in ctx.names else 0
        card = card_with_buttons(d, number, "")  # no details button on the details themselves
        more = (ctx.page + 1) * PAGE_SIZE < len(ctx.names)
        quick = (Button(texts.LABEL_MORE, payload.more(ctx.list_id)),) if more else ()
        preview = preview_button(d, ctx.list_id, n)
        reply = Reply(
            texts.DETAILS.format(title=d.title),
            details=make_details(d, card),
            buttons=((preview,) if preview else ()) + feedback_buttons(ctx.list_id),
            quick_replies=quick,
        )
        return Turn(reply, replace(outcome, hits=(d.name,), scores=(1.0,), answered=True)), None

    def more(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        outcome = Outcome("more", query=ctx.query, answered=False)
        if not ctx.has_list:
            text = texts.NO_LIST.format(example=texts.HELP_EXAMPLES[0])
            return Turn(Reply(text, quick_replies=self._help_buttons()), outcome), None
        page = ctx.page + 1
        if page * PAGE_SIZE >= len(ctx.names):
            return Turn(Reply(texts.NO_MORE, quick_replies=facet_buttons(ctx)), outcome), None
        ctx = ctx.with_(page=page)
        return self._show(ctx, "", replace(outcome, answered=True)), ctx

    def narrow(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        outcome = Outcome("narrow", query=ctx.query, answered=False)
        if not ctx.all_names:
            return self.stale(intent, message, ctx)
        if intent.arg == "clear":
            datasets = self.engine.get_many(list(ctx.all_names))
            ctx = self._list(ctx, ctx.kind, ctx.query, datasets, ctx.corrected)
            lead = texts.FILTERS_CLEARED.format(count=len(ctx.names))
            return self._show(ctx, lead, replace(outcome, answered=True)), ctx
        kind, _, index = intent.arg.partition(":")
        choices = ctx.facets.get(kind, [])
        if int(index) >= len(choices):
            return self.stale(intent, message, ctx)
        value = choices[int(index)]
        kept = [d for d in self.engine.get_many(list(ctx.names)) if matches(d, kind, value)]
        if not kept:
            return Turn(Reply(texts.FILTER_NONE_LEFT, quick_replies=facet_buttons(ctx)), outcome), None
        filters = {**ctx.filters, kind: value}
        return self._narrowed(ctx, kept, filters, outcome)

    def refine(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """A typed follow-up on the list on screen: "เฉพาะเชียงใหม่", "เอาแค่ไฟล์ csv", "ของปีล่าสุด",
        "ปี 2560 ล่ะ", "ของกรมไหนบ้าง". When nothing on the list fits a province or year, the
        search is asked again with it ("ทะเบียนวัด" + "เชียงใหม่"); a new search that finds nothing
        keeps the list."""
        want = self.follow_up(message.text)
        if want is None or not ctx.has_list:
            return self.search(intent, message, ctx)
        outcome = Outcome("narrow", query=message.text, answered=False)
        datasets = self.engine.get_many(list(ctx.names))
        if not want.filters:  # "ของกรมไหนบ้าง": which agencies the list comes from
            return self._agencies_of(ctx, datasets, outcome), None
        # a new year, format or province replaces the one filtered on: start from the list as found
        replaced = {
            "yr": bool(want.years or want.latest_year),
            "fmt": bool(want.formats),
            "prov": bool(want.provinces),
        }
        filters = {k: v for k, v in ctx.filters.items() if not replaced.get(k)}
        if filters != ctx.filters:
            datasets = [
                d
                for d in self.engine.get_many(list(ctx.all_names))
                if all((k == "yr" and ", " in v) or matches(d, k, v) for k, v in filters.items())
            ]
        kept = datasets
        for fmt in want.formats:
            kept = [d for d in kept if matches(d, "fmt", fmt)]
            filters["fmt"] = fmt
        if want.years:
            filters["yr"] = ", ".join(sorted(str(y) for y in want.years))
            kept = [d for d in kept if matches(d, "yr", filters["yr"])]
        elif want.latest_year:
            newest = max((int(y) for d in kept for y in title_years(d)), default=0)
            if newest:
                kept = [d for d in kept if str(newest) in title_years(d)]
                filters["yr"] = str(newest)
            elif not want.provinces and not want.formats:  # no years in the titles: newest first
                kept = sorted(kept, key=lambda d: d.metadata_modified, reverse=True)
                ctx = ctx.new_list(payload.new_list_id(), **{**_list_fields(ctx), "names": _names(kept)})
                return self._show(ctx, texts.NEWEST_FIRST, replace(outcome, answered=True)), ctx
        for prov in want.provinces:
            kept = [d for d in kept if in_province(d, prov)]
            filters["prov"] = prov
        if not kept and ctx.kind == "search" and (want.provinces or want.years):
            extra = " ".join([*sorted(want.provinces), *(str(y) for y in sorted(want.years))])
            return self.run_search(f"{ctx.query} {extra}", ctx)
        if not kept or (len(kept) == len(datasets) and filters == ctx.filters):
            text = texts.FILTER_NONE_LEFT if not kept else texts.FILTER_ALL_MATCH
            return Turn(Reply(text, quick_replies=facet_buttons(ctx)), outcome), None
        return self._narrowed(ctx, kept, filters, outcome)

    def _narrowed(
        self, ctx: ChatContext, kept: list[Dataset], filters: dict[str, str], outcome: Outcome
    ) -> Result:
        """The list on screen narrowed to ``kept``, shown as a new list (its own id)."""
        ctx = ctx.new_list(
            payload.new_list_id(),
            kind=ctx.kind,
            query=ctx.query,
            corrected=ctx.corrected,
            all_names=ctx.all_names,
            names=tuple(d.name for d in kept),
            filters=filters,
            facets=facets_of(kept, filters),
        )
        lead = texts.FILTERED.format(count=len(kept), filters=filter_description(filters))
        return self._show(ctx, lead, replace(outcome, answered=True)), ctx

    def _agencies_of(self, ctx: ChatContext, datasets: list[Dataset], outcome: Outcome) -> Turn:
        ranked = ranked_agencies(datasets)
        if len(ranked) == 1:
            return Turn(
                Reply(texts.LIST_ONE_AGENCY.format(agency=ranked[0][0])), replace(outcome, answered=True)
            )
        lines = [texts.LIST_AGENCIES.format(count=len(ranked))]
        lines += [
            texts.AGENCY_LINE.format(number=i + 1, name=org, count=n) for i, (org, n) in enumerate(ranked)
        ]
        choices = ctx.facets.get("org", [])
        quick = tuple(
            Button(org, payload.narrow(ctx.list_id, "org", choices.index(org)))
            for org, _ in ranked
            if org in choices
        )
        return Turn(Reply("\n".join(lines), quick_replies=quick), replace(outcome, answered=True))

    # -- browsing ------------------------------------------------------------------------------
    def agencies(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        counts = self.agency_counts()
        start = int(intent.arg or 0)
        shown = counts[start : start + AGENCIES_PAGE]
        if not shown:
            return self.stale(intent, message, ctx)
        lines = [texts.AGENCIES.format(total=len(counts))]
        lines += [
            texts.AGENCY_LINE.format(number=start + i + 1, name=org, count=n)
            for i, (org, n) in enumerate(shown)
        ]
        buttons = tuple(Button(org, payload.agency(start + i)) for i, (org, _) in enumerate(shown))
        quick: tuple[Button, ...] = ()
        if start + AGENCIES_PAGE < len(counts):
            quick = (Button(texts.LABEL_MORE_AGENCIES, payload.agencies(start + AGENCIES_PAGE)),)
        return Turn(Reply("\n".join(lines), buttons=buttons, quick_replies=quick), Outcome("agencies")), None

    def agency(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        counts = self.agency_counts()
        i = int(intent.arg)
        if i >= len(counts):
            return self.stale(intent, message, ctx)
        org, count = counts[i]
        ctx = self._list(ctx, "agency", org, self.engine.by_agency(org, limit=LIST_LIMIT))
        lead = texts.AGENCY_LIST.format(agency=org, count=count)
        turn = self._show(ctx, lead, Outcome("agencies", query=org))
        follow = Button(texts.LABEL_FOLLOW_AGENCY, payload.follow_agency(i))
        return replace(turn, reply=replace(turn.reply, buttons=(follow, *turn.reply.buttons))), ctx

    def latest(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        ctx = self._list(ctx, "latest", "", self.engine.latest(limit=LIST_LIMIT))
        return self._show(ctx, texts.LATEST, Outcome("latest")), ctx

    # -- feedback and fallbacks ----------------------------------------------------------------
    def feedback(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        useful = intent.arg == "useful"
        reply = (
            Reply(texts.FEEDBACK_UP)
            if useful
            else Reply(texts.FEEDBACK_DOWN, quick_replies=self._suggestions())
        )
        return Turn(reply, Outcome("feedback", query=ctx.query), feedback=intent.arg), None

    def fallback(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        text = texts.FALLBACK.format(example=texts.HELP_EXAMPLES[0])
        outcome = Outcome("fallback", query=ctx.query or message.text, answered=False)
        return Turn(Reply(text, quick_replies=self._suggestions()), outcome), None

    def stale(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        outcome = Outcome("fallback", query=message.text, answered=False)
        return Turn(Reply(texts.STALE, quick_replies=self._suggestions()), outcome), None

    def expired(self, intent: Intent, message: Message, ctx: ChatContext) -> Result:
        """A button whose list the chat no longer remembers (too old, or the chat was forgotten)."""
        outcome = Outcome("expired", query=message.text, answered=False)
        return Turn(Reply(texts.EXPIRED, quick_replies=self._suggestions()), outcome), None


def _found(result: SearchResult, topic: str) -> str:
    """How many were found, said as a count only when it is one ("at least 50" when the answer
    filled every place the ranking keeps)."""
    if result.total == 1:
        return texts.FOUND_ONE.format(topic=topic)
    found = texts.FOUND_AT_LEAST if result.at_least else texts.FOUND
    return found.format(count=result.total, topic=topic)
