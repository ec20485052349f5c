"""Feature-extraction throughput of the audio pipeline, in seconds of audio per CPU second.

    OMP_NUM_THREADS=1 python bench/audio_features.py MANIFEST.jsonl [--count 300]

Reads the manifest's utterances with the default `data.source` options (80-bin log-mel fbank,
per-utterance normalisation) and times, with CPU time (time.process_time) on 1 thread:
  1. read + resample + fbank + normalise (the first epoch, no cache),
  2. the same clips again from the feature cache (later epochs),
  3. training loads with SpecAugment, speed perturbation (0.9/1.0/1.1) and noise (cache bypassed).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from multis2s_audio.manifests import read_manifest
from multis2s_audio.pipeline import AudioPipeline


def rate(pipeline: AudioPipeline, examples, seconds: float, *, train: bool) -> float:
    start = time.process_time()
    for example in examples:
        pipeline.load(example, train=train)
    return seconds / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    examples = read_manifest(args.manifest, skip_bad=False)[: args.count]
    seconds = sum(float(e.tags["duration"]) for e in examples)
    plain = AudioPipeline()
    print(f"{len(examples)} utterances, {seconds:.0f} s of audio, 1 thread, CPU time")
    print(f"first epoch (read + resample + fbank + CMVN): {rate(plain, examples, seconds, train=False):,.0f} s audio / CPU s")
    print(f"cached epochs:                                {rate(plain, examples, seconds, train=False):,.0f} s audio / CPU s")
    augmented = AudioPipeline(spec_augment=True, speed_perturb=(0.9, 1.0, 1.1), noise_snr_db=(10.0, 30.0))
    print(f"training loads (SpecAugment + speed + noise): {rate(augmented, examples, seconds, train=True):,.0f} s audio / CPU s")


if __name__ == "__main__":
    main()
