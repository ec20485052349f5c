"""CPU cost of the speech training augmentation's parts, and of a whole training clip.

    python bench/augment_costs.py [--run RUN_DIR] [--clips 400]

Prints, on one thread: an FFT pair (forward and inverse, as pink noise makes) at 2.6 s of audio
with a large prime factor (40,961 samples), at a smooth length and at the next power of two;
SpecAugment's masks (``multis2s_audio.features.SpecAugment``) against torchaudio's masking
transforms with the same draws, on 260 × 80 features; and with ``--run``, the mean CPU time of a
training clip of that speech run through its pipeline (conditions, features, SpecAugment).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import torch
import torchaudio

from multis2s.run import Run
from multis2s_audio.features import SpecAugment


def cpu_ms(work: Callable[[], object], repeats: int) -> float:
    """Mean CPU milliseconds of ``work()`` over ``repeats`` calls, after one warm-up call."""
    work()
    start = time.process_time()
    for _ in range(repeats):
        work()
    return (time.process_time() - start) / repeats * 1000


def torchaudio_masks(features: torch.Tensor) -> torch.Tensor:
    """features (S, F) masked by torchaudio's transforms: 2 frequency masks < 27 bins, 2 time masks < 5 %."""
    spectrogram = features.T
    frequency = torchaudio.transforms.FrequencyMasking(freq_mask_param=27)
    timing = torchaudio.transforms.TimeMasking(time_mask_param=int(0.05 * len(features)))
    return timing(timing(frequency(frequency(spectrogram)))).T.contiguous()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="a speech run whose training clips are timed")
    parser.add_argument("--clips", type=int, default=400, help="training clips timed (default 400)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for length in (40_961, 40_000, 65_536):
        noise = torch.randn(length)
        print(f"FFT pair, {length} samples: {cpu_ms(lambda: torch.fft.irfft(torch.fft.rfft(noise), n=length), 20):.2f} ms")
    features, masks = torch.randn(260, 80), SpecAugment(freq_masks=2, freq_mask_width=27, time_masks=2,
                                                        time_mask_ratio=0.05)
    print(f"SpecAugment, 260 x 80: {cpu_ms(lambda: masks(features), 2000):.3f} ms; "
          f"torchaudio's transforms: {cpu_ms(lambda: torchaudio_masks(features), 2000):.3f} ms")
    if args.run:
        run = Run.from_folder(args.run)
        torch.set_num_threads(1)
        train = run.examples("train")
        run.streams.training_examples(train)
        clips = iter(range(10 ** 9))

        def load_next() -> None:
            index = next(clips) % len(train)
            run.streams.load(train[index], train=True, seed=7000 + index)

        print(f"a training clip of {args.run}: {cpu_ms(load_next, args.clips):.2f} ms")


if __name__ == "__main__":
    main()
