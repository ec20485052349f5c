"""The same message in a casual and in a polite register, for the style-transfer config.

Eight kinds of message (asking for a report, ordering, cancelling, a meeting place, thanks, a phone
extension, a price, an invitation), each with several casual and several polite phrasings of the
same content: names, towns, numbers, days and items. The source is any phrasing of one register;
the target is the first (canonical) phrasing of the other, so each source has one right output:

    casual_to_polite: "sorry Kelo , friday is a no for me" →
        "dear Kelo , i am afraid i will not be able to attend on friday . my apologies ."

Dev and test draw every name, town and number from pools training never sees (:mod:`held_out`),
and half of their sources use a phrasing held out of training.
"""

from __future__ import annotations

import random

from multis2s_text.held_out import Pool, assemble_splits, pick_template

DIRECTIONS = ("casual_to_polite", "polite_to_casual")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ITEMS = ("coffees", "tickets", "pizzas", "boxes", "chairs", "maps")

# kind → (casual phrasings, polite phrasings); the first of each is the canonical one.
# Slots: p a name, a a town, n a number, day, item.
MESSAGES = {
    "report": (("hey {p} , send me the report by {day}", "{p} , need that report by {day}",
                "yo {p} , report by {day} ok ?", "{p} , get me the report before {day}"),
               ("dear {p} , could you please send me the report by {day} ?",
                "dear {p} , i would be grateful for the report by {day} .",
                "{p} , would you kindly send the report by {day} ?")),
    "order": (("gimme {n} {item} , thanks", "{n} {item} please , cheers", "i want {n} {item}",
               "grab me {n} {item}"),
              ("could i please have {n} {item} ? thank you very much .",
               "i would like to order {n} {item} , if possible .", "may i have {n} {item} , please ?")),
    "cancel": (("{p} , can't make it on {day} , sorry", "sorry {p} , {day} is a no for me", "{p} , i'm out on {day}",
                "no can do on {day} , {p}"),
               ("dear {p} , i am afraid i will not be able to attend on {day} . my apologies .",
                "dear {p} , unfortunately i cannot come on {day} . please accept my apologies .",
                "{p} , i regret that i must miss {day} .")),
    "meeting": (("heads up , meeting in room {n} in {a}", "meeting's in room {n} , {a} office",
                 "we're meeting in room {n} at the {a} office", "room {n} , {a} , be there"),
                ("please note that the meeting will take place in room {n} of the {a} office .",
                 "kindly be informed that we will meet in room {n} at the {a} office .",
                 "the meeting is scheduled for room {n} in our {a} office .")),
    "thanks": (("thx {p} , you rock", "cheers {p} , big help", "{p} , thanks a ton", "nice one {p} , thanks"),
               ("thank you very much , {p} . your help is greatly appreciated .",
                "dear {p} , many thanks for your kind help .", "{p} , i am truly grateful for your assistance .")),
    "call": (("call me at {n} , {p}", "{p} , ring me on {n}", "buzz me on {n} , {p}", "hit me up on {n} , {p}"),
             ("{p} , could you please call me on extension {n} ?", "dear {p} , you can reach me on extension {n} .",
              "{p} , please feel free to call me on extension {n} .")),
    "price": (("it's {n} euros , take it or leave it", "{n} euros , final", "costs {n} euros , ok ?"),
              ("the price is {n} euros . we hope this is acceptable .", "we would kindly ask for {n} euros .",
               "the total comes to {n} euros , if that suits you .")),
    "visit": (("gonna visit {a} on {day} , wanna come {p} ?", "{p} , {a} trip on {day} , you in ?",
               "heading to {a} {day} , join me {p} ?"),
              ("dear {p} , would you like to join me on a visit to {a} on {day} ?",
               "{p} , i plan to visit {a} on {day} and would be delighted if you joined .",
               "{p} , may i invite you to visit {a} with me on {day} ?")),
}


def check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")


def make_message(rng: random.Random, pool: Pool, held_out: bool, seed: int, direction: str) -> tuple[str, str]:
    """One (source register, target register) pair drawn from ``pool``."""
    kind = rng.choice(sorted(MESSAGES))
    casual, polite = MESSAGES[kind]
    sources, targets = (casual, polite) if direction == "casual_to_polite" else (polite, casual)
    facts = dict(p=rng.choice(pool.names), a=rng.choice(pool.towns), n=str(rng.choice(pool.numbers)),
                 day=rng.choice(DAYS), item=rng.choice(ITEMS))
    source = pick_template(rng, f"{kind}:{direction}", sources, seed, held_out=held_out)
    return source.format(**facts), targets[0].format(**facts)


def generate_splits(train_size: int, dev_size: int, test_size: int, seed: int,
                    direction: str = "casual_to_polite") -> dict[str, list[tuple[str, str]]]:
    """``{"train", "dev", "test"}`` → (source, target) pairs in ``direction``; dev and test hold
    unseen names, towns, numbers and phrasings (see above)."""
    check_direction(direction)
    return assemble_splits(lambda rng, pool, held: make_message(rng, pool, held, seed, direction),
                           train_size, dev_size, test_size, seed)
