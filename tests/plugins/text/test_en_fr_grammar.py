"""Behavioural tests of the English->French grammar corpus."""

import pytest

from multis2s_text.en_fr_grammar import corpus_size, generate_pairs
from multis2s_text.en_fr_parser import translate


@pytest.fixture(scope="module")
def sample() -> list[tuple[str, str]]:
    return generate_pairs(3_000, seed=0)


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("i am a student", "je suis étudiant"),
        ("she is a student", "elle est étudiante"),
        ("you all are students", "vous êtes étudiants"),
        ("my sisters are nurses", "mes sœurs sont infirmières"),
        ("her uncle is not a doctor", "son oncle n'est pas médecin"),
        ("the red car", "la voiture rouge"),
        ("the black cats", "les chats noirs"),
        ("a small dog", "un petit chien"),
        ("an old tree", "un vieil arbre"),
        ("a beautiful bird", "un bel oiseau"),
        ("the beautiful birds", "les beaux oiseaux"),
        ("the gray mice", "les souris grises"),
        ("my small orange", "ma petite orange"),
        ("i eat my orange", "je mange mon orange"),
        ("i have a cat", "j'ai un chat"),
        ("i do not have a cat", "je n'ai pas de chat"),
        ("they do not have an old computer", "ils n'ont pas de vieil ordinateur"),
        ("i do not see an egg", "je ne vois pas d'œuf"),
        ("she does not see the bird", "elle ne voit pas l'oiseau"),
        ("i see the man", "je vois l'homme"),
        ("they eat apples", "ils mangent des pommes"),
        ("they do not eat apples", "ils ne mangent pas de pommes"),
        ("we like cats", "nous aimons les chats"),
        ("we do not like cats", "nous n'aimons pas les chats"),
        ("he has a new computer", "il a un nouvel ordinateur"),
        ("she is not happy", "elle n'est pas heureuse"),
        ("the women are tired", "les femmes sont fatiguées"),
        ("the horses are white", "les chevaux sont blancs"),
        ("the old woman is happy", "la vieille femme est heureuse"),
        ("you all speak french", "vous parlez français"),
        ("he does not speak english", "il ne parle pas anglais"),
        ("the big black dogs do not eat the small red apples",
         "les grands chiens noirs ne mangent pas les petites pommes rouges"),
    ],
)
def test_translations_are_correct_french(english, french):
    assert translate(english) == french


@pytest.mark.parametrize(
    "english",
    ["hello world", "i am", "the red", "a cats", "i likes the cat", "he do not eat an apple", "i have an cat"],
)
def test_sentences_outside_the_grammar_are_rejected(english):
    with pytest.raises(ValueError, match="cannot translate"):
        translate(english)


def test_pairs_are_distinct_and_consistent_with_translate(sample):
    assert len(sample) == 3_000
    assert len({english for english, _ in sample}) == 3_000
    assert all(translate(english) == french for english, french in sample)


def test_pairs_are_lowercase_single_spaced_and_3_to_12_words(sample):
    for english, french in sample:
        assert 3 <= len(english.split()) <= 12
        for text in (english, french):
            assert text == text.lower()
            assert text.split(" ") == text.split()


def test_generation_covers_every_construction(sample):
    french_words = {word for _, french in sample for word in french.split()}
    english_words = {word for english, _ in sample for word in english.split()}
    assert {"not", "am", "does", "all", "speaks", "an"} <= english_words
    assert {"je", "j'ai", "n'est", "pas", "de", "des", "les", "l'homme", "nous", "vous", "ils"} <= french_words


def test_generation_is_deterministic_per_seed():
    assert generate_pairs(200, seed=3) == generate_pairs(200, seed=3)
    assert generate_pairs(200, seed=3) != generate_pairs(200, seed=4)


def test_grammar_is_large_enough_and_rejects_impossible_requests():
    size = corpus_size()
    assert size > 20_000
    assert generate_pairs(0, seed=0) == []
    with pytest.raises(ValueError, match=str(size)):
        generate_pairs(size + 1, seed=0)
    with pytest.raises(ValueError):
        generate_pairs(-1, seed=0)
