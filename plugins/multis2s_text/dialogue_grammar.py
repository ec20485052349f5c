"""Small dialogues for the chatbot config: one message → one reply.

Five kinds of exchange, each with alternative phrasings of the message and one reply:

- greetings and goodbyes that name the user: "hello , my name is Kelo" → "hello Kelo , nice to
  meet you !";
- requests to repeat a number or a name back: "please repeat the number 482" → "the number is
  482 .";
- questions about a small table of facts given in the message, two to four rows of names with
  points, towns or room numbers, and a question about one row: "Kelo has 31 points and Mira has 77
  points . how many points does Mira have ?" → "Mira has 77 points ." The answer is in the message,
  so the model must find the right row and copy its name and value.

Words are lower case; names and towns are capitalised invented words (:mod:`multis2s_text.held_out`)
and numbers are 10–999. Dev and test draw their names, towns and numbers from pools training never
sees, and half of their messages use a phrasing held out of training.
"""

from __future__ import annotations

import random

from multis2s_text.held_out import Pool, assemble_splits, pick_template

# Exchanges with one slot: group → (message phrasings, reply, slot kind).
SIMPLE = {
    "greet": (("hi , i am {x}", "hello , my name is {x}", "hey there , {x} here", "good morning ! i am called {x}",
               "hi ! people call me {x}"),
              "hello {x} , nice to meet you !", "name"),
    "bye": (("thanks {x} , bye", "see you later , {x} here signing off", "bye for now , from {x}",
             "that is all , thank you . {x}"),
            "goodbye {x} , have a nice day !", "name"),
    "repeat_number": (("please repeat the number {x}", "say {x} back to me", "can you repeat {x} ?",
                       "my number is {x} , say it back", "repeat after me : {x}"),
                      "the number is {x} .", "number"),
    "repeat_name": (("my name is {x} . what is my name ?", "i am {x} . do you remember my name ?",
                     "call me {x} . who am i ?", "remember this name : {x} . say it back"),
                    "your name is {x} .", "name"),
}
# Tables of facts: group → (row phrasings, question phrasings, reply, value kind).
TABLES = {
    "points": (("{n} has {v} points", "{n} scored {v} points", "{n} : {v} points"),
               ("how many points does {n} have ?", "what is the score of {n} ?", "tell me the points of {n} .",
                "{n} has how many points ?"),
               "{n} has {v} points .", "number"),
    "town": (("{n} lives in {v}", "{n} is from {v}", "{n} has a house in {v}"),
             ("where does {n} live ?", "which town is {n} from ?", "what is the home town of {n} ?",
              "{n} lives where ?"),
             "{n} lives in {v} .", "town"),
    "room": (("{n} is in room {v}", "{n} has room {v}", "room {v} is for {n}"),
             ("which room is {n} in ?", "what room does {n} have ?", "where do i find {n} ?",
              "tell me the room of {n} ."),
             "{n} is in room {v} .", "number"),
}
TABLE_ROWS = (2, 4)
TABLE_WEIGHT = 3          # tables are drawn this much more often than each simple exchange


def _value(rng: random.Random, pool: Pool, kind: str) -> str:
    return {"name": lambda: rng.choice(pool.names), "town": lambda: rng.choice(pool.towns),
            "number": lambda: str(rng.choice(pool.numbers))}[kind]()


def _join(rows: list[str]) -> str:
    return " , ".join(rows[:-1]) + " and " + rows[-1] if len(rows) > 1 else rows[0]


def make_exchange(rng: random.Random, pool: Pool, held_out: bool, seed: int) -> tuple[str, str]:
    """One (message, reply) pair drawn from ``pool``; ``held_out`` allows the held-out phrasings."""
    groups = sorted(SIMPLE) + sorted(TABLES)
    group = rng.choices(groups, weights=[1] * len(SIMPLE) + [TABLE_WEIGHT] * len(TABLES))[0]
    if group in SIMPLE:
        messages, reply, kind = SIMPLE[group]
        value = _value(rng, pool, kind)
        return pick_template(rng, group, messages, seed, held_out=held_out).format(x=value), reply.format(x=value)
    rows, questions, reply, kind = TABLES[group]
    names = rng.sample(pool.names, rng.randint(*TABLE_ROWS))
    values = [_value(rng, pool, kind) for _ in names]
    row = pick_template(rng, f"{group}:row", rows, seed, held_out=held_out)
    question = pick_template(rng, f"{group}:question", questions, seed, held_out=held_out)
    asked = rng.randrange(len(names))
    table = _join([row.format(n=n, v=v) for n, v in zip(names, values)])
    message = f"{table} . {question.format(n=names[asked])}"
    return message, reply.format(n=names[asked], v=values[asked])


def generate_splits(train_size: int, dev_size: int, test_size: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """``{"train", "dev", "test"}`` → (message, reply) pairs; dev and test hold unseen names,
    towns, numbers and phrasings (see above)."""
    return assemble_splits(lambda rng, pool, held: make_exchange(rng, pool, held, seed),
                           train_size, dev_size, test_size, seed)
