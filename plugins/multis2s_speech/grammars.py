"""Sentence grammars for synthetic speech corpora.

Two generators, both pure functions of a ``random.Random`` (the same rng
state gives the same sentence) that return lowercase words separated by
single spaces, without punctuation:

* :func:`grid_sentence`: the six-slot command grammar of the GRID corpus
  (Cooke et al., 2006), e.g. ``"bin blue at f two now"``;
* :func:`open_sentence`: simple English sentences of 4-10 words over a
  vocabulary of a few hundred words, e.g. ``"my old neighbour painted a red
  fence last week"``.

Written text and spoken text differ in one place: eSpeak reads the GRID
letter ``a`` as the article (a schwa), not as the letter name.
:func:`spoken_form` gives the text to hand to the synthesiser.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from types import MappingProxyType

__all__ = [
    "GRAMMARS",
    "GRID_SLOTS",
    "OPEN_VOCABULARY",
    "grid_sentence",
    "is_grid_sentence",
    "open_sentence",
    "spoken_form",
]

GRID_COMMANDS = ("bin", "lay", "place", "set")
GRID_COLOURS = ("blue", "green", "red", "white")
GRID_PREPOSITIONS = ("at", "by", "in", "with")
GRID_LETTERS = tuple("abcdefghijklmnopqrstuvxyz")
GRID_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
GRID_ADVERBS = ("again", "now", "please", "soon")

GRID_SLOTS: tuple[tuple[str, ...], ...] = (
    GRID_COMMANDS,
    GRID_COLOURS,
    GRID_PREPOSITIONS,
    GRID_LETTERS,
    GRID_DIGITS,
    GRID_ADVERBS,
)
"""The GRID word choices, slot by slot: command colour preposition letter digit adverb."""

_GRID_LETTER_SLOT = 3
_LETTER_SPOKEN_FORMS = {"a": "eh"}
"""Letters eSpeak misreads in the letter slot, with a spelling it reads as the letter name.

