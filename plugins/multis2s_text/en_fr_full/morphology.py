"""Inflection rules of the full English→French grammar: verbs, agreement, numbers, elision.

Everything here is a pure function of the words it is given: conjugation of regular French verbs
(``-er``, ``-ir`` like *finir*, ``-re`` like *vendre*) in the present and the future, English
third person and past forms, participle agreement, number words (2–99) in both languages, and the
joining of French words with elision (``l' d' j' n' qu'``), ``mon``/``ton``/``son`` before a
vowel and the contractions ``au``/``aux``.
"""

from collections.abc import Sequence

VOWEL_SOUNDS = "aeiouyàâéèêëîïôœù" + "h"
"""Every French word of the grammar that starts with ``h`` has a mute ``h``."""
_ELIDED = {"je": "j'", "ne": "n'", "le": "l'", "la": "l'", "de": "d'", "que": "qu'"}
_POSSESSIVE_BEFORE_VOWEL = {"ma": "mon", "ta": "ton", "sa": "son"}
_CONTRACTED = {("à", "le"): "au", ("à", "les"): "aux"}
FUTURE_ENDINGS = ("ai", "as", "a", "ons", "ez", "ont")
_PRESENT_ENDINGS = {
    "er": ("e", "es", "e", "ons", "ez", "ent"),
    "ir": ("is", "is", "it", "issons", "issez", "issent"),
    "re": ("s", "s", "", "ons", "ez", "ent"),
}
_PARTICIPLE_ENDINGS = {"er": "é", "ir": "i", "re": "u"}


def starts_with_vowel_sound(word: str) -> bool:
    """Tell whether a French word elides the word before it (names included, whatever their case)."""
    return bool(word) and word[0].lower() in VOWEL_SOUNDS


def regular_conjugation(infinitive: str) -> tuple[tuple[str, ...], str, str]:
    """Return (present forms je…ils, masculine participle, future stem) of a regular verb.

    Raises:
        ValueError: if the infinitive does not end in -er, -ir or -re.
    """
    group = infinitive[-2:]
    if group not in _PRESENT_ENDINGS:
        raise ValueError(f"{infinitive!r} is not a regular -er, -ir or -re verb")
    stem = infinitive[:-2]
    present = tuple(stem + ending for ending in _PRESENT_ENDINGS[group])
    future_stem = infinitive[:-1] if group == "re" else infinitive
    return present, stem + _PARTICIPLE_ENDINGS[group], future_stem


def future_forms(stem: str) -> tuple[str, ...]:
    """Return the six future forms of a verb from its future stem (``verr`` → ``verrai`` …)."""
    return tuple(stem + ending for ending in FUTURE_ENDINGS)


def agree_participle(participle: str, feminine: bool, plural: bool) -> str:
    """Return a past participle agreeing in gender and number (``écrit`` → ``écrites``)."""
    form = participle + "e" if feminine else participle
    if plural and not form.endswith("s"):
        form += "s"
    return form


def english_third_person(base: str) -> str:
    """Return the English third person singular present (``watch`` → ``watches``)."""
    if base in ("go", "do"):
        return base + "es"
    if base == "have":
        return "has"
    if base.endswith(("s", "sh", "ch", "x", "z")):
        return base + "es"
    if base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


def english_regular_past(base: str) -> str:
    """Return the English regular simple past (``like`` → ``liked``, ``study`` → ``studied``)."""
    if base.endswith("e"):
        return base + "d"
    if base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ied"
    return base + "ed"


_ENGLISH_UNITS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                  "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_ENGLISH_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_FRENCH_UNITS = ("", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
                 "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf")
_FRENCH_TENS = ("", "", "vingt", "trente", "quarante", "cinquante", "soixante")


def english_number(number: int) -> str:
    """Return an English number word from 1 to 99 (``twenty-one``)."""
    if not 1 <= number <= 99:
        raise ValueError(f"number words go from 1 to 99; got {number}")
    if number < 20:
        return _ENGLISH_UNITS[number]
    tens, unit = divmod(number, 10)
    return _ENGLISH_TENS[tens] + (f"-{_ENGLISH_UNITS[unit]}" if unit else "")


def french_number(number: int, feminine: bool = False) -> str:
    """Return a French number from 1 to 99, ``un`` agreeing with a feminine noun (``vingt et une``).

    The 70s and 90s count on from 60 and 80 (``soixante et onze``, ``quatre-vingt-douze``);
    80 is ``quatre-vingts``; ``et`` joins a final one except after 80.
    """
    if not 1 <= number <= 99:
        raise ValueError(f"number words go from 1 to 99; got {number}")
    if number < 20:
        word = _FRENCH_UNITS[number]
    elif number < 70:
        tens, unit = divmod(number, 10)
        word = _FRENCH_TENS[tens] + {0: "", 1: " et un", 11: ""}.get(unit, f"-{_FRENCH_UNITS[unit]}")
    elif number < 80:
        rest = number - 60
        word = "soixante et onze" if rest == 11 else f"soixante-{_FRENCH_UNITS[rest]}"
    else:
        rest = number - 80
        word = "quatre-vingts" if rest == 0 else f"quatre-vingt-{_FRENCH_UNITS[rest]}"
    if feminine and (word == "un" or word.endswith((" un", "-un"))):
        word += "e"
    return word


def join_french(words: Sequence[str]) -> str:
    """Join French words: elide je/ne/le/la/de/que, ``mon`` for ``ma`` and ``au``/``aux`` for ``à le(s)``.

    Elision and ``mon`` apply before a vowel sound; ``à le`` contracts only where ``le`` is not
    elided itself (``au marché`` but ``à l'école``).
    """
    tokens: list[str] = []
    prefix = ""
    position = 0
    while position < len(words):
        word = words[position]
        following = words[position + 1] if position + 1 < len(words) else ""
        after_following = words[position + 2] if position + 2 < len(words) else ""
        contracted = _CONTRACTED.get((word, following))
        if contracted and not (following == "le" and starts_with_vowel_sound(after_following)):
            tokens.append(prefix + contracted)
            prefix = ""
            position += 2
            continue
        if starts_with_vowel_sound(following) and word in _ELIDED:
            prefix += _ELIDED[word]
            position += 1
            continue
        if starts_with_vowel_sound(following):
            word = _POSSESSIVE_BEFORE_VOWEL.get(word, word)
        tokens.append(prefix + word)
        prefix = ""
        position += 1
    return " ".join(tokens)
