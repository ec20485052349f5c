"""Sentence structures of the full English→French grammar and their rendering in both languages.

A :class:`Sentence` is a :class:`Clause` (subject, verb or copula, tense, negation, object, place,
adverb), asked as a yes/no question or stated.  Noun phrases may carry a relative clause whose
gap is the subject (``qui``) or the object (``que``).  Agreement: the verb with its subject, an
adjective with its noun, a predicate with the subject, the past participle of an être verb with
the subject and that of an avoir verb with a direct object placed before it (``la lettre qu'elle a
écrite``).  English pronouns *i, you, we, you all, they* agree as masculine in French.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from multis2s_text.en_fr_full.morphology import (
    agree_participle, english_number, french_number, join_french, starts_with_vowel_sound,
)
from multis2s_text.en_fr_full.names import Name
from multis2s_text.en_fr_full.words import ETRE, Adjective, Adverb, Noun, Pronoun, Verb

TENSES = ("present", "past", "future")
TIME_WORDS = {"present": ("today", "aujourd'hui"), "past": ("yesterday", "hier"), "future": ("tomorrow", "demain")}
"""The time adverb a clause may end with, matching its tense."""
POSSESSIVES = {
    "my": ("mon", "ma", "mes"), "your": ("ton", "ta", "tes"), "his": ("son", "sa", "ses"),
    "her": ("son", "sa", "ses"), "our": ("notre", "notre", "nos"), "their": ("leur", "leur", "leurs"),
}
DETERMINERS = ("the", "a", "bare", "number", "genitive", *POSSESSIVES)


@dataclass(frozen=True)
class NounPhrase:
    """A determiner, a noun, up to one adjective on each side and an optional relative clause.

    ``determiner`` is one of :data:`DETERMINERS`; ``number`` (2–99) goes with ``"number"`` and
    ``owner`` with ``"genitive"`` (``Ana's cat`` → ``le chat d'Ana``).
    """

    determiner: str
    noun: Noun
    plural: bool
    before: Adjective | None = None
    after: Adjective | None = None
    relative: Relative | None = None
    number: int = 0
    owner: Name | None = None


Subject = Pronoun | Name | NounPhrase


@dataclass(frozen=True)
class Clause:
    """One clause; ``verb`` None is the copula with ``predicate``; a None subject or object is a relative gap.

    ``timed`` ends the clause with the time adverb of its tense (:data:`TIME_WORDS`).
    """

    subject: Subject | None
    verb: Verb | None
    tense: str
    negated: bool = False
    obj: NounPhrase | Name | None = None
    place: NounPhrase | Name | None = None
    adverb: Adverb | None = None
    predicate: Adjective | None = None
    timed: bool = False


@dataclass(frozen=True)
class Relative:
    """A relative clause; ``gap`` says which role the antecedent fills: ``"subject"`` or ``"object"``."""

    gap: str
    clause: Clause


@dataclass(frozen=True)
class Sentence:
    """A clause, stated or asked as a yes/no question (``est-ce que`` or inversion)."""

    clause: Clause
    question: bool = False


def features(subject: Subject) -> tuple[int, bool, bool]:
    """Return the (person, plural, feminine) a verb, predicate or participle agrees with."""
    if isinstance(subject, Pronoun):
        return subject.person, subject.plural, subject.feminine
    if isinstance(subject, Name):
        return 3, False, subject.feminine
    return 3, subject.plural, subject.noun.feminine


# English --------------------------------------------------------------------------------------------


def _english_article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


def english_noun_phrase(phrase: NounPhrase | Name) -> list[str]:
    """Render a noun phrase (with its relative clause) or a name in English."""
    if isinstance(phrase, Name):
        return [phrase.text]
    words = [adjective.english for adjective in (phrase.before, phrase.after) if adjective]
    words.append(phrase.noun.english_form(phrase.plural))
    determiner = phrase.determiner
    if determiner == "a":
        words.insert(0, _english_article(words[0]))
    elif determiner == "number":
        words.insert(0, english_number(phrase.number))
    elif determiner == "genitive":
        words.insert(0, phrase.owner.text + "'s")
    elif determiner != "bare":
        words.insert(0, determiner)
    if phrase.relative:
        words += _english_relative(phrase, phrase.relative)
    return words


def _english_subject(subject: Subject) -> list[str]:
    return subject.english.split() if isinstance(subject, Pronoun) else english_noun_phrase(subject)


def _english_be(tense: str, person: int, plural: bool) -> str:
    if tense == "future":
        return "be"
    singular_third, first = person == 3 and not plural, person == 1 and not plural
    if tense == "past":
        return "was" if singular_third or first else "were"
    return "am" if first else ("is" if singular_third else "are")


def _english_verb_group(clause: Clause, subject_words: list[str], person: int, plural: bool,
                        question: bool) -> list[str]:
    """Subject and verb in English, inverted for a question (``does the dog see``, ``will she be``)."""
    third_singular = person == 3 and not plural
    adverb = [clause.adverb.english] if clause.adverb else []
    negation = ["not"] if clause.negated else []
    if clause.verb is None:
        be = _english_be(clause.tense, person, plural)
        if clause.tense == "future":
            head = ["will", *subject_words] if question else [*subject_words, "will"]
            return head + negation + adverb + ["be"]
        head = [be, *subject_words] if question else [*subject_words, be]
        return head + negation + adverb
    verb = clause.verb
    auxiliary = {"present": "does" if third_singular else "do", "past": "did", "future": "will"}[clause.tense]
    if question:
        return [auxiliary, *subject_words, verb.english]
    if clause.negated or clause.tense == "future":
        return [*subject_words, auxiliary, *negation, *adverb, verb.english]
    form = {"present": verb.english_third if third_singular else verb.english, "past": verb.english_past}
    return [*subject_words, *adverb, form[clause.tense]]


def _english_complements(clause: Clause) -> list[str]:
    words = []
    if clause.predicate:
        words.append(clause.predicate.english)
    if clause.verb and clause.verb.particle and (clause.obj or clause.place):
        particle = clause.verb.particle
        words.append("in" if isinstance(clause.place, Name) and particle == "at" else particle)
    if clause.obj:
        words += english_noun_phrase(clause.obj)
    if clause.place:
        words += english_noun_phrase(clause.place)
    if clause.timed:
        words.append(TIME_WORDS[clause.tense][0])
    return words


def _english_relative(antecedent: NounPhrase, relative: Relative) -> list[str]:
    clause = relative.clause
    if relative.gap == "subject":
        pronoun = "who" if antecedent.noun.category in ("person", "relative") else "that"
        person, plural, _ = features(antecedent)
        group = _english_verb_group(clause, [], person, plural, question=False)
        return [pronoun, *group, *_english_complements(clause)]
    person, plural, _ = features(clause.subject)
    group = _english_verb_group(clause, _english_subject(clause.subject), person, plural, question=False)
    return ["that", *group, *_english_complements(clause)]


def english_sentence(sentence: Sentence) -> str:
    """Render a sentence in English (a question ends in `` ?``)."""
    clause = sentence.clause
    person, plural, _ = features(clause.subject)
    words = _english_verb_group(clause, _english_subject(clause.subject), person, plural, sentence.question)
    words += _english_complements(clause)
    return " ".join(words + ["?"] if sentence.question else words)


# French ---------------------------------------------------------------------------------------------


def _french_determiner(phrase: NounPhrase, negated_object: bool, generic: bool) -> list[str]:
    feminine, plural, determiner = phrase.noun.feminine, phrase.plural, phrase.determiner
    if determiner in ("a", "bare") and negated_object:
        return ["de"]
    if determiner in ("the", "genitive") or (determiner == "bare" and generic):
        return ["les" if plural else ("la" if feminine else "le")]
    if determiner == "a":
        return ["une" if feminine else "un"]
    if determiner == "bare":
        return ["des"]
    if determiner == "number":
        return french_number(phrase.number, feminine).split()
    masculine_form, feminine_form, plural_form = POSSESSIVES[determiner]
    return [plural_form if plural else (feminine_form if feminine else masculine_form)]


def french_noun_phrase(phrase: NounPhrase | Name, negated_object: bool = False, generic: bool = False) -> list[str]:
    """Render a noun phrase (with its relative clause) or a name in French, before elision."""
    if isinstance(phrase, Name):
        return [phrase.text]
    noun, plural = phrase.noun, phrase.plural
    words = _french_determiner(phrase, negated_object, generic)
    if phrase.before:
        vowel_form = phrase.before.before_vowel
        if vowel_form and not plural and not noun.feminine and starts_with_vowel_sound(noun.french):
            words.append(vowel_form)
        else:
            words.append(phrase.before.french(noun.feminine, plural))
    words += noun.french_form(plural).split()
    if phrase.after:
        words.append(phrase.after.french(noun.feminine, plural))
    if phrase.owner:
        words += ["de", phrase.owner.text]
    if phrase.relative:
        words += _french_relative(phrase, phrase.relative)
    return words


def _french_subject(subject: Subject) -> list[str]:
    return [subject.french] if isinstance(subject, Pronoun) else french_noun_phrase(subject)


def _finite_and_participle(clause: Clause, person: int, plural: bool, feminine: bool,
                           preceding_object: NounPhrase | None) -> tuple[str, str]:
    """The finite French verb and, in the passé composé, the agreeing participle ('' otherwise)."""
    index = person - 1 + 3 * plural
    verb = clause.verb
    if verb is None:
        return ETRE[clause.tense][index], ""
    if clause.tense == "present":
        return verb.present[index], ""
    if clause.tense == "future":
        return verb.future[index], ""
    if verb.etre:
        return verb.auxiliary[index], agree_participle(verb.participle, feminine, plural)
    if preceding_object is not None:
        _, object_plural, object_feminine = features(preceding_object)
        return verb.auxiliary[index], agree_participle(verb.participle, object_feminine, object_plural)
    return verb.auxiliary[index], verb.participle


def _french_verb_group(clause: Clause, subject: Subject, subject_words: list[str], question: bool,
                       preceding_object: NounPhrase | None = None) -> list[str]:
    """Subject and verb in French: ``ne … pas``, the adverb after the finite verb, inversion with ``-t-``."""
    person, plural, feminine = features(subject)
    finite, participle = _finite_and_participle(clause, person, plural, feminine, preceding_object)
    rest = [clause.adverb.french] if clause.adverb else []
    rest += [participle] if participle else []
    if question and isinstance(subject, Pronoun) and subject.french != "je":
        link = "-t-" if finite[-1] in "aeiou" and subject.french in ("il", "elle") else "-"
        return [finite + link + subject.french, *rest]
    group = ["ne", finite, "pas"] if clause.negated else [finite]
    head = ["est-ce", "que", *subject_words] if question else subject_words
    return head + group + rest


def _french_complements(clause: Clause) -> list[str]:
    words = []
    if clause.predicate:
        _, plural, feminine = features(clause.subject)
        words.append(clause.predicate.french(feminine, plural))
    if clause.obj:
        generic = clause.verb is not None and clause.verb.generic_plural
        words += french_noun_phrase(clause.obj, negated_object=clause.negated, generic=generic)
    if clause.place:
        words += ["à", *french_noun_phrase(clause.place)]
    if clause.timed:
        words.append(TIME_WORDS[clause.tense][1])
    return words


def _french_relative(antecedent: NounPhrase, relative: Relative) -> list[str]:
    clause = relative.clause
    if relative.gap == "subject":
        filled = dataclasses.replace(clause, subject=antecedent)
        return ["qui", *_french_verb_group(filled, antecedent, [], False), *_french_complements(filled)]
    group = _french_verb_group(clause, clause.subject, _french_subject(clause.subject), False, antecedent)
    return ["que", *group, *_french_complements(clause)]


def french_sentence(sentence: Sentence) -> str:
    """Render a sentence in French, elided and contracted (a question ends in `` ?``)."""
    clause = sentence.clause
    words = _french_verb_group(clause, clause.subject, _french_subject(clause.subject), sentence.question)
    words += _french_complements(clause)
    return join_french(words + ["?"] if sentence.question else words)