Checked for every English eSpeak voice: ``a`` comes out as the article
(``a#``, or merged into the previous word, as in ``at a`` -> ``at#@``) while
``eh`` comes out as ``'eI``.  Every other letter is already read by name.
"""


def grid_sentence(rng: random.Random) -> str:
    """Draw one GRID sentence, e.g. ``"place red with k seven again"``."""
    return " ".join(rng.choice(slot) for slot in GRID_SLOTS)


def is_grid_sentence(text: str) -> bool:
    """Whether ``text`` has the GRID structure: six words, each from its slot."""
    words = text.split(" ")
    return len(words) == len(GRID_SLOTS) and all(
        word in slot for word, slot in zip(words, GRID_SLOTS, strict=True)
    )


def spoken_form(text: str) -> str:
    """Text for the synthesiser to read so that it says ``text`` as intended.

    For a GRID sentence the letter slot is respelt where eSpeak would misread
    it (``"bin blue at a two now"`` -> ``"bin blue at eh two now"``); any
    other text, including open-grammar sentences, is returned unchanged.
    """
    if not is_grid_sentence(text):
        return text
    words = text.split(" ")
    letter = words[_GRID_LETTER_SLOT]
    words[_GRID_LETTER_SLOT] = _LETTER_SPOKEN_FORMS.get(letter, letter)
    return " ".join(words)


_PEOPLE = (
    "actor", "artist", "baker", "banker", "barber", "boy", "brother", "builder", "butcher",
    "captain", "child", "clerk", "cook", "cousin", "dancer", "dentist", "doctor", "driver",
    "farmer", "father", "fisherman", "friend", "gardener", "girl", "guard", "guest", "hunter",
    "judge", "king", "lawyer", "man", "manager", "mother", "musician", "neighbour", "nurse",
    "officer", "painter", "pilot", "poet", "porter", "priest", "queen",
    "sailor", "scientist", "singer", "sister", "soldier", "student", "tailor", "teacher",
    "tourist", "uncle", "waiter", "woman", "writer",
)
_ANIMALS = (
    "bird", "cat", "cow", "dog", "donkey", "duck", "fox", "goat", "horse", "monkey",
    "mouse", "owl", "pig", "rabbit", "sheep",
)
_NAMES = (
    "anna", "ben", "carlos", "david", "emma", "grace", "henry", "james", "julia", "kate",
    "laura", "lucy", "maria", "mark", "nina", "oliver", "paul", "peter", "rosa", "sam",
    "sarah", "simon", "sophie", "tom",
)
_PRONOUNS = ("i", "you", "he", "she", "we", "they")
_THINGS = (
    "apple", "bag", "ball", "basket", "bell", "bicycle", "blanket", "boat", "book",
    "bottle", "bowl", "box", "bucket", "cake", "camera", "candle", "car", "card", "carpet",
    "chair", "clock", "coat", "cup", "desk", "door", "drum", "egg", "fence", "flag",
    "flower", "glass", "guitar", "hammer", "hat", "jacket", "jar", "kettle", "key", "kite",
    "ladder", "lamp", "letter", "map", "mirror", "newspaper", "orange", "painting", "parcel",
    "pen", "pencil", "piano", "picture", "pillow", "plate", "radio", "ring", "rope", "shirt",
    "shoe", "spoon", "suitcase", "table", "ticket", "towel", "tray", "umbrella", "wagon",
    "wall", "watch", "window",
)
_ADJECTIVES = (
    "big", "black", "blue", "bright", "broken", "brown", "clean", "cold", "dark", "dirty",
    "dry", "empty", "famous", "fancy", "fresh", "friendly", "funny", "golden", "green",
    "grey", "happy", "heavy", "large", "little", "long", "loud", "lucky", "new", "old",
    "orange", "pink", "purple", "quiet", "red", "round", "shiny", "short", "small", "soft",
    "strange", "tall", "tiny", "warm", "wet", "white", "wooden", "yellow", "young",
)
_PLACES = (
    "airport", "bakery", "barn", "beach", "bridge", "cafe", "castle", "church", "city",
    "classroom", "corner", "field", "forest", "garage", "garden", "hall", "harbour",
    "hospital", "hotel", "house", "island", "kitchen", "library", "market", "meadow",
    "museum", "office", "orchard", "palace", "park", "river", "road", "school", "shop",
    "square", "station", "street", "theatre", "tower", "valley", "village", "yard",
)
_PLACE_PREPOSITIONS = ("at", "behind", "beside", "in", "inside", "near", "outside", "under")
_TRANSITIVE_VERBS = (
    ("borrow", "borrowed"), ("bring", "brought"), ("buy", "bought"), ("carry", "carried"),
    ("catch", "caught"), ("clean", "cleaned"), ("draw", "drew"), ("drop", "dropped"),
    ("find", "found"), ("fix", "fixed"), ("hide", "hid"), ("hold", "held"),
    ("keep", "kept"), ("lift", "lifted"), ("lose", "lost"), ("move", "moved"),
    ("open", "opened"), ("paint", "painted"), ("pick up", "picked up"), ("pull", "pulled"),
    ("push", "pushed"), ("sell", "sold"), ("send", "sent"), ("show", "showed"),
    ("take", "took"), ("throw", "threw"), ("wash", "washed"), ("watch", "watched"),
    ("wrap", "wrapped"),
)
_INTRANSITIVE_VERBS = (
    ("arrive", "arrived"), ("cry", "cried"), ("dance", "danced"), ("laugh", "laughed"),
    ("play", "played"), ("rest", "rested"), ("run", "ran"), ("shout", "shouted"),
    ("sing", "sang"), ("sit", "sat"), ("sleep", "slept"), ("smile", "smiled"),
    ("stay", "stayed"), ("swim", "swam"), ("talk", "talked"), ("wait", "waited"),
    ("walk", "walked"), ("work", "worked"), ("write", "wrote"),
)
_PAST_TIMES = (
    "yesterday", "last night", "last week", "last summer", "this morning", "on monday",
    "on friday", "an hour ago", "two days ago", "earlier",
)
_FUTURE_TIMES = (
    "tomorrow", "tonight", "next week", "next year", "on sunday", "on tuesday", "soon",
    "later", "this evening", "in the morning",
)
_FUTURE_AUXILIARIES = ("will", "can", "might", "should", "must")
_POSSESSIVES = ("my", "your", "his", "her", "our", "their")
_DEMONSTRATIVES = ("the", "this", "that")
_ADJECTIVE_PROBABILITY = 0.4
_MIN_OPEN_WORDS = 4
_MAX_OPEN_WORDS = 10


def _indefinite_article(next_word: str) -> str:
    """``"an"`` before a vowel letter, ``"a"`` otherwise (the vocabulary has no exceptions)."""
    return "an" if next_word[0] in "aeiou" else "a"


def _noun_phrase(rng: random.Random, nouns: tuple[str, ...]) -> list[str]:
    """Determiner, optional adjective and noun, e.g. ``["a", "heavy", "box"]``."""
    words = [rng.choice(nouns)]
    if rng.random() < _ADJECTIVE_PROBABILITY:
        words.insert(0, rng.choice(_ADJECTIVES))
    kind = rng.randrange(3)
    if kind == 0:
        determiner = _indefinite_article(words[0])
    elif kind == 1:
        determiner = rng.choice(_DEMONSTRATIVES)
    else:
        determiner = rng.choice(_POSSESSIVES)
    return [determiner, *words]


def _subject(rng: random.Random) -> list[str]:
    """A person, animal, name or pronoun."""
    kind = rng.randrange(4)
    if kind == 0:
        return [rng.choice(_NAMES)]
    if kind == 1:
        return [rng.choice(_PRONOUNS)]
    return _noun_phrase(rng, _PEOPLE if kind == 2 else _ANIMALS)


def _place(rng: random.Random) -> list[str]:
    """A prepositional phrase of place, e.g. ``["near", "the", "old", "bridge"]``."""
    words = [rng.choice(_PLACES)]
    if rng.random() < _ADJECTIVE_PROBABILITY:
        words.insert(0, rng.choice(_ADJECTIVES))
    return [rng.choice(_PLACE_PREPOSITIONS), "the", *words]


def _predicate(rng: random.Random, future: bool) -> list[str]:
    """Verb (past tense, or auxiliary plus base form) with an object if transitive."""
    transitive = rng.random() < 0.6
    base, past = rng.choice(_TRANSITIVE_VERBS if transitive else _INTRANSITIVE_VERBS)
    verb = [rng.choice(_FUTURE_AUXILIARIES), *base.split(" ")] if future else past.split(" ")
    if transitive:
        return verb + _noun_phrase(rng, _THINGS)
    return verb


def _draw_open_words(rng: random.Random) -> list[str]:
    future = rng.random() < 0.4
    words = _subject(rng) + _predicate(rng, future)
    if rng.random() < 0.6:
        words += _place(rng)
    if rng.random() < 0.6:
        words += rng.choice(_FUTURE_TIMES if future else _PAST_TIMES).split(" ")
    return words


def open_sentence(rng: random.Random) -> str:
    """Draw a simple English sentence of 4-10 words, e.g. ``"the dog slept in the barn"``.

    Subject, verb (past tense, or a modal such as ``will`` with a time to
    match), an object for transitive verbs, then optionally a place and a
    time.  Draws that fall outside 4-10 words are redrawn from the same rng.
    """
    while True:
        words = _draw_open_words(rng)
        if _MIN_OPEN_WORDS <= len(words) <= _MAX_OPEN_WORDS:
            return " ".join(words)


def _open_vocabulary() -> frozenset[str]:
    phrases = [
        *_PEOPLE, *_ANIMALS, *_NAMES, *_PRONOUNS, *_THINGS, *_ADJECTIVES, *_PLACES,
        *_PLACE_PREPOSITIONS, *_PAST_TIMES, *_FUTURE_TIMES, *_FUTURE_AUXILIARIES,
        *_POSSESSIVES, *_DEMONSTRATIVES, "a", "an",
        *(form for pair in _TRANSITIVE_VERBS + _INTRANSITIVE_VERBS for form in pair),
    ]
    return frozenset(word for phrase in phrases for word in phrase.split(" "))


OPEN_VOCABULARY: frozenset[str] = _open_vocabulary()
"""Every word :func:`open_sentence` can produce."""

GRAMMARS: Mapping[str, Callable[[random.Random], str]] = MappingProxyType(
    {"grid": grid_sentence, "open": open_sentence}
)
"""Sentence generators by grammar name."""
