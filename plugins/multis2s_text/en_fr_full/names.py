"""Proper names of the full English→French grammar: people (with a gender) and towns, made from syllables.

Names are the same in both languages and capitalised, so a model must copy them.  The lists are a
fixed function of their sizes; which names are held out of training is chosen per seed by
:func:`held_out_split`.
"""

import random
from dataclasses import dataclass

_ONSETS = "b d f g j k l m n p r s t v z".split()
_VOWELS = "a e i o u".split()
_FEMININE_ENDINGS = ("a", "ine", "elle", "ette", "ie")
_MASCULINE_ENDINGS = ("o", "an", "el", "in", "ric", "on")
_TOWN_ENDINGS = ("ville", "bourg", "mont", "court", "val")


@dataclass(frozen=True)
class Name:
    """A proper name; ``feminine`` says how a person's name agrees (towns are masculine)."""

    text: str
    feminine: bool = False


def _stems() -> list[str]:
    firsts = _VOWELS + [onset + vowel for onset in _ONSETS for vowel in _VOWELS]
    seconds = [onset + vowel for onset in _ONSETS for vowel in _VOWELS]
    return [first + second for first in firsts for second in seconds]


def _pick(candidates: list[str], count: int, seed: int) -> list[str]:
    unique = sorted(set(candidates))
    if count > len(unique):
        raise ValueError(f"at most {len(unique)} names of this kind; asked for {count}")
    return random.Random(seed).sample(unique, count)


def person_names(count: int = 2400) -> tuple[Name, ...]:
    """Return ``count`` distinct person names, alternately feminine and masculine."""
    stems = _stems()
    feminine = _pick([stem[:-1] + ending for stem in stems for ending in _FEMININE_ENDINGS], count // 2 + 1, 11)
    masculine = _pick([stem[:-1] + ending for stem in stems for ending in _MASCULINE_ENDINGS], count // 2 + 1, 12)
    names = [Name(text.capitalize(), is_feminine) for pair in zip(feminine, masculine, strict=True)
             for text, is_feminine in ((pair[0], True), (pair[1], False))]
    return tuple(names[:count])


def town_names(count: int = 400) -> tuple[Name, ...]:
    """Return ``count`` distinct town names (``Tarville``)."""
    picked = _pick([stem + ending for stem in _stems() for ending in _TOWN_ENDINGS], count, 13)
    return tuple(Name(text.capitalize()) for text in picked)


def held_out_split(names: tuple[Name, ...], share: float, seed: int) -> tuple[tuple[Name, ...], tuple[Name, ...]]:
    """Split names into (training names, held-out names), ``share`` of them held out, chosen by ``seed``."""
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * share)
    return tuple(shuffled[cut:]), tuple(shuffled[:cut])
