"""English requests over numbers and lists → Python expressions, from a small grammar.

"add 3 and 12" → ``3 + 12``; "the largest of [4, 9, 2]" → ``max([4, 9, 2])``; "squares of the even
numbers in [1, 2, 3, 4]" → ``[x ** 2 for x in [1, 2, 3, 4] if x % 2 == 0]``.

A request is built from one *template* per level (an optional opening such as "please" or "what
is", the operation, and for list operations the phrasing of each filter and map), so its
*phrasing* is the tuple of template ids it used. Two things are held out of training:

- **numbers**: :func:`held_out_numbers` picks, by seed, numbers of 10–99 that no training request
  contains; every held-out request contains at least one of them (digits are tokens, so the model
  has seen every digit, never those numbers);
- **phrasings**: one phrasing tuple in :data:`HELD_OUT_EVERY` (by a stable hash, seed-dependent)
  never occurs in training; every held-out request uses such a tuple.

Dev and test requests are both held out in both ways, and no request occurs in two splits.
Every target is checked to evaluate in :mod:`multis2s_text.safe_eval`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from multis2s_text.safe_eval import InvalidProgram, safe_eval

HELD_OUT_EVERY = 5        # one phrasing tuple in five is held out of training
NUMBER_RANGE = (0, 99)
HELD_OUT_NUMBERS = 15     # of 10..99
LIST_LENGTH = (2, 5)

# Openings: for noun phrases ("what is the sum of …") and for imperatives ("please sort …").
NP_OPENINGS = ("", "what is ", "compute ", "give me ", "find ", "tell me ")
VP_OPENINGS = ("", "please ", "can you ", "now ", "go and ")
QUESTION_OPENINGS = ("", "tell me: ", "check: ", "quick question: ")

# Operations on two numbers: (name, code template, phrasings, is_noun_phrase per phrasing).
PAIR_OPERATIONS = {
    "add": ("{a} + {b}", ("add {a} and {b}", "{a} plus {b}", "the sum of {a} and {b}", "{a} added to {b}")),
    "sub": ("{a} - {b}", ("subtract {b} from {a}", "{a} minus {b}", "the difference of {a} and {b}",
                          "{b} taken away from {a}")),
    "mul": ("{a} * {b}", ("multiply {a} by {b}", "{a} times {b}", "the product of {a} and {b}")),
    "gt": ("{a} > {b}", ("is {a} greater than {b}", "is {a} bigger than {b}", "whether {a} exceeds {b}")),
    "lt": ("{a} < {b}", ("is {a} less than {b}", "is {a} smaller than {b}", "whether {a} is below {b}")),
    "eq": ("{a} == {b}", ("is {a} equal to {b}", "whether {a} equals {b}", "are {a} and {b} the same")),
    "max2": ("max({a}, {b})", ("the larger of {a} and {b}", "the bigger number of {a} and {b}")),
    "min2": ("min({a}, {b})", ("the smaller of {a} and {b}", "the lesser number of {a} and {b}")),
}
SINGLE_OPERATIONS = {
    "square": ("{a} ** 2", ("{a} squared", "the square of {a}")),
    "cube": ("{a} ** 3", ("{a} cubed", "the cube of {a}")),
    "double": ("{a} * 2", ("double {a}", "twice {a}", "{a} doubled")),
}
# Operations on a list expression L (its code is {l}).
LIST_OPERATIONS = {
    "max": ("max({l})", ("the largest of {L}", "the maximum of {L}", "the biggest number in {L}")),
    "min": ("min({l})", ("the smallest of {L}", "the minimum of {L}", "the lowest number in {L}")),
    "sum": ("sum({l})", ("the sum of {L}", "add up {L}", "the total of {L}")),
    "len": ("len({l})", ("the length of {L}", "how many numbers are in {L}", "count {L}")),
    "sorted": ("sorted({l})", ("sort {L}", "{L} in ascending order", "{L} sorted from smallest to largest")),
    "desc": ("sorted({l}, reverse=True)", ("{L} in descending order", "sort {L} from largest to smallest")),
    "reversed": ("list(reversed({l}))", ("reverse {L}", "{L} backwards", "{L} in reverse order")),
    "itself": ("{l}", ("{L}", "list {L}")),
}
# Filters: (code condition on x, phrasings of "the … numbers in {L}").
FILTERS = {
    "even": ("x % 2 == 0", ("the even numbers in {L}", "the even values of {L}")),
    "odd": ("x % 2 == 1", ("the odd numbers in {L}", "the odd values of {L}")),
    "gt": ("x > {n}", ("the numbers in {L} greater than {n}", "the numbers in {L} above {n}")),
    "lt": ("x < {n}", ("the numbers in {L} less than {n}", "the numbers in {L} below {n}")),
}
# Maps: (code of the element, phrasings of "… of {L}").
MAPS = {
    "square": ("x ** 2", ("the squares of {L}", "{L} squared")),
    "double": ("x * 2", ("{L} doubled", "double each number in {L}")),
    "add": ("x + {n}", ("{L} plus {n} each", "add {n} to each number in {L}")),
}
# Phrasings that read as imperatives take VP openings; the others take NP openings.
_IMPERATIVE = ("add ", "subtract ", "multiply ", "double ", "sort ", "reverse ", "count ", "list ")
_QUESTION = ("is ", "are ", "whether ")


@dataclass(frozen=True)
class Request:
    """One generated pair, with what the held-out split is decided on."""

    source: str
    target: str
    numbers: frozenset[int]
    phrasing: tuple[str, ...]


def held_out_numbers(seed: int) -> frozenset[int]:
    """The numbers (of 10..99) that no training request contains."""
    return frozenset(random.Random(f"numbers-{seed}").sample(range(10, 100), HELD_OUT_NUMBERS))


def phrasing_held_out(phrasing: tuple[str, ...], seed: int) -> bool:
    """True for the phrasing tuples (stable hash, by seed) that never occur in training."""
    digest = hashlib.sha256(f"{seed}|{'|'.join(phrasing)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % HELD_OUT_EVERY == 0


def _list_expression(rng: random.Random, pool: list[int]) -> tuple[str, str, list[str], list[int]]:
    """(phrase, code, phrasing ids, numbers) of a list literal, perhaps filtered and/or mapped."""
    items = [rng.choice(pool) for _ in range(rng.randint(*LIST_LENGTH))]
    literal = "[" + ", ".join(map(str, items)) + "]"
    numbers, ids = list(items), []
    kind = rng.choice(("literal", "filter", "map", "map_filter"))
    phrase, element, condition = literal, "x", None
    if kind in ("filter", "map_filter"):
        name = rng.choice(sorted(FILTERS))
        code, phrasings = FILTERS[name]
        choice = rng.randrange(len(phrasings))
        n = rng.choice(pool)
        phrase = phrasings[choice].format(L=phrase, n=n)
        condition = code.format(n=n)
        ids.append(f"filter:{name}:{choice}")
        numbers += [n] if "{n}" in code else []
    if kind in ("map", "map_filter"):
        name = rng.choice(sorted(MAPS))
        code, phrasings = MAPS[name]
        choice = rng.randrange(len(phrasings))
        n = rng.choice(pool)
        if kind == "map_filter" and phrasings[choice].startswith("{L}"):
            choice = next(i for i, p in enumerate(phrasings) if not p.startswith("{L}"))
        phrase = phrasings[choice].format(L=phrase, n=n)
        element = code.format(n=n)
        ids.append(f"map:{name}:{choice}")
        numbers += [n] if "{n}" in code else []
    if kind == "literal":
        return phrase, literal, ids, numbers
    suffix = f" if {condition}" if condition else ""
    return phrase, f"[{element} for x in {literal}{suffix}]", ids, numbers


def make_request(rng: random.Random, pool: list[int]) -> Request:
    """One random request whose numbers come from ``pool``."""
    family = rng.choices(("pair", "single", "list"), weights=(3, 1, 8))[0]
    ids: list[str]
    if family == "list":
        phrase_l, code_l, ids, numbers = _list_expression(rng, pool)
        name = rng.choice(sorted(LIST_OPERATIONS))
        code, phrasings = LIST_OPERATIONS[name]
        choice = rng.randrange(len(phrasings))
        text, target = phrasings[choice].format(L=phrase_l), code.format(l=code_l)
    else:
        table = PAIR_OPERATIONS if family == "pair" else SINGLE_OPERATIONS
        name = rng.choice(sorted(table))
        code, phrasings = table[name]
        choice = rng.randrange(len(phrasings))
        a, b = rng.choice(pool), rng.choice(pool)
        text, target = phrasings[choice].format(a=a, b=b), code.format(a=a, b=b)
        numbers, ids = ([a, b] if "{b}" in code else [a]), []
    kind = "vp" if text.startswith(_IMPERATIVE) else "question" if text.startswith(_QUESTION) else "np"
    openings = {"vp": VP_OPENINGS, "question": QUESTION_OPENINGS, "np": NP_OPENINGS}[kind]
    opening = rng.randrange(len(openings))
    phrasing = (f"open:{kind}:{opening}", f"{family}:{name}:{choice}", *ids)
    return Request(openings[opening] + text, target, frozenset(numbers), phrasing)


def generate_splits(train_size: int, dev_size: int, test_size: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """``{"train", "dev", "test"}`` → (request, expression) pairs; dev and test are held out (see above)."""
    return {name: [(r.source, r.target) for r in requests]
            for name, requests in generate_requests(train_size, dev_size, test_size, seed).items()}


def generate_requests(train_size: int, dev_size: int, test_size: int, seed: int) -> dict[str, list[Request]]:
    """The :class:`Request` objects behind :func:`generate_splits`."""
    rng = random.Random(seed)
    hidden = held_out_numbers(seed)
    seen_pool = [n for n in range(NUMBER_RANGE[0], NUMBER_RANGE[1] + 1) if n not in hidden]
    held_pool = sorted(hidden) + seen_pool     # held-out requests need one hidden number at least
    train: list[Request] = []
    held: list[Request] = []
    sources: set[str] = set()
    wanted_held = dev_size + test_size
    for _ in range(50 * (train_size + wanted_held) + 1000):
        if len(train) >= train_size and len(held) >= wanted_held:
            break
        want_train = len(train) < train_size and (len(held) >= wanted_held or rng.random() < 0.7)
        request = make_request(rng, seen_pool if want_train else held_pool)
        if request.source in sources or not _evaluates(request.target):
            continue
        held_phrasing = phrasing_held_out(request.phrasing, seed)
        if want_train and not held_phrasing:
            train.append(request)
        elif not want_train and held_phrasing and request.numbers & hidden and len(held) < wanted_held:
            held.append(request)
        else:
            continue
        sources.add(request.source)
    if len(train) < train_size or len(held) < wanted_held:
        raise ValueError(f"the grammar gave {len(train)} training and {len(held)} held-out requests; "
                         f"asked for {train_size} and {wanted_held}")
    return {"train": train, "dev": held[:dev_size], "test": held[dev_size:]}


def _evaluates(program: str) -> bool:
    """Targets must run (e.g. not ``max`` of an empty filtered list)."""
    try:
        safe_eval(program)
    except InvalidProgram:
        return False
    return True
