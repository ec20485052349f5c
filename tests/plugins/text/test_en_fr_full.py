"""Behavioural tests of the full English→French grammar: agreement, elision, determinism, held-out names."""

import re

import pytest

from multis2s_text.en_fr_full import generate_splits, held_out_names
from multis2s_text.en_fr_full.clauses import Clause, NounPhrase, Relative, Sentence, english_sentence, french_sentence
from multis2s_text.en_fr_full.morphology import agree_participle, french_number, join_french
from multis2s_text.en_fr_full.names import Name
from multis2s_text.en_fr_full.words import ADJECTIVES, INTRANSITIVE_VERBS, NOUNS, PRONOUNS, TRANSITIVE_VERBS


def noun(english):
    return next(n for nouns in NOUNS.values() for n in nouns if n.english == english)


def verb(english):
    return next(v for v in (*TRANSITIVE_VERBS, *INTRANSITIVE_VERBS) if v.english == english)


def pronoun(english):
    return next(p for p in PRONOUNS if p.english == english)


ANA, MARC, TOWN = Name("Ana", feminine=True), Name("Marc"), Name("Tarville")


def both(sentence):
    return english_sentence(sentence), french_sentence(sentence)


@pytest.fixture(scope="module")
def splits():
    return generate_splits(3000, 300, 600, seed=5)


@pytest.mark.parametrize(("number", "feminine", "french"), [
    (2, False, "deux"), (17, False, "dix-sept"), (21, False, "vingt et un"), (21, True, "vingt et une"),
    (22, False, "vingt-deux"), (71, False, "soixante et onze"), (77, False, "soixante-dix-sept"),
    (80, False, "quatre-vingts"), (81, True, "quatre-vingt-une"), (91, False, "quatre-vingt-onze"),
    (99, False, "quatre-vingt-dix-neuf"),
])
def test_french_numbers(number, feminine, french):
    assert french_number(number, feminine) == french


def test_number_words_outside_1_to_99_are_refused():
    with pytest.raises(ValueError, match="1 to 99"):
        french_number(100)


@pytest.mark.parametrize(("words", "joined"), [
    (["je", "ai"], "j'ai"), (["ne", "aime"], "n'aime"), (["le", "homme"], "l'homme"), (["la", "école"], "l'école"),
    (["que", "elle"], "qu'elle"), (["de", "Ana"], "d'Ana"), (["est-ce", "que", "Ana"], "est-ce qu'Ana"),
    (["ma", "amie"], "mon amie"), (["à", "le", "marché"], "au marché"), (["à", "le", "hôtel"], "à l'hôtel"),
    (["à", "les", "enfants"], "aux enfants"), (["la", "voiture"], "la voiture"), (["de", "Marc"], "de Marc"),
])
def test_elision_contraction_and_possessive_before_vowel(words, joined):
    assert join_french(words) == joined


def test_participle_agreement():
    assert [agree_participle("écrit", f, p) for f in (False, True) for p in (False, True)] == [
        "écrit", "écrits", "écrite", "écrites"]
    assert agree_participle("pris", False, True) == "pris"


def test_tenses_negation_and_elision_of_ne():
    see, cat = verb("see"), NounPhrase("a", noun("cat"), False)
    assert both(Sentence(Clause(pronoun("i"), see, "present", obj=cat))) == ("i see a cat", "je vois un chat")
    assert both(Sentence(Clause(pronoun("i"), see, "past", True, cat))) == (
        "i did not see a cat", "je n'ai pas vu de chat")
    assert both(Sentence(Clause(pronoun("we"), see, "future", True, cat))) == (
        "we will not see a cat", "nous ne verrons pas de chat")
    egg = NounPhrase("a", noun("egg"), False)
    assert french_sentence(Sentence(Clause(pronoun("i"), verb("eat"), "present", True, egg))) == (
        "je ne mange pas d'œuf")


