"""Joint CTC + attention against attention alone, same config and budget, on a speech config's test split.

    python bench/ctc_vs_attention.py [--config configs/asr.yaml] [--ctc-weight 0.3] [--decode-ctc-weight 0.3]
        [--out bench/out/ctc] [key.path=value ...]

Trains the config twice (``model.ctc_weight`` 0 and the given weight, every other option equal),
then scores the test split: the attention-only model with its config's search, and the joint model
with that search, with joint CTC + attention beam scores (``ctc_weight`` of the beam) and with
CTC-only greedy decoding. Prints one Markdown table (WER, CER, decode seconds) and the training
CPU seconds (user + sys of this process and its children) of each run.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from multis2s.run import Run
from multis2s.search.beam import BeamSearch
from multis2s.search.ctc_greedy import CTCGreedySearch


def cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/asr.yaml"))
    parser.add_argument("--ctc-weight", type=float, default=0.3)
    parser.add_argument("--decode-ctc-weight", type=float, default=0.3)
    parser.add_argument("--out", type=Path, default=Path("bench/out/ctc"))
    parser.add_argument("overrides", nargs="*", metavar="key.path=value")
    args = parser.parse_args()
    rows = []
    for weight in (0.0, args.ctc_weight):
        folder = args.out / f"ctc-{weight}"
        run = Run.from_config(args.config, [*args.overrides, f"model.ctc_weight={weight}"], folder)
        before, started = cpu_seconds(), time.perf_counter()
        run.train()
        print(f"ctc_weight {weight}: trained in {cpu_seconds() - before:.0f} CPU s, "
              f"{time.perf_counter() - started:.0f} s wall")
        trained = Run.from_folder(folder)
        examples = trained.examples("test")
        searches = {"config's search": trained.search()}
        if weight:
            spec = trained.config.eval.search
            beam = spec.options.get("beam", 4) if spec.type == "beam" else 4
            searches[f"beam {beam}, joint CTC {args.decode_ctc_weight}"] = BeamSearch(
                beam=beam, ctc_weight=args.decode_ctc_weight)
            searches["CTC greedy"] = CTCGreedySearch()
        for name, search in searches.items():
            started = time.perf_counter()
            results = trained.evaluate(examples, split="test", search=search)
            rows.append((weight, name, results.metrics["wer"], results.metrics["cer"],
                         time.perf_counter() - started))
    print("\n| trained with model.ctc_weight | decoding | test WER % | test CER % | decode s |\n|---|---|---|---|---|")
    for weight, name, wer, cer, seconds in rows:
        print(f"| {weight} | {name} | {wer:.2f} | {cer:.2f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
