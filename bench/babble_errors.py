"""Where a GRID speech run's errors under babble come from: the babble talkers' words, or not.

    python bench/babble_errors.py RUN_DIR [--conditions babble_5 babble_0] [--sentences 120] [--seed 1]

Scores the run on the babble conditions of ``bench/asr_robustness.py`` (written there if missing)
and, for every output as long as its reference (GRID sentences have six slots: command, colour,
preposition, letter, digit, adverb), counts per slot the wrong words, how many of them are the word
one of the three babble talkers says in that slot, and how many that would be if the wrong word
were drawn at random from the slot's other words. A share of babble words well above chance means
the model followed another talker; near chance, the babble only masked the target.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from asr_robustness import NOISES, babble_talkers, write_conditions
from multis2s.normalise import normalise_text
from multis2s.run import Run

SLOTS = ("command", "colour", "preposition", "letter", "digit", "adverb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a trained speech run folder (GRID grammar)")
    parser.add_argument("--conditions", nargs="+", default=["babble_5", "babble_0"],
                        choices=[name for name, (kind, _) in NOISES.items() if kind == "babble"])
    parser.add_argument("--sentences", type=int, default=120, help="utterances per condition (default 120)")
    parser.add_argument("--seed", type=int, default=1, help="the bench's seed (default 1)")
    args = parser.parse_args()
    run = Run.from_folder(args.run)
    manifests = write_conditions(args.conditions, args.sentences, "grid", args.seed)
    search = run.search()
    print("| condition | slot | wrong words | a babble talker's word in that slot | expected by chance |")
    print("|---|---|---|---|---|")
    for name in args.conditions:
        lines = [json.loads(line) for line in manifests[name].read_text().splitlines()]
        decoded = run.evaluate(run.read(manifests[name]), split=name, search=search).decoded
        references = [normalise_text(line["text"]).split() for line in lines]
        voices = [line["speaker"] for line in lines]
        slot_words = [{r[k] for r in references if len(r) == len(SLOTS)} for k in range(len(SLOTS))]
        wrong, babble, chance = [0] * len(SLOTS), [0] * len(SLOTS), [0.0] * len(SLOTS)
        for index, (output, reference) in enumerate(zip(decoded, references)):
            words = normalise_text(output.text).split()
            if len(words) != len(reference) or len(reference) != len(SLOTS):
                continue
            talkers = [references[t] for t in babble_talkers(voices, index, args.seed)]
            for k, (said, meant) in enumerate(zip(words, reference)):
                if said == meant:
                    continue
                spoken = {t[k] for t in talkers if len(t) == len(SLOTS)} - {meant}
                wrong[k] += 1
                babble[k] += said in spoken
                chance[k] += len(spoken & slot_words[k]) / max(1, len(slot_words[k]) - 1)
        for k, slot in enumerate(SLOTS):
            print(f"| {name} | {slot} | {wrong[k]} | {babble[k]} | {chance[k]:.1f} |")
        print(f"| {name} | all | {sum(wrong)} | {sum(babble)} | {sum(chance):.1f} |", flush=True)


if __name__ == "__main__":
    main()