def test_etre_verbs_agree_with_their_subject():
    girls = NounPhrase("the", noun("girl"), True)
    assert both(Sentence(Clause(girls, verb("go"), "past", place=TOWN))) == (
        "the girls went to Tarville", "les filles sont allées à Tarville")
    assert french_sentence(Sentence(Clause(ANA, verb("leave"), "past", True))) == "Ana n'est pas partie"
    school = NounPhrase("the", noun("school"), False)
    assert both(Sentence(Clause(pronoun("she"), verb("stay"), "past", place=school))) == (
        "she stayed at the school", "elle est restée à l'école")
    assert french_sentence(Sentence(Clause(ANA, verb("stay"), "present", place=TOWN))) == "Ana reste à Tarville"
    assert english_sentence(Sentence(Clause(ANA, verb("stay"), "present", place=TOWN))) == "Ana stays in Tarville"


def test_avoir_participle_agrees_with_a_preceding_object_only():
    wrote = Relative("object", Clause(pronoun("she"), verb("write"), "past"))
    letters = NounPhrase("the", noun("letter"), True, relative=wrote)
    sentence = Sentence(Clause(pronoun("i"), verb("read"), "present", obj=letters))
    assert both(sentence) == ("i read the letters that she wrote", "je lis les lettres qu'elle a écrites")
    assert french_sentence(Sentence(Clause(pronoun("she"), verb("write"), "past",
                                           obj=NounPhrase("the", noun("letter"), True)))) == (
        "elle a écrit les lettres")


def test_subject_relative_agrees_with_its_antecedent():
    left = Relative("subject", Clause(None, verb("leave"), "past"))
    women = NounPhrase("the", noun("woman"), True, relative=left)
    sentence = Sentence(Clause(women, None, "present", predicate=ADJECTIVES["happy"]))
    assert both(sentence) == ("the women who left are happy", "les femmes qui sont parties sont heureuses")


def test_questions_use_inversion_for_pronouns_and_est_ce_que_otherwise():
    apple = NounPhrase("the", noun("apple"), False)
    assert both(Sentence(Clause(pronoun("he"), verb("eat"), "present", obj=apple), question=True)) == (
        "does he eat the apple ?", "mange-t-il la pomme ?")
    assert both(Sentence(Clause(pronoun("you"), verb("see"), "past", obj=apple), question=True)) == (
        "did you see the apple ?", "as-tu vu la pomme ?")
    assert both(Sentence(Clause(pronoun("she"), verb("go"), "past", place=TOWN), question=True)) == (
        "did she go to Tarville ?", "est-elle allée à Tarville ?")
    assert both(Sentence(Clause(ANA, verb("see"), "future", obj=apple), question=True)) == (
        "will Ana see the apple ?", "est-ce qu'Ana verra la pomme ?")
    assert french_sentence(Sentence(Clause(pronoun("i"), None, "present", predicate=ADJECTIVES["ready"]),
                                    question=True)) == "est-ce que je suis prêt ?"


def test_adjectives_agree_and_take_their_place():
    trees = NounPhrase("number", noun("tree"), True, ADJECTIVES["beautiful"], ADJECTIVES["green"], number=21)
    tree = NounPhrase("a", noun("tree"), False, ADJECTIVES["old"])
    apples = NounPhrase("number", noun("apple"), True, after=ADJECTIVES["red"], number=21)
    assert french_sentence(Sentence(Clause(pronoun("i"), verb("see"), "present", obj=trees))) == (
        "je vois vingt et un beaux arbres verts")
    assert french_sentence(Sentence(Clause(pronoun("i"), verb("see"), "present", obj=tree))) == (
        "je vois un vieil arbre")
    assert both(Sentence(Clause(pronoun("i"), verb("eat"), "present", obj=apples))) == (
        "i eat twenty-one red apples", "je mange vingt et une pommes rouges")
    owned = NounPhrase("genitive", noun("cat"), False, after=ADJECTIVES["black"], owner=ANA)
    assert both(Sentence(Clause(owned, None, "past", predicate=ADJECTIVES["hungry"]))) == (
        "Ana's black cat was hungry", "le chat noir d'Ana était affamé")


