"""Reading an English sentence of the basic :mod:`multis2s_text.en_fr_grammar` back into its structure."""

from typing import Any

from multis2s_text.en_fr_grammar import Clause, NounPhrase, Sentence, english_sentence, french_sentence
from multis2s_text.en_fr_lexicon import (
    A, ATTRIBUTIVE, BARE, DEFINITE_OR_POSSESSIVE, LANGUAGES, NOUNS, PEOPLE_PREDICATES, PROFESSIONS, PRONOUNS, SPEAK,
    THING_PREDICATES, VERBS, Adjective, Profession, Pronoun,
)


class _Parser:
    """Reads an English sentence of the grammar back into its structure."""

    _NOUN_FORMS = {noun.english_form(plural): (noun, plural) for noun in NOUNS for plural in (False, True)}
    _ADJECTIVES = {adjective.english: adjective
                   for adjective in (*PEOPLE_PREDICATES, *(a for ps in THING_PREDICATES.values() for a in ps),
                                     *(a for sides in ATTRIBUTIVE.values() for side in sides for a in side))}
    _VERB_FORMS = {form: verb for verb in (*VERBS, SPEAK) for form in (verb.english, verb.english_third)}
    _PROFESSION_FORMS = {profession.english + suffix: (profession, suffix == "s")
                         for profession in PROFESSIONS for suffix in ("", "s")}
    _LANGUAGE_NAMES = {language.english: language for language in LANGUAGES}

    def __init__(self, english: str) -> None:
        self.english = english
        self.words = english.split()
        self.position = 0

    def _peek(self) -> str:
        return self.words[self.position] if self.position < len(self.words) else ""

    def _take(self) -> str:
        word = self._peek()
        if not word:
            raise self._error("unexpected end of sentence")
        self.position += 1
        return word

    def _error(self, problem: str) -> ValueError:
        return ValueError(f"cannot translate {self.english!r}: {problem}")

    def _lookup(self, table: dict[str, Any], what: str) -> Any:
        word = self._take()
        if word not in table:
            raise self._error(f"expected {what}, got {word!r}")
        return table[word]

    def parse(self) -> Sentence:
        """Return the sentence structure, or raise ValueError."""
        subject = self._pronoun() or self._noun_phrase()
        if not self._peek() and isinstance(subject, NounPhrase):
            return subject
        clause = self._predicate(subject)
        if self._peek():
            raise self._error(f"unexpected word {self._peek()!r}")
        if english_sentence(clause) != " ".join(self.words):
            raise self._error("the words do not agree")
        return clause

    def _pronoun(self) -> Pronoun | None:
        for pronoun in sorted(PRONOUNS, key=lambda p: -len(p.english.split())):
            words = pronoun.english.split()
            if self.words[self.position:self.position + len(words)] == words:
                self.position += len(words)
                return pronoun
        return None

    def _noun_phrase(self) -> NounPhrase:
        word = self._peek()
        determiner = BARE
        if word in ("a", "an"):
            determiner = A
        elif word in DEFINITE_OR_POSSESSIVE:
            determiner = word
        if determiner != BARE:
            self.position += 1
        adjectives = []
        while self._peek() in self._ADJECTIVES:
            adjectives.append(self._ADJECTIVES[self._take()])
        noun, plural = self._lookup(self._NOUN_FORMS, "a noun")
        before = [adjective for adjective in adjectives if adjective.before_noun]
        after = [adjective for adjective in adjectives if not adjective.before_noun]
        if len(before) > 1 or len(after) > 1 or adjectives != before + after:
            raise self._error("unsupported adjectives")
        if plural != (determiner == BARE) and determiner in (A, BARE):
            raise self._error("article and noun number disagree")
        return NounPhrase(determiner, noun, plural, next(iter(before), None), next(iter(after), None))

    def _predicate(self, subject: Pronoun | NounPhrase) -> Clause:
        word = self._take()
        if word in ("am", "is", "are"):
            negated = self._peek() == "not"
            if negated:
                self.position += 1
            return Clause(subject, None, negated, self._be_complement())
        negated = word in ("do", "does")
        if negated:
            if self._take() != "not":
                raise self._error("expected 'not'")
            word = self._take()
        if word not in self._VERB_FORMS:
            raise self._error(f"unknown verb {word!r}")
        verb = self._VERB_FORMS[word]
        if verb is SPEAK:
            return Clause(subject, verb, negated, self._lookup(self._LANGUAGE_NAMES, "a language"))
        return Clause(subject, verb, negated, self._noun_phrase())

    def _be_complement(self) -> Profession | Adjective:
        if self._peek() in ("a", "an"):
            self.position += 1
            profession, _ = self._lookup(self._PROFESSION_FORMS, "a profession")
            return profession
        if self._peek() in self._PROFESSION_FORMS:
            profession, _ = self._PROFESSION_FORMS[self._take()]
            return profession
        return self._lookup(self._ADJECTIVES, "an adjective")


def translate(english: str) -> str:
    """Translate an English sentence or noun phrase of the grammar into French.

    Raises:
        ValueError: if the sentence is not covered by the grammar.
    """
    return french_sentence(_Parser(english).parse())
