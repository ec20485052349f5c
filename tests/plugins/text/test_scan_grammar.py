"""Behavioural tests of the SCAN generator against the published data set."""

from collections import Counter

import pytest

from multis2s_text.scan_grammar import SPLITS, all_pairs, split_pairs

TURN_LEFT, TURN_RIGHT = "I_TURN_LEFT", "I_TURN_RIGHT"


@pytest.fixture(scope="module")
def pairs() -> dict[str, str]:
    return dict(all_pairs())


def actions(*tokens: str) -> str:
    return " ".join(tokens)


def test_full_set_has_20910_distinct_sorted_commands():
    listed = all_pairs()
    assert len(listed) == 20_910
    assert len({command for command, _ in listed}) == 20_910
    assert listed == sorted(listed)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("jump", "I_JUMP"),
        ("turn left", TURN_LEFT),
        ("walk left", actions(TURN_LEFT, "I_WALK")),
        ("walk opposite left", actions(TURN_LEFT, TURN_LEFT, "I_WALK")),
        ("walk around left", actions(*[TURN_LEFT, "I_WALK"] * 4)),
        ("turn opposite left", actions(TURN_LEFT, TURN_LEFT)),
        ("turn around right", actions(*[TURN_RIGHT] * 4)),
        ("look twice", "I_LOOK I_LOOK"),
        ("run thrice", "I_RUN I_RUN I_RUN"),
        ("jump and turn left", actions("I_JUMP", TURN_LEFT)),
        ("look opposite left after run", actions("I_RUN", TURN_LEFT, TURN_LEFT, "I_LOOK")),
        (
            "jump opposite right twice and turn left thrice",
            actions(TURN_RIGHT, TURN_RIGHT, "I_JUMP", TURN_RIGHT, TURN_RIGHT, "I_JUMP", *[TURN_LEFT] * 3),
        ),
        (
            "jump opposite left after walk around left",
            actions(*[TURN_LEFT, "I_WALK"] * 4, TURN_LEFT, TURN_LEFT, "I_JUMP"),
        ),
        (
            "walk left twice after turn opposite left thrice",
            actions(*[TURN_LEFT] * 6, TURN_LEFT, "I_WALK", TURN_LEFT, "I_WALK"),
        ),
        (
            "turn around right thrice after run opposite right twice",
            actions(*[TURN_RIGHT, TURN_RIGHT, "I_RUN"] * 2, *[TURN_RIGHT] * 12),
        ),
    ],
)
def test_commands_are_interpreted_as_in_the_paper(pairs, command, expected):
    assert pairs[command] == expected


def test_commands_outside_the_grammar_are_absent(pairs):
    for command in ("turn", "turn twice", "walk left opposite right", "jump and walk and run", "walk twice twice"):
        assert command not in pairs


def test_vocabularies_match_scan(pairs):
    command_words = {word for command in pairs for word in command.split()}
    action_tokens = {token for sequence in pairs.values() for token in sequence.split()}
    assert len(command_words) == 13
    assert action_tokens == {"I_WALK", "I_LOOK", "I_RUN", "I_JUMP", TURN_LEFT, TURN_RIGHT}


@pytest.mark.parametrize("split", SPLITS)
def test_splits_are_disjoint_and_cover_everything(split):
    parts = split_pairs(split, seed=0)
    assert set(parts) == {"train", "test"}
    train_commands = {command for command, _ in parts["train"]}
    test_commands = {command for command, _ in parts["test"]}
    assert not train_commands & test_commands
    assert train_commands | test_commands == {command for command, _ in all_pairs()}


def test_simple_split_is_80_20_and_seeded():
    first = split_pairs("simple", seed=0)
    assert (len(first["train"]), len(first["test"])) == (16_728, 4_182)
    assert split_pairs("simple", seed=0) == first
    assert split_pairs("simple", seed=1)["test"] != first["test"]


def test_length_split_matches_the_published_counts():
    parts = split_pairs("length", seed=0)
    assert (len(parts["train"]), len(parts["test"])) == (16_990, 3_920)
    train_lengths = {len(sequence.split()) for _, sequence in parts["train"]}
    test_lengths = {len(sequence.split()) for _, sequence in parts["test"]}
    assert max(train_lengths) == 22
    assert (min(test_lengths), max(test_lengths)) == (24, 48)


def test_addjump_split_holds_out_every_jump_composition():
    parts = split_pairs("addjump", seed=0)
    assert (len(parts["train"]), len(parts["test"])) == (14_670, 7_706)
    train_counts = Counter(parts["train"])
    assert train_counts[("jump", "I_JUMP")] == 1_467
    assert all("jump" not in command.split() for command, _ in train_counts if command != "jump")
    assert all("jump" in command.split() and command != "jump" for command, _ in parts["test"])
    assert len(parts["test"]) == len(set(parts["test"]))


def test_fixed_splits_do_not_depend_on_the_seed():
    for split in ("length", "addjump"):
        assert split_pairs(split, seed=0) == split_pairs(split, seed=5)


def test_unknown_split_is_rejected_with_the_known_names():
    with pytest.raises(ValueError, match="simple, length, addjump"):
        split_pairs("around_right", seed=0)