def test_generic_plural_and_negated_indefinites():
    cats = NounPhrase("bare", noun("cat"), True)
    assert french_sentence(Sentence(Clause(pronoun("we"), verb("like"), "present", obj=cats))) == (
        "nous aimons les chats")
    assert french_sentence(Sentence(Clause(pronoun("we"), verb("see"), "present", obj=cats))) == (
        "nous voyons des chats")
    assert french_sentence(Sentence(Clause(pronoun("we"), verb("see"), "present", True, cats))) == (
        "nous ne voyons pas de chats")


def test_splits_are_deterministic_distinct_and_disjoint(splits):
    assert splits == generate_splits(3000, 300, 600, seed=5)
    assert splits["train"] != generate_splits(3000, 300, 600, seed=6)["train"]
    assert [len(splits[name]) for name in ("train", "dev", "test")] == [3000, 300, 600]
    englishes = [english for pairs in splits.values() for english, _ in pairs]
    assert len(set(englishes)) == len(englishes)


def test_held_out_names_appear_only_outside_training(splits):
    held_out = held_out_names(seed=5)
    capitalised = re.compile(r"\b([A-Z][a-z]+)")
    train_names = {name for english, _ in splits["train"] for name in capitalised.findall(english)}
    test_names = {name for english, _ in splits["test"] for name in capitalised.findall(english)}
    assert train_names and not train_names & held_out
    assert len(test_names & held_out) > 100
    for english, french in splits["test"]:
        assert set(capitalised.findall(english)) == set(capitalised.findall(french))


def test_vocabulary_is_a_few_thousand_words_with_a_tail_of_rare_words(splits):
    counts = {}
    for english, _ in splits["train"]:
        for word in english.split():
            counts[word] = counts.get(word, 0) + 1
    assert len(counts) > 1500
    test_words = {word for english, _ in splits["test"] for word in english.split()}
    assert sum(1 for word in test_words if 1 <= counts.get(word, 0) <= 3) > 100


def test_french_is_lowercase_but_for_names_and_agrees_in_the_corpus(splits):
    for english, french in splits["train"][:500]:
        assert english.endswith(" ?") == french.endswith(" ?")
        for word in french.split():
            assert word == word.lower() or word[0].isupper() or word.startswith(("d'", "qu'"))
        assert " de le " not in french and " à le " not in french and " que il" not in french
        assert not re.search(r"\b(je|ne|le|la|de|que) [aeiouéèêàâîôœh]", french), french


def test_name_recall_counts_the_references_names_found_in_the_hypothesis():
    from multis2s_text.name_metrics import NameRecall, proper_names

    assert proper_names("est-ce qu'Ana a vu le chat d'Ana à Tarville ?") == {"Ana": 2, "Tarville": 1}
    hypotheses = ["Ana voit Marc", "le chat de Bob", "rien"]
    references = [["Ana voit Marc"], ["le chat de Bob et Bob"], ["Zoé"]]
    assert NameRecall().score(hypotheses, references) == pytest.approx(100 * 3 / 5)
    assert NameRecall().score(["a"], [["sans nom"]]) == 0.0


def test_name_recall_is_registered_and_the_dataset_keeps_the_basic_level(tmp_path, monkeypatch):
    from multis2s.plugins import load_registry
    from multis2s_text.datasets import en_fr_dataset
    from multis2s_text.en_fr_grammar import generate_pairs

    assert load_registry([]).get("metrics", "name_recall").factory().higher_is_better
    monkeypatch.setenv("MULTIS2S_CACHE", str(tmp_path))
    basic = en_fr_dataset(level="basic", train_size=20, dev_size=5, test_size=5, seed=2)
    assert [(e.source, e.target) for e in basic.split("train")] == generate_pairs(30, seed=2)[:20]
    full = en_fr_dataset(train_size=20, dev_size=5, test_size=5, seed=2)
    assert [(e.source, e.target) for e in full.split("test")] == generate_splits(20, 5, 5, seed=2)["test"]
    with pytest.raises(ValueError, match="level 'hard' is not one of basic, full"):
        en_fr_dataset(level="hard")
