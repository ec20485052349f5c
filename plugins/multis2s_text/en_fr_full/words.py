"""The word objects of the full English→French grammar, read from :mod:`.word_tables`.

Nouns and adjectives are the classes of the basic grammar (:mod:`multis2s_text.en_fr_lexicon`);
verbs carry the three tenses here (present, passé composé, future) and their auxiliary.
"""

from dataclasses import dataclass

from multis2s_text.en_fr_full import word_tables
from multis2s_text.en_fr_full.morphology import (
    english_regular_past, english_third_person, future_forms, regular_conjugation,
)
from multis2s_text.en_fr_lexicon import PRONOUNS, Adjective, Noun, Pronoun

__all__ = ["ADJECTIVES", "ADVERBS", "ATTRIBUTIVE", "ETRE", "INTRANSITIVE_VERBS", "NOUNS", "PREDICATES", "PRONOUNS",
           "TRANSITIVE_VERBS", "Adjective", "Adverb", "Noun", "Pronoun", "Verb"]

ETRE = {
    "present": ("suis", "es", "est", "sommes", "êtes", "sont"),
    "past": ("étais", "étais", "était", "étions", "étiez", "étaient"),
    "future": future_forms("ser"),
}
"""Être as a copula; its past is the imparfait (``la voiture était rouge``)."""
AVOIR_PRESENT = ("ai", "as", "a", "avons", "avez", "ont")
ETRE_PRESENT = ETRE["present"]


@dataclass(frozen=True)
class Verb:
    """A verb in both languages; ``objects`` are the noun categories of its object.

    For an intransitive verb (:data:`INTRANSITIVE_VERBS`) ``objects`` is ``("place",)`` when a
    place may follow it (``she went to Tarville``) and empty otherwise.

    ``particle`` follows the English verb (``wait for``, ``go to``); for an intransitive verb it is
    the preposition before a place (``to``/``at``), which becomes ``in`` before a town.
    """

    english: str
    english_past: str
    particle: str
    present: tuple[str, ...]
    participle: str
    future: tuple[str, ...]
    objects: tuple[str, ...]
    generic_plural: bool = False
    animal_subjects: bool = False
    etre: bool = False

    @property
    def english_third(self) -> str:
        """The English third person singular present."""
        return english_third_person(self.english)

    @property
    def auxiliary(self) -> tuple[str, ...]:
        """The present of the passé composé's auxiliary, être or avoir."""
        return ETRE_PRESENT if self.etre else AVOIR_PRESENT


@dataclass(frozen=True)
class Adverb:
    """A frequency adverb: before the English verb, after the French finite verb."""

    english: str
    french: str


def _english_plural(noun: str) -> str:
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _french_plural(noun: str) -> str:
    return noun if noun.endswith(("s", "x", "z")) else noun + "s"


def _read_nouns() -> dict[str, tuple[Noun, ...]]:
    nouns = {}
    for category, table in word_tables.NOUNS.items():
        entries = []
        for entry in table.replace("\n", "|").split("|"):
            if not entry.strip():
                continue
            english, french, gender, *plurals = entry.split()
            english_plural, french_plural = (plurals + ["_", "_"])[:2]
            entries.append(Noun(english, french, gender == "f", category,
                                _english_plural(english) if english_plural == "_" else english_plural,
                                _french_plural(french) if french_plural == "_" else french_plural))
        nouns[category] = tuple(entries)
    return nouns


def _read_adjective(entry: str) -> Adjective:
    english, *rest = entry.split()
    before_noun = "+" in rest
    vowel_form = rest[rest.index("+") + 1] if before_noun and rest.index("+") + 1 < len(rest) else ""
    forms = rest[:rest.index("+")] if before_noun else rest
    if len(forms) == 1:
        masculine = forms[0]
        feminine = masculine if masculine.endswith("e") else masculine + "e"
        forms = [masculine, feminine, _french_plural(masculine), feminine + "s"]
    return Adjective(english, tuple(forms), before_noun, vowel_form)


def _read_verbs(table: str) -> tuple[Verb, ...]:
    verbs = []
    for line in table.strip().splitlines():
        english_part, infinitive, forms, objects, flags = (field.strip() for field in line.split("|"))
        english, *particle = english_part.split()
        base, _, past = english.partition("/")
        if forms:
            present, participle, stem = forms.split("/")
            conjugation = (tuple(present.split()), participle, stem)
        else:
            conjugation = regular_conjugation(infinitive)
        categories = tuple(word_tables.CATEGORY_LETTERS[letter] for letter in objects)
        verbs.append(Verb(base, past or english_regular_past(base), " ".join(particle), conjugation[0],
                          conjugation[1], future_forms(conjugation[2]), categories,
                          generic_plural="g" in flags, animal_subjects="a" in flags, etre="e" in flags))
    return tuple(verbs)


NOUNS = _read_nouns()
ADJECTIVES = {adjective.english: adjective
              for adjective in (_read_adjective(entry) for entry in word_tables.ADJECTIVES.replace("\n", "|").split("|")
                                if entry.strip())}
ATTRIBUTIVE = {category: tuple(tuple(ADJECTIVES[word] for word in side.split()) for side in sides)
               for category, sides in word_tables.ATTRIBUTIVE.items()}
PREDICATES = {category: tuple(ADJECTIVES[word] for word in words.split())
              for category, words in word_tables.PREDICATES.items()}
PREDICATES["relative"] = PREDICATES["person"]
TRANSITIVE_VERBS = _read_verbs(word_tables.TRANSITIVE_VERBS)
INTRANSITIVE_VERBS = _read_verbs(word_tables.INTRANSITIVE_VERBS)
ADVERBS = tuple(Adverb(*entry.split()) for entry in word_tables.ADVERBS.split("|"))
