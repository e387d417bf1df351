"""Understanding a query: from what a user typed to weighted concepts and entities.

A concept is one thing the user asked about, with every way the catalog may say it: the word as
typed, its catalog spelling after typo correction, the formal term for an everyday word, the Thai
for an English word, an acronym's full name. Pure: the vocabulary is passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .entities import find_entities
from .lexicon import Lexicon
from .text import has_thai, normalize, pieces, tokenize

__all__ = ["Concept", "ParsedQuery", "Vocabulary", "parse_query"]

_MAX_NGRAM = 4
#: a Thai token in at most this many datasets may be a typo of a commoner word
_RARE_DF = 2
_LATIN_WORD = re.compile(r"^[a-z][a-z.\-]*$")


@dataclass(frozen=True, slots=True)
class Concept:
    text: str
    #: each alternative is a tuple of tokens that must all occur
    alts: tuple[tuple[str, ...], ...]
    weight: float
    kind: str = "word"


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    raw: str
    normalized: str
    concepts: tuple[Concept, ...]
    provinces: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    #: what we understood, when it differs from what was typed (typo, keyboard layout)
    corrected: str = ""
    unknown: tuple[str, ...] = ()
    key: str = ""

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.provinces and not self.years and not self.months


@dataclass(slots=True)
class Vocabulary:
    """What the index knows: token document frequencies and the catalog size."""

    df: Mapping[str, int]
    size: int
    correct: Callable[[str], str | None] = field(default=lambda w: None)
    tone_variants: Callable[[str], Sequence[str]] = field(default=lambda w: ())

    def idf(self, token: str) -> float:
        n = self.df.get(token, 0)
        if n == 0:
            parts = pieces(token)
            if parts and all(p in self.df for p in parts):
                n = max(1, min(self.df[p] for p in parts) // 2)
        return math.log(1 + (self.size + 1) / (n + 0.5))

    def known_compound(self, token: str) -> bool:
        parts = pieces(token)
        return bool(parts) and all(self.df.get(p, 0) > _RARE_DF for p in parts)

    def known(self, token: str) -> bool:
        if token in self.df:
            return True
        parts = pieces(token)
        return bool(parts) and all(p in self.df for p in parts)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase, normalized=True))


def _lookup_ngrams(
    tokens: Sequence[str], used: set[int], lex: Lexicon, extra_synonyms: Mapping[str, Sequence[str]]
) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """Spans of tokens that a table knows: (start, end, kind, alternatives as phrases)."""
    found = []
    i = 0
    while i < len(tokens):
        hit = None
        for span in range(min(_MAX_NGRAM, len(tokens) - i), 0, -1):
            if any(j in used for j in range(i, i + span)):
                continue
            window = tokens[i : i + span]
            latin = all(_LATIN_WORD.match(t) for t in window)
            key = " ".join(window) if latin else "".join(window)
            if latin:
                key_s = " ".join(_singular(t) for t in window)
                if key_s in lex.glossary or key in lex.glossary:
                    hit = (i, i + span, "english", lex.glossary.get(key_s) or lex.glossary[key])
                elif span == 1 and key in lex.loanwords:
                    hit = (i, i + 1, "english", lex.loanwords[key])
            elif key in extra_synonyms:
                hit = (i, i + span, "taught", tuple(extra_synonyms[key]))
            elif key in lex.synonyms:
                hit = (i, i + span, "synonym", lex.synonyms[key])
            elif key in lex.acronyms and span == 1:
                hit = (i, i + 1, "acronym", (lex.acronyms[key],))
            if hit:
                break
        if hit:
            found.append(hit)
            i = hit[1]
        else:
            i += 1
    return found


def _repair(
    tokens: Sequence[str], i: int, used: set[int], vocab: Vocabulary, suspicious: Callable[[str], bool]
) -> tuple[int, str] | None:
    """A misspelling, or a word the tokeniser broke apart, starting at token i: the span it
    covers and the catalog word it means. Windows of three, two, then one token are tried, each
    only when it holds an unknown or barely-known token."""
    for span in (3, 2, 1):
        window = tokens[i : i + span]
        if len(window) < span or any(j in used for j in range(i, i + span)):
            continue
        if not any(suspicious(t) for t in window):
            continue
        joined = "".join(window)
        if span == 1 and vocab.known(joined):
            return None
        if joined in vocab.df and vocab.df[joined] > _RARE_DF:
            return span, joined
        fixed = vocab.correct(joined)
        if fixed:
            return span, fixed
    return None


def parse_query(
    text: str,
    vocab: Vocabulary,
    lex: Lexicon,
    *,
    acronyms: Mapping[str, str] | None = None,
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> ParsedQuery:
    normalized = normalize(text)
    tokens: list[str] = []
    for tok in tokenize(normalized, normalized=True):
        parts = pieces(tok) if tok not in vocab.df else ()
        tokens.extend(parts or (tok,))
    ents = find_entities(tokens, lex)
    used = set(ents.used)
    provinces = set(ents.provinces)
    if acronyms:
        lex = Lexicon(
            lex.places,
            lex.provinces,
            {**acronyms, **lex.acronyms},
            lex.synonyms,
            lex.glossary,
            lex.fillers,
            lex.loanwords,
        )

    concepts: list[Concept] = []
    corrections: list[tuple[str, str]] = []
    unknown: list[str] = []

    def add(text_: str, alts: list[tuple[str, ...]], kind: str) -> None:
        alts = [a for a in dict.fromkeys(alts) if a]
        if alts:
            weight = max(sum(vocab.idf(t) for t in alt) / len(alt) for alt in alts)
            concepts.append(Concept(text_, tuple(alts), weight, kind))

    for start, end, kind, phrases in _lookup_ngrams(tokens, used, lex, synonyms or {}):
        own = tuple(tokens[start:end])
        alts = [own] if all(vocab.known(t) for t in own) else []
        alts += [_phrase_tokens(p) for p in phrases]
        add(" ".join(own), alts, kind)
        used.update(range(start, end))

    def suspicious(tok: str) -> bool:
        return (
            has_thai(tok)
            and tok not in lex.fillers
            and vocab.df.get(tok, 0) <= _RARE_DF
            and not vocab.known_compound(tok)
        )

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in used:
            i += 1
            continue
        repair = _repair(tokens, i, used, vocab, suspicious)
        if repair:
            span, fixed = repair
            joined = "".join(tokens[i : i + span])
            if fixed != joined:
                corrections.append((joined, fixed))
            place = lex.places.get(fixed)
            if place:
                provinces.add(place)
            elif fixed not in lex.fillers:
                add(fixed, [(fixed,)], "corrected" if fixed != joined else "word")
            i += span
            continue
        if tok in lex.fillers or (len(tok) == 1 and has_thai(tok)):
            i += 1
            continue
        if vocab.known(tok) or tok.isdigit():
            alts = [(tok,)] + [(v,) for v in vocab.tone_variants(tok) if v != tok]
            add(tok, alts, "word")
        elif _LATIN_WORD.match(tok) and _singular(tok) in vocab.df:
            add(tok, [(_singular(tok),)], "word")
        else:
            unknown.append(tok)
            add(tok, [(tok,)], "unknown")
        i += 1

    corrected = normalized
    for wrong, right in corrections:
        corrected = corrected.replace(wrong, right, 1)
    key_words = sorted({c.alts[0][0] if c.kind != "unknown" else c.text for c in concepts})
    key = " ".join(key_words + sorted(provinces) + [str(y) for y in sorted(ents.years)])
    return ParsedQuery(
        raw=text,
        normalized=normalized,
        concepts=tuple(concepts),
        provinces=frozenset(provinces),
        years=frozenset(ents.years),
        months=frozenset(ents.months),
        corrected=corrected if corrections else "",
        unknown=tuple(unknown),
        key=key,
    )
