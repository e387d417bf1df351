"""Showing a stored list of datasets: one page of cards, their buttons, and the narrowing choices
(facets) built from what the list holds. Pure apart from the engine reads the caller passes in."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from index.dataset import Dataset
from index.entities import to_be_year
from index.lexicon import lexicon
from index.text import has_thai, normalize

from . import payload, texts
from .cards import dataset_formats, make_card
from .context import ChatContext
from .types import Button, Card

__all__ = [
    "FACET_KINDS",
    "PAGE_SIZE",
    "card_with_buttons",
    "dataset_formats",
    "facet_buttons",
    "facets_of",
    "feedback_buttons",
    "filter_description",
    "in_province",
    "matches",
    "ranked_agencies",
    "title_years",
]

PAGE_SIZE = 5
FACET_KINDS = ("org", "fmt", "yr")
#: choices kept per facet (the agencies of a list are offered in full when asked "ของกรมไหนบ้าง") ...
_FACET_CHOICES = 10
#: ... and offered as quick replies after each page
_FACET_BUTTONS = 3
_YEAR = re.compile(r"(?<!\d)(25[0-9]{2}|19[5-9][0-9]|20[0-9]{2})(?!\d)")


def title_years(d: Dataset) -> tuple[str, ...]:
    """Years named in the title, in the Buddhist era ("2019" -> "2562")."""
    years = (to_be_year(int(y)) for y in _YEAR.findall(d.title))
    return tuple(dict.fromkeys(str(y) for y in years if y))


def matches(d: Dataset, kind: str, value: str) -> bool:
    if kind == "org":
        return d.organization == value
    if kind == "fmt":
        return value in dataset_formats(d)
    if kind == "yr":  # one year, or several as "2560, 2561"
        return not set(value.split(", ")).isdisjoint(title_years(d))
    if kind == "prov":
        return in_province(d, value)
    return True


@lru_cache(maxsize=1)
def _province_names() -> dict[str, tuple[str, ...]]:
    """Each province -> the Thai ways a title may name it."""
    names: dict[str, list[str]] = {}
    for alias, prov in lexicon().places.items():
        if has_thai(alias) and len(alias) > 2:
            names.setdefault(prov, []).append(alias)
    return {p: tuple(sorted(set(a), key=len, reverse=True)) for p, a in names.items()}


def in_province(d: Dataset, province: str) -> bool:
    """Whether the dataset's title (or tags) names the province."""
    text = normalize(" ".join((d.title, *d.tags)))
    return any(alias in text for alias in _province_names().get(province, (normalize(province),)))


def ranked_agencies(datasets: Sequence[Dataset]) -> list[tuple[str, int]]:
    """The agencies of a list, most datasets first (the order of the "org" facet)."""
    counts = Counter(d.organization for d in datasets if d.organization)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def facets_of(datasets: Sequence[Dataset], filters: dict[str, str]) -> dict[str, list[str]]:
    """Up to three choices per facet that would actually narrow the list (each keeps some datasets
    and drops others), most common first; facets already filtered on are left out."""
    total = len(datasets)
    counts: dict[str, Counter[str]] = {k: Counter() for k in FACET_KINDS}
    for d in datasets:
        if d.organization:
            counts["org"][d.organization] += 1
        counts["fmt"].update(dataset_formats(d))
        counts["yr"].update(title_years(d))
    out: dict[str, list[str]] = {}
    for kind in FACET_KINDS:
        if kind in filters:
            continue
        if kind == "yr":
            ranked = sorted(counts[kind].items(), key=lambda kv: (-kv[1], -int(kv[0])))
        else:
            ranked = sorted(counts[kind].items(), key=lambda kv: (-kv[1], kv[0]))
        choices = [v for v, n in ranked if 0 < n < total][:_FACET_CHOICES]
        if choices:
            out[kind] = choices
    return out


def _facet_label(kind: str, value: str) -> str:
    if kind == "fmt":
        return texts.LABEL_FMT.format(value=value)
    if kind == "yr":
        return texts.LABEL_YR.format(value=value)
    return value


def facet_buttons(ctx: ChatContext) -> tuple[Button, ...]:
    buttons = [
        Button(_facet_label(kind, value), payload.narrow(ctx.list_id, kind, i))
        for kind in FACET_KINDS
        for i, value in enumerate(ctx.facets.get(kind, [])[:_FACET_BUTTONS])
    ]
    if ctx.filters:
        buttons.append(Button(texts.LABEL_CLEAR, payload.clear(ctx.list_id)))
    return tuple(buttons)


def filter_description(filters: dict[str, str]) -> str:
    names = {
        "org": texts.FILTER_ORG,
        "fmt": texts.FILTER_FMT,
        "yr": texts.FILTER_YR,
        "prov": texts.FILTER_PROV,
    }
    return ", ".join(names[k].format(value=v) for k, v in filters.items() if k in names)


def feedback_buttons(list_id: str = "") -> tuple[Button, ...]:
    return (
        Button(texts.LABEL_USEFUL, payload.feedback(True, list_id)),
        Button(texts.LABEL_NOT_USEFUL, payload.feedback(False, list_id)),
    )


def card_with_buttons(d: Dataset, number: int, list_id: str) -> Card:
    """A card with its three buttons: the best real file, details of item ``number`` of list
    ``list_id`` (none when either is missing), and the dataset's page on data.go.th (always)."""
    card = make_card(d, number)
    buttons: list[Button] = []
    if card.download_url:
        buttons.append(Button(texts.LABEL_DOWNLOAD, card.download_url, "url"))
    if number > 0 and list_id:
        buttons.append(Button(texts.LABEL_DETAILS, payload.details(list_id, number)))
    buttons.append(Button(texts.LABEL_PAGE, card.page_url, "url"))
    return replace(card, buttons=tuple(buttons))
