"""Drawing sentences of the full English→French grammar, and the train/dev/test splits.

Words are drawn with Zipf weights (the n-th word of a table weighs 1/n), so a long tail of words
is seen only a few times in training; numbers are uniform over 2–99.  A quarter of the person and
town names are held out: training sentences use only the others, and each name drawn for a dev or
test sentence is a held-out one with probability :data:`HELD_OUT_NAME_RATE`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from multis2s_text.en_fr_full.clauses import (
    POSSESSIVES, TENSES, Clause, NounPhrase, Relative, Sentence, english_sentence, french_sentence,
)
from multis2s_text.en_fr_full.names import Name, held_out_split, person_names, town_names
from multis2s_text.en_fr_full.words import (
    ADVERBS, ATTRIBUTIVE, INTRANSITIVE_VERBS, NOUNS, PREDICATES, PRONOUNS, TRANSITIVE_VERBS, Verb,
)

HELD_OUT_SHARE = 0.25
HELD_OUT_NAME_RATE = 0.6
THINGS = ("animal", "object", "food", "text")
PEOPLE = ("person", "relative")


def _zipf(options: Sequence[Any]) -> tuple[Sequence[Any], list[float]]:
    return options, [1.0 / rank for rank in range(1, len(options) + 1)]


class SentenceSampler:
    """Draws :class:`Sentence` structures with one random generator and one pool of names.

    Args:
        rng: the generator (the caller seeds it).
        people, towns: the names to draw from.
        held_out_people, held_out_towns: names drawn instead with probability ``held_out_rate``.
    """

    def __init__(self, rng: random.Random, people: Sequence[Name], towns: Sequence[Name],
                 held_out_people: Sequence[Name] = (), held_out_towns: Sequence[Name] = (),
                 held_out_rate: float = 0.0) -> None:
        self.rng = rng
        self.pools = {"people": (people, held_out_people), "towns": (towns, held_out_towns)}
        self.held_out_rate = held_out_rate
        self.nouns = {category: _zipf(nouns) for category, nouns in NOUNS.items()}
        self.transitive = _zipf(TRANSITIVE_VERBS)
        self.intransitive = _zipf(INTRANSITIVE_VERBS)

    def _weighted(self, options_and_weights: tuple[Sequence[Any], list[float]]) -> Any:
        options, weights = options_and_weights
        return self.rng.choices(options, weights=weights)[0]

    def _chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def name(self, kind: str = "people") -> Name:
        """Draw a person (``kind="people"``) or town (``"towns"``) name."""
        usual, held_out = self.pools[kind]
        return self.rng.choice(held_out if held_out and self._chance(self.held_out_rate) else usual)

    def noun_phrase(self, category: str, role: str, relative_depth: int = 0) -> NounPhrase:
        """Draw a noun phrase; ``role`` is ``subject``, ``object`` or ``place``."""
        rng = self.rng
        if role == "place":
            determiners = ["the"] * 4 + ["genitive", "my", "our"]
        elif category == "relative":
            determiners = [*POSSESSIVES, "genitive"] + (["a", "bare"] if role == "object" else [])
        elif role == "subject":
            determiners = ["the", "the", "the", "number", "genitive", *POSSESSIVES]
        else:
            determiners = ["the", "the", "a", "a", "bare", "number", "genitive", *POSSESSIVES]
        if category == "person":
            determiners = [d for d in determiners if d not in POSSESSIVES and d != "genitive"]
        determiner = rng.choice(determiners)
        plural = {"a": False, "bare": True, "number": True}.get(determiner, self._chance(0.35))
        if role == "place":
            plural = False
        before_options, after_options = ATTRIBUTIVE[category]
        before = rng.choice(before_options) if before_options and determiner != "bare" and self._chance(0.25) else None
        after = rng.choice(after_options) if after_options and self._chance(0.4) else None
        relative = None
        if relative_depth and determiner != "genitive" and role != "place" and self._chance(0.4):
            relative = self.relative(category)
        return NounPhrase(determiner, self._weighted(self.nouns[category]), plural, before, after, relative,
                          number=rng.randint(2, 99) if determiner == "number" else 0,
                          owner=self.name() if determiner == "genitive" else None)

    def subject(self, verb: Verb | None, relative_depth: int) -> Any:
        """Draw a subject a verb can take (any noun category for the copula)."""
        rng = self.rng
        if verb is None:
            category = rng.choice([*THINGS, "place", *PEOPLE, "pronoun", "name"])
        elif verb.animal_subjects and self._chance(0.25):
            category = "animal"
        else:
            category = rng.choices(["pronoun", "name", *PEOPLE], weights=[35, 25, 25, 15])[0]
        if category == "pronoun":
            return rng.choice(PRONOUNS)
        if category == "name":
            return self.name()
        return self.noun_phrase(category, "subject", relative_depth)

    def complement(self, category: str, relative_depth: int) -> Any:
        """Draw an object or a place of a category (``name`` and ``place`` include names)."""
        if category == "name":
            return self.name()
        if category == "place":
            return self.name("towns") if self._chance(0.4) else self.noun_phrase("place", "place")
        return self.noun_phrase(category, "object", relative_depth)

    def clause(self, relative_depth: int = 1, question: bool = False, gap: str = "") -> Clause:
        """Draw a clause; ``gap`` leaves the subject or object empty (filled by a relative's antecedent)."""
        rng = self.rng
        kind = rng.choices(["transitive", "intransitive", "copula"], weights=[5, 2, 2])[0]
        if gap == "object":
            kind = "transitive"
        verb = None if kind == "copula" else self._weighted(self.transitive if kind == "transitive"
                                                            else self.intransitive)
        tense = rng.choice(TENSES)
        negated = not question and self._chance(0.3)
        adverb = rng.choice(ADVERBS) if not (question or negated) and self._chance(0.15) else None
        subject = None if gap == "subject" else self.subject(verb, relative_depth)
        obj = place = predicate = None
        if verb is None:
            category = _category_of(subject) if subject is not None else "person"
            predicate = rng.choice(PREDICATES[category])
        elif verb.objects and kind == "transitive" and gap != "object":
            obj = self.complement(rng.choice(verb.objects), relative_depth)
        elif verb.objects and gap != "object" and self._chance(0.7):
            place = self.complement("place", 0)
        when = relative_depth > 0 and self._chance(0.2)
        return Clause(subject, verb, tense, negated, obj, place, adverb, predicate, when)

    def relative(self, antecedent_category: str) -> Relative:
        """Draw a relative clause whose antecedent is of a category; it agrees once the antecedent is known."""
        for _ in range(100):
            gap = self.rng.choice(("subject", "object"))
            clause = self.clause(relative_depth=0, gap=gap)
            if _relative_fits(clause, gap, antecedent_category):
                return Relative(gap, clause)
        raise RuntimeError(f"no relative clause fits a {antecedent_category} antecedent")

    def sentence(self) -> Sentence:
        """Draw a sentence: a fifth are questions."""
        question = self._chance(0.2)
        return Sentence(self.clause(relative_depth=1, question=question), question)


def _category_of(subject: Any) -> str:
    if isinstance(subject, NounPhrase):
        return subject.noun.category
    return "person"


def _relative_fits(clause: Clause, gap: str, antecedent: str) -> bool:
    """Whether a clause with a gap makes sense with an antecedent of this category."""
    verb = clause.verb
    if gap == "object":
        return antecedent in verb.objects
    if verb is None:
        return clause.predicate in PREDICATES[antecedent]
    return antecedent in PEOPLE or (antecedent == "animal" and verb.animal_subjects)


def generate_splits(train_size: int, dev_size: int, test_size: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """Return {"train", "dev", "test"} lists of distinct (english, french) pairs, no English sentence in two splits.

    Training uses three quarters of the names; dev and test draw each name from the held-out
    quarter with probability :data:`HELD_OUT_NAME_RATE`.  The same arguments give the same pairs.
    """
    rng = random.Random(seed)
    people, held_out_people = held_out_split(person_names(), HELD_OUT_SHARE, seed)
    towns, held_out_towns = held_out_split(town_names(), HELD_OUT_SHARE, seed + 1)
    seen: set[str] = set()
    splits = {}
    for name, size in (("train", train_size), ("dev", dev_size), ("test", test_size)):
        if name == "train":
            sampler = SentenceSampler(rng, people, towns)
        else:
            sampler = SentenceSampler(rng, people, towns, held_out_people, held_out_towns, HELD_OUT_NAME_RATE)
        pairs = []
        while len(pairs) < size:
            sentence = sampler.sentence()
            english = english_sentence(sentence)
            if english not in seen:
                seen.add(english)
                pairs.append((english, french_sentence(sentence)))
        splits[name] = pairs
    return splits


def held_out_names(seed: int) -> frozenset[str]:
    """Return the person and town names that training sentences of ``seed`` never use."""
    _, people = held_out_split(person_names(), HELD_OUT_SHARE, seed)
    _, towns = held_out_split(town_names(), HELD_OUT_SHARE, seed + 1)
    return frozenset(name.text for name in (*people, *towns))
