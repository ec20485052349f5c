"""Short news reports and their one-line summaries, for the summarization config.

A report is about one event of five kinds (a match, a shop's sales, a storm, an appointment, an
opening). Two of its sentences carry the event's facts — a lead and a detail, each in one of
several phrasings — and two to four distracting sentences (distinct), with names, towns and numbers of their
own, surround them. The summary is one line made of the event's facts only:

    "Brisa is known for its old gardens . on monday , Telo won against Kamu by 91 to 64 . Sholi , a
    local teacher , said the market was busy . the star of Telo was Vani , with 38 points ." →
    "Telo beat Kamu 91 - 64 , Vani scored 38"

The lead is the first or second sentence; the detail and the distractors follow in any order. Dev
and test draw every name, town and number from pools training never sees (:mod:`held_out`), and
half of their sentences use a phrasing held out of training.
"""

from __future__ import annotations

import random

from multis2s_text.held_out import Pool, assemble_splits, pick_template

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "march", "may", "july", "september", "november")
ITEMS = ("bikes", "phones", "books", "lamps", "chairs")
ROLES = ("mayor", "treasurer", "director", "judge")
BUILDINGS = ("bridge", "school", "library", "hospital", "station")
WEATHER = ("sunny", "rainy", "cold", "warm")
SIGHTS = ("churches", "bridges", "markets", "gardens")

# Events: kind → (lead phrasings, detail phrasings, summary). Slots: a, b towns; p a name;
# n, k, s1 > s2 numbers; day, month, item, role, building from the lists above.
EVENTS = {
    "match": (("{a} beat {b} {s1} to {s2} on {day} .", "on {day} , {a} won against {b} by {s1} to {s2} .",
               "{b} lost to {a} {s2} to {s1} on {day} ."),
              ("{p} scored {k} of the points for {a} .", "the star of {a} was {p} , with {k} points .",
               "{p} led {a} with {k} points ."),
              "{a} beat {b} {s1} - {s2} , {p} scored {k}"),
    "sales": (("the shop of {p} in {a} sold {n} {item} in {month} .", "in {month} , {p} sold {n} {item} at the "
               "shop in {a} .", "{n} {item} were sold in {month} by {p} in {a} ."),
              ("that is {k} more than last year .", "sales grew by {k} compared to last year .",
               "last year the shop sold {k} fewer ."),
              "{p} sold {n} {item} in {a} in {month} , {k} more than last year"),
    "storm": (("a storm will reach {a} on {day} .", "on {day} a storm is expected in {a} .",
               "forecasters warn that a storm will hit {a} on {day} ."),
              ("winds of up to {n} km per hour are expected .", "the wind may reach {n} km per hour .",
               "gusts could blow at {n} km per hour ."),
              "storm to hit {a} on {day} with winds of {n} km per hour"),
    "appointment": (("the council of {a} named {p} as its new {role} .", "{p} is the new {role} of {a} .",
                     "{a} has a new {role} : {p} ."),
                    ("{p} will lead a team of {n} people .", "the team of {p} has {n} people .",
                     "{n} people will work for {p} ."),
                    "{p} named {role} of {a} , leading {n} people"),
    "opening": (("a new {building} opened in {a} on {day} .", "on {day} , {a} opened its new {building} .",
                 "{a} celebrated the opening of a new {building} on {day} ."),
                ("it cost {n} million euros .", "the town paid {n} million euros for it .",
                 "building it took {n} million euros ."),
                "new {building} opens in {a} on {day} , costing {n} million euros"),
}
DISTRACTORS = (
    "the weather was {weather} all week .", "{p} , a local teacher , said the market was busy .",
    "{n} people visited the museum in {a} last month .", "the next council meeting is planned for {month} .",
    "{a} is known for its old {sight} .", "a spokesperson declined to comment .",
    "{p} from {a} won a cooking prize .", "tickets for the concert in {b} cost {n} euros .",
)
DISTRACTOR_COUNT = (2, 4)


def _slots(rng: random.Random, pool: Pool) -> dict[str, str]:
    """A fresh filling of every slot: two towns, a name, four numbers (s1 > s2), the words."""
    a, b = rng.sample(pool.towns, 2)
    s2, s1 = sorted(rng.sample(pool.numbers, 2))
    return dict(a=a, b=b, p=rng.choice(pool.names), n=str(rng.choice(pool.numbers)),
                k=str(rng.choice(pool.numbers)), s1=str(s1), s2=str(s2), day=rng.choice(DAYS),
                month=rng.choice(MONTHS), item=rng.choice(ITEMS), role=rng.choice(ROLES),
                building=rng.choice(BUILDINGS), weather=rng.choice(WEATHER), sight=rng.choice(SIGHTS))


def make_report(rng: random.Random, pool: Pool, held_out: bool, seed: int) -> tuple[str, str]:
    """One (report, summary) pair drawn from ``pool``; ``held_out`` allows the held-out phrasings."""
    kind = rng.choice(sorted(EVENTS))
    leads, details, summary = EVENTS[kind]
    facts = _slots(rng, pool)
    lead = pick_template(rng, f"{kind}:lead", leads, seed, held_out=held_out).format(**facts)
    detail = pick_template(rng, f"{kind}:detail", details, seed, held_out=held_out).format(**facts)
    templates: list[str] = []
    count = rng.randint(*DISTRACTOR_COUNT)     # at most the templates training may use (7)
    while len(templates) < count:
        template = pick_template(rng, "distractor", DISTRACTORS, seed, held_out=held_out)
        templates += [template] if template not in templates else []
    body = [detail, *(template.format(**_slots(rng, pool)) for template in templates)]
    rng.shuffle(body)
    body.insert(rng.randint(0, 1), lead)
    return " ".join(body), summary.format(**facts)


def generate_splits(train_size: int, dev_size: int, test_size: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """``{"train", "dev", "test"}`` → (report, summary) pairs; dev and test hold unseen names,
    towns, numbers and phrasings (see above)."""
    return assemble_splits(lambda rng, pool, held: make_report(rng, pool, held, seed),
                           train_size, dev_size, test_size, seed)
