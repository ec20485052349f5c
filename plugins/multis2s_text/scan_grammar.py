"""The SCAN benchmark (Lake & Baroni, 2018) generated from its grammar.

SCAN maps navigation commands such as ``"jump around left twice"`` to action
sequences such as ``I_TURN_LEFT I_JUMP`` (repeated).  The commands come from
the phrase-structure grammar of the paper::

    C -> S and S | S after S | S
    S -> V twice | V thrice | V
    V -> D[1] opposite D[2] | D[1] around D[2] | D
    D -> U left | U right | turn left | turn right | U
    U -> walk | look | run | jump

In the ``opposite`` and ``around`` rules the first element is an action word
(``walk``, ``look``, ``run``, ``jump`` or ``turn``) and the second a direction
(``left`` or ``right``), as in ``"walk opposite left"`` or ``"turn around
right"``.  This yields 34 verb phrases, 102 sentences and 20,910 commands,
the size of the published ``tasks.txt``.

Interpretation, for an action word ``x`` and direction ``d``:

* ``turn d`` -> ``I_TURN_D``; ``x d`` -> ``I_TURN_D [[x]]``
* ``x opposite d`` -> ``I_TURN_D I_TURN_D [[x]]``
* ``x around d`` -> ``(I_TURN_D [[x]])`` four times
* ``turn opposite d`` -> ``I_TURN_D I_TURN_D``; ``turn around d`` ->
  ``I_TURN_D`` four times
* ``s twice`` / ``s thrice`` -> ``[[s]]`` repeated two / three times
* ``s1 and s2`` -> ``[[s1]] [[s2]]``; ``s1 after s2`` -> ``[[s2]] [[s1]]``
"""

import random

SPLITS = ("simple", "length", "addjump")

_ACTION_WORDS = {
    "walk": "I_WALK",
    "look": "I_LOOK",
    "run": "I_RUN",
    "jump": "I_JUMP",
}
_DIRECTIONS = {"left": "I_TURN_LEFT", "right": "I_TURN_RIGHT"}
_REPEATS = {"twice": 2, "thrice": 3}

_SIMPLE_TRAIN_FRACTION = (4, 5)
_LENGTH_SPLIT_MAX_TRAIN_ACTIONS = 22
_NEW_PRIMITIVE = "jump"
_PRIMITIVE_SHARE_OF_TRAIN = 10

Pair = tuple[str, str]
_Phrase = tuple[str, tuple[str, ...]]


def _verb_phrases() -> list[_Phrase]:
    """Return every V phrase with its action tokens."""
    phrases: list[_Phrase] = [(word, (action,)) for word, action in _ACTION_WORDS.items()]
    for direction, turn in _DIRECTIONS.items():
        phrases.append((f"turn {direction}", (turn,)))
        phrases.append((f"turn opposite {direction}", (turn, turn)))
        phrases.append((f"turn around {direction}", (turn,) * 4))
        for word, action in _ACTION_WORDS.items():
            phrases.append((f"{word} {direction}", (turn, action)))
            phrases.append((f"{word} opposite {direction}", (turn, turn, action)))
            phrases.append((f"{word} around {direction}", (turn, action) * 4))
    return phrases


def _sentences() -> list[_Phrase]:
    """Return every S phrase: a V phrase, optionally repeated."""
    sentences: list[_Phrase] = []
    for words, actions in _verb_phrases():
        sentences.append((words, actions))
        for repeat_word, count in _REPEATS.items():
            sentences.append((f"{words} {repeat_word}", actions * count))
    return sentences


def all_pairs() -> list[Pair]:
    """Return every SCAN (command, actions) pair, sorted by command.

    Commands are space-separated lowercase words; actions are space-separated
    tokens such as ``I_TURN_LEFT I_WALK``.
    """
    sentences = _sentences()
    commands: list[_Phrase] = list(sentences)
    for first_words, first_actions in sentences:
        for second_words, second_actions in sentences:
            commands.append((f"{first_words} and {second_words}", first_actions + second_actions))
            commands.append((f"{first_words} after {second_words}", second_actions + first_actions))
    return sorted((words, " ".join(actions)) for words, actions in commands)


def _simple_split(pairs: list[Pair], seed: int) -> dict[str, list[Pair]]:
    """Randomly assign 80% of the pairs to train and the rest to test."""
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    numerator, denominator = _SIMPLE_TRAIN_FRACTION
    cut = len(shuffled) * numerator // denominator
    return {"train": sorted(shuffled[:cut]), "test": sorted(shuffled[cut:])}


def _length_split(pairs: list[Pair]) -> dict[str, list[Pair]]:
    """Train on short action sequences and test on the longer ones."""
    def is_short(pair: Pair) -> bool:
        return len(pair[1].split()) <= _LENGTH_SPLIT_MAX_TRAIN_ACTIONS

    return {
        "train": [pair for pair in pairs if is_short(pair)],
        "test": [pair for pair in pairs if not is_short(pair)],
    }


def _addjump_split(pairs: list[Pair]) -> dict[str, list[Pair]]:
    """Hold out every composition of ``jump``, keeping only its primitive."""
    primitive = next(pair for pair in pairs if pair[0] == _NEW_PRIMITIVE)
    with_jump = [pair for pair in pairs if _NEW_PRIMITIVE in pair[0].split()]
    without_jump = [pair for pair in pairs if _NEW_PRIMITIVE not in pair[0].split()]
    copies = round(len(without_jump) / (_PRIMITIVE_SHARE_OF_TRAIN - 1))
    train = sorted(without_jump + [primitive] * copies)
    test = [pair for pair in with_jump if pair != primitive]
    return {"train": train, "test": test}


def split_pairs(split: str, seed: int) -> dict[str, list[Pair]]:
    """Return the ``"train"`` and ``"test"`` pairs of a standard SCAN split.

    * ``simple``: a random 80/20 split of all pairs, drawn with ``seed``
      (experiment 1 of the paper; 16,728 train / 4,182 test).
    * ``length``: train holds the pairs with at most 22 actions, test the
      pairs with 24 to 48 actions (experiment 2; 16,990 / 3,920).
    * ``addjump``: test holds every command that uses ``jump`` except the
      bare primitive ``jump``; train holds every command without ``jump``
      plus the primitive.  As in the published
      ``tasks_train_addprim_jump.txt``, the primitive pair is repeated so that
      it makes up 10% of the training set: 13,203 commands plus 1,467 copies
      of ``("jump", "I_JUMP")`` give 14,670 training lines; 7,706 test pairs.

    Each list is sorted by command, so the output depends only on ``split``
    and (for ``simple``) ``seed``.

    Raises:
        ValueError: if ``split`` is not one of :data:`SPLITS`.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown SCAN split {split!r}; known splits: {', '.join(SPLITS)}")
    pairs = all_pairs()
    if split == "simple":
        return _simple_split(pairs, seed)
    if split == "length":
        return _length_split(pairs)
    return _addjump_split(pairs)
