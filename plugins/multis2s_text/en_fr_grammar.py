"""A small English->French translation corpus generated from a grammar.

Every sentence is built as a structure (subject, verb, negation, complement)
and rendered in both languages, so each English sentence has exactly one
French translation.  The grammar covers, in the present tense:

* subject pronouns ``i you he she we "you all" they`` -> ``je tu il elle nous
  vous ils`` and the conjugation of être, avoir, voir, aimer, manger,
  acheter, vouloir, lire, regarder, connaître, aider, appeler and parler;
* negation ``ne ... pas`` (``je ne vois pas``, ``je n'ai pas``), with the
  indefinite article turning into ``de`` (``je n'ai pas de chat``);
* nouns with gender and number, the articles ``le la l' les un une des``,
  possessives (``ma voiture``, ``mon orange``, ``leurs chiens``) and generic
  plurals after aimer (``i like cats`` -> ``j'aime les chats``);
* adjectives that agree with their noun, mostly placed after it (``la voiture
  rouge``, ``les chats noirs``) and a few before it (``un petit chien``,
  ``un bel arbre``, ``une vieille maison``);
* professions after être without article (``i am a student`` -> ``je suis
  étudiant``), languages after parler (``je parle français``);
* adjective noun phrases on their own (``the red car`` -> ``la voiture
  rouge``).

English does not mark the gender of ``i``, ``you``, ``we``, ``you all`` and
``they``; agreement with them uses the masculine, the French default for an
unknown or mixed group (``they are tired`` -> ``ils sont fatigués``).
Feminine plural agreement comes from noun subjects (``the women are
tired`` -> ``les femmes sont fatiguées``).  An indefinite plural never takes
an adjective placed before the noun, which avoids the ``des``/``de`` choice
in ``de petits chiens``.  All words starting with ``h`` have a mute ``h``,
so they elide like vowels (``l'homme``).

The words themselves, with their genders and inflections, live in
:mod:`multis2s_text.en_fr_lexicon`; this module builds the sentences and
samples the corpus; :mod:`multis2s_text.en_fr_parser` reads an English sentence back and
translates it.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multis2s_text.en_fr_full.morphology import join_french, starts_with_vowel_sound
from multis2s_text.en_fr_lexicon import (
    A, ALL_DETERMINERS, ANIMAL, ATTRIBUTIVE, BARE, ETRE, FOOD, LANGUAGES, NOUNS, OBJECT,
    OBJECT_DETERMINERS, PEOPLE_PREDICATES, PERSON, POSSESSIVES, PROFESSIONS, PRONOUNS, RELATIVE, SPEAK,
    SUBJECT_DETERMINERS, TEXT, THE, THING_DETERMINERS, THING_PREDICATES, VERBS, Adjective, Language, Noun,
    Profession, Pronoun, Verb,
)
from multis2s_text.grammar_spaces import Choice, Product, Space, Union, evenly



@dataclass(frozen=True)
class NounPhrase:
    """A determiner, a noun and up to one adjective on each side of it.

    ``determiner`` is an English key: ``"the"``, ``"a"``, ``""`` (bare
    plural) or a possessive such as ``"my"``.
    """

    determiner: str
    noun: Noun
    plural: bool
    before: Adjective | None = None
    after: Adjective | None = None


@dataclass(frozen=True)
class Clause:
    """A present-tense clause; ``verb`` is None for être."""

    subject: Pronoun | NounPhrase
    verb: Verb | None
    negated: bool
    complement: Profession | Adjective | Language | NounPhrase


Sentence = Clause | NounPhrase


def _english_article(next_word: str) -> str:
    """Return "a" or "an" for the English word that follows."""
    return "an" if next_word[0] in "aeiou" else "a"


def _subject_features(subject: Pronoun | NounPhrase) -> tuple[int, bool, bool]:
    """Return the (person, plural, feminine) that the verb and complement agree with."""
    if isinstance(subject, Pronoun):
        return subject.person, subject.plural, subject.feminine
    return 3, subject.plural, subject.noun.feminine


def _english_noun_phrase(phrase: NounPhrase) -> list[str]:
    """Render a noun phrase in English."""
    words = [adjective.english for adjective in (phrase.before, phrase.after) if adjective]
    words.append(phrase.noun.english_form(phrase.plural))
    if phrase.determiner == BARE:
        return words
    if phrase.determiner == A:
        return [_english_article(words[0]), *words]
    return [phrase.determiner, *words]


def english_sentence(sentence: Sentence) -> str:
    """Render a sentence in English."""
    if isinstance(sentence, NounPhrase):
        return " ".join(_english_noun_phrase(sentence))
    subject = sentence.subject
    words = subject.english.split() if isinstance(subject, Pronoun) else _english_noun_phrase(subject)
    person, plural, _ = _subject_features(subject)
    third_singular = person == 3 and not plural
    complement = sentence.complement
    if sentence.verb is None:
        if person == 1 and not plural:
            words.append("am")
        else:
            words.append("is" if third_singular else "are")
        if sentence.negated:
            words.append("not")
    elif sentence.negated:
        words += ["does" if third_singular else "do", "not", sentence.verb.english]
    else:
        words.append(sentence.verb.english_third if third_singular else sentence.verb.english)
    if isinstance(complement, NounPhrase):
        words += _english_noun_phrase(complement)
    elif isinstance(complement, Profession) and not plural:
        words += [_english_article(complement.english), complement.english]
    elif isinstance(complement, Profession):
        words.append(complement.english + "s")
    else:
        words.append(complement.english)
    return " ".join(words)


def _french_determiner(phrase: NounPhrase, negated_object: bool, generic: bool) -> str:
    """Return the French determiner, before elision."""
    feminine, plural = phrase.noun.feminine, phrase.plural
    if phrase.determiner == THE or (phrase.determiner == BARE and generic):
        return "les" if plural else ("la" if feminine else "le")
    if phrase.determiner in (A, BARE) and negated_object:
        return "de"
    if phrase.determiner == A:
        return "une" if feminine else "un"
    if phrase.determiner == BARE:
        return "des"
    masculine_form, feminine_form, plural_form = POSSESSIVES[phrase.determiner]
    if plural:
        return plural_form
    return feminine_form if feminine else masculine_form


def _french_noun_phrase(phrase: NounPhrase, negated_object: bool = False, generic: bool = False) -> list[str]:
    """Render a noun phrase in French, before elision."""
    noun, plural = phrase.noun, phrase.plural
    words = [_french_determiner(phrase, negated_object, generic)]
    if phrase.before:
        vowel_form = phrase.before.before_vowel
        if vowel_form and not plural and not noun.feminine and starts_with_vowel_sound(noun.french):
            words.append(vowel_form)
        else:
            words.append(phrase.before.french(noun.feminine, plural))
    words.append(noun.french_form(plural))
    if phrase.after:
        words.append(phrase.after.french(noun.feminine, plural))
    return words


def french_sentence(sentence: Sentence) -> str:
    """Render a sentence in French."""
    if isinstance(sentence, NounPhrase):
        return join_french(_french_noun_phrase(sentence))
    subject = sentence.subject
    words = [subject.french] if isinstance(subject, Pronoun) else _french_noun_phrase(subject)
    person, plural, feminine = _subject_features(subject)
    conjugation = ETRE if sentence.verb is None else sentence.verb.french
    verb_form = conjugation[person - 1 + 3 * plural]
    words += ["ne", verb_form, "pas"] if sentence.negated else [verb_form]
    complement = sentence.complement
    if isinstance(complement, NounPhrase):
        generic = sentence.verb is not None and sentence.verb.generic_plural
        words += _french_noun_phrase(complement, negated_object=sentence.negated, generic=generic)
    elif isinstance(complement, Language):
        words.append(complement.french)
    else:
        words.append(complement.french(feminine, plural))
    return join_french(words)


def _noun_phrases(category: str, determiners: Sequence[str], require_adjective: bool = False) -> Space:
    """Return the noun phrases of one category with the given determiners."""
    nouns = Choice([noun for noun in NOUNS if noun.category == category])
    before_options = (None, *ATTRIBUTIVE[category][0])
    after_options = (None, *ATTRIBUTIVE[category][1])
    adjective_pairs = [(before, after) for before in before_options for after in after_options]
    if require_adjective:
        adjective_pairs = [pair for pair in adjective_pairs if pair != (None, None)]
    after_only = [pair for pair in adjective_pairs if pair[0] is None]
    numbered = [(det, plural) for det in determiners if det != BARE for plural in (False, True)
                if not (det == A and plural)]
    bare = [(BARE, True)] if BARE in determiners else []

    def build(determiner_and_number: tuple[str, bool], noun: Noun, adjectives: tuple) -> NounPhrase:
        determiner, plural = determiner_and_number
        return NounPhrase(determiner, noun, plural, *adjectives)

    return Union([
        Product([Choice(numbered), nouns, Choice(adjective_pairs)], build),
        Product([Choice(bare), nouns, Choice(after_only)], build),
    ])


def _object_phrases(verb: Verb) -> Space:
    """Return the objects a verb takes, each category equally often."""
    spaces = []
    for category in verb.categories:
        allowed = OBJECT_DETERMINERS.get(category, ALL_DETERMINERS)
        spaces.append(_noun_phrases(category, [det for det in verb.determiners if det in allowed]))
    return evenly(spaces)


def _people_subjects() -> list[Space]:
    """Return pronoun, person and relative subjects as separate spaces."""
    return [Choice(PRONOUNS)] + [
        _noun_phrases(category, SUBJECT_DETERMINERS[category]) for category in (PERSON, RELATIVE)
    ]


def _clauses(subjects: Space, verb: Verb | None, complements: Space) -> Product:
    """Return every clause, affirmative and negated, of these parts."""
    def build(subject: Pronoun | NounPhrase, negated: bool, complement: Any) -> Clause:
        return Clause(subject, verb, negated, complement)

    return Product([subjects, Choice((False, True)), complements], build)


def _action_clauses(verb: Verb) -> Product:
    """Return the clauses of a transitive verb."""
    subjects = _people_subjects()
    if verb.animal_subjects:
        subjects.append(_noun_phrases(ANIMAL, THING_DETERMINERS))
    return _clauses(evenly(subjects), verb, _object_phrases(verb))


def _build_corpus() -> Union:
    """Return all sentences, grouped in weighted families of constructions."""
    people = evenly(_people_subjects())
    professions = _clauses(people, None, Choice(PROFESSIONS))
    descriptions = evenly([_clauses(people, None, Choice(PEOPLE_PREDICATES))] + [
        _clauses(_noun_phrases(category, THING_DETERMINERS), None, Choice(predicates))
        for category, predicates in THING_PREDICATES.items()
    ])
    actions = evenly([_action_clauses(verb) for verb in VERBS])
    languages = _clauses(people, SPEAK, Choice(LANGUAGES))
    phrases = evenly([
        _noun_phrases(category, [det for det in (THE, A, *POSSESSIVES)
                                 if det in OBJECT_DETERMINERS.get(category, ALL_DETERMINERS)],
                      require_adjective=True)
        for category in (ANIMAL, OBJECT, FOOD, TEXT, PERSON)
    ])
    return Union([professions, descriptions, actions, languages, phrases], weights=[2, 3, 6, 1, 1])


_CORPUS = _build_corpus()


def corpus_size() -> int:
    """Return how many distinct (english, french) pairs the grammar can make."""
    return _CORPUS.size


def generate_pairs(num_pairs: int, seed: int) -> list[tuple[str, str]]:
    """Return ``num_pairs`` distinct (english, french) pairs drawn with ``seed``.

    Construction families are drawn with fixed weights (actions 6, adjective
    descriptions 3, professions 2, languages 1, noun phrases 1) and a
    sentence uniformly or evenly within them; repeated sentences are redrawn.
    The same seed always gives the same list.

    Raises:
        ValueError: if ``num_pairs`` is negative or exceeds :func:`corpus_size`.
    """
    if not 0 <= num_pairs <= _CORPUS.size:
        raise ValueError(f"num_pairs must be between 0 and {_CORPUS.size}, the number of distinct "
                         f"pairs the grammar can make; got {num_pairs}")
    rng = random.Random(seed)
    seen: set[str] = set()
    pairs: list[tuple[str, str]] = []
    while len(pairs) < num_pairs:
        sentence = _CORPUS.sample(rng)
        english = english_sentence(sentence)
        if english not in seen:
            seen.add(english)
            pairs.append((english, french_sentence(sentence)))
    return pairs
