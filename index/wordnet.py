"""Thai WordNet, as pythainlp ships it (wordnet_th.db: ~91,000 word-synset pairs keyed by Princeton
WordNet 3.0 offsets), read directly: no NLTK, no download.

Two uses: words that share a synset are candidate synonyms (ค่าแรง and ค่าจ้าง), and a word all of
whose senses are people (แม่ค้า, ย่า, ลูกค้า) says who is asking, not what they ask about.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pythainlp.corpus

__all__ = ["ThaiWordNet", "wordnet"]

DB = Path(pythainlp.corpus.__file__).with_name("wordnet_th.db")
#: WordNet 3.0's data.noun is laid out by lexicographer file, and noun.person (people by role,
#: kinship, occupation) occupies these offsets
PERSON_OFFSETS = range(9_590_000, 10_810_000)


@dataclass(frozen=True, slots=True)
class ThaiWordNet:
    senses: dict[str, tuple[str, ...]]
    lemmas: dict[str, tuple[str, ...]]

    def synonyms(self, word: str) -> tuple[str, ...]:
        """Other words sharing a sense with ``word``, senses in WordNet's order."""
        out: dict[str, None] = {}
        for synset in self.senses.get(word, ()):
            for lemma in self.lemmas[synset]:
                if lemma != word:
                    out[lemma] = None
        return tuple(out)

    def is_person(self, word: str) -> bool:
        """Every sense of ``word`` is a kind of person (a noun of noun.person)."""
        senses = self.senses.get(word, ())
        return bool(senses) and all(_person(s) for s in senses)


def _person(synset: str) -> bool:
    offset, _, pos = synset.partition("-")
    return pos == "n" and offset.isdigit() and int(offset) in PERSON_OFFSETS


@lru_cache(maxsize=1)
def wordnet() -> ThaiWordNet:
    senses: dict[str, list[str]] = defaultdict(list)
    lemmas: dict[str, list[str]] = defaultdict(list)
    if DB.exists():
        with sqlite3.connect(f"file:{DB}?mode=ro", uri=True) as db:
            for synset, word in db.execute("SELECT synsetid, li FROM word_synset ORDER BY rowid"):
                senses[word].append(synset)
                lemmas[synset].append(word)
    return ThaiWordNet(
        senses={k: tuple(v) for k, v in senses.items()},
        lemmas={k: tuple(v) for k, v in lemmas.items()},
    )
