"""Audio-visual speech recognition under noise: WER of audio-only, video-only and audio+video models.

    python bench/av_noise.py --audio runs/av_audio --video runs/lipreading --av runs/av_asr \
        [--noise white babble] [--snr clean 20 10 5 0 -5] [--count 1000] [--beam 1]

The test utterances of the audio-visual run's own data set are written again with noise added to
their audio at each SNR (white: Gaussian noise; babble: three other test utterances spoken at
once), video untouched, into ``bench/out/av_noise/<noise>_<snr>/`` with a manifest; every model is
then scored on the same utterances (``multis2s evaluate RUN --data <manifest>`` gives the same
figures). Noise is seeded by utterance, so every model hears the same noisy audio. A first table
scores the utterances with one stream missing (left out of the manifest) or the audio silent.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
import soundfile

from multis2s.run import Run

OUT = Path("bench/out/av_noise")
BABBLE_TALKERS = 3


def noise_for(kind: str, clean: np.ndarray, index: int, others: list[Path]) -> np.ndarray:
    """Noise as long as ``clean``: white, or the sum of a few other utterances (babble)."""
    rng = np.random.default_rng(index)
    if kind == "white":
        return rng.standard_normal(len(clean))
    babble = np.zeros(len(clean))
    picks = random.Random(index).sample(others, BABBLE_TALKERS)
    for path in picks:
        talker, _ = soundfile.read(path, dtype="float64")
        talker = np.resize(talker, len(clean))  # repeated to the length of the clean clip
        babble += talker / (np.sqrt(np.mean(talker ** 2)) + 1e-9)
    return babble


def mix(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``clean`` plus ``noise`` scaled to ``snr_db``, peak-limited to [-1, 1]."""
    signal_power = np.mean(clean ** 2) + 1e-12
    noise_power = np.mean(noise ** 2) + 1e-12
    noisy = clean + noise * np.sqrt(signal_power / (noise_power * 10 ** (snr_db / 10)))
    return noisy / max(1.0, float(np.abs(noisy).max()))


def write_condition(examples: list, kind: str, snr: str) -> Path:
    """The test utterances with ``kind`` noise at ``snr`` dB, clean, or (kind ``silence``) with
    their audio replaced by silence of the same length: a manifest of video + that audio."""
    name = "silence" if kind == "silence" else "clean" if snr == "clean" else f"{kind}_{snr}"
    folder = OUT / name
    manifest = folder / "test.jsonl"
    if manifest.exists():
        return manifest
    folder.mkdir(parents=True, exist_ok=True)
    audio_paths = [Path(e.source["audio"]) for e in examples]
    lines = []
    for index, example in enumerate(examples):
        audio = Path(example.source["audio"])
        if name != "clean":
            clean, rate = soundfile.read(audio, dtype="float64")
            if kind == "silence":
                changed = np.zeros_like(clean)
            else:
                others = audio_paths[:index] + audio_paths[index + 1:]
                changed = mix(clean, noise_for(kind, clean, index, others), float(snr))
            audio = (folder / f"{index:06d}.wav").resolve()
            soundfile.write(audio, changed.astype(np.float32), rate, subtype="PCM_16")
        lines.append(json.dumps({"video": example.source["video"], "audio": str(audio), "text": example.target}))
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def write_without(examples: list, modality: str) -> Path:
    """A manifest of the test utterances with one modality left out (that stream is then absent)."""
    manifest = OUT / f"no_{modality}" / "test.jsonl"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({**{k: v for k, v in e.source.items() if k != modality}, "text": e.target})
             for e in examples]
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def wer_of(run: Run, manifest: Path, beam: int | None) -> float:
    results = run.evaluate(run.read(manifest), split=str(manifest), search=run.search(beam=beam))
    return results.metrics["wer"]


def stream_table(runs: dict, examples: list, video_wer: float, clean: Path, beam: int | None) -> None:
    """WER with both streams clean, with one stream missing, and with the audio silent."""
    print(f"\none stream missing or silent, {len(examples)} test utterances, WER %\n")
    print("| test input | audio only | video only | audio + video |\n|---|---|---|---|")
    print(f"| both clean | {wer_of(runs['audio'], clean, beam):.2f} | {video_wer:.2f} | "
          f"{wer_of(runs['av'], clean, beam):.2f} |")
    no_video = write_without(examples, "video")
    print(f"| video missing | {wer_of(runs['audio'], no_video, beam):.2f} | – | "
          f"{wer_of(runs['av'], no_video, beam):.2f} |")
    print(f"| audio missing | – | {video_wer:.2f} | {wer_of(runs['av'], write_without(examples, 'audio'), beam):.2f} |")
    silent = write_condition(examples, "silence", "clean")
    print(f"| audio silent | {wer_of(runs['audio'], silent, beam):.2f} | {video_wer:.2f} | "
          f"{wer_of(runs['av'], silent, beam):.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", type=Path, required=True, help="audio-only run on the audio-visual corpus")
    parser.add_argument("--video", type=Path, required=True, help="video-only (lip-reading) run")
    parser.add_argument("--av", type=Path, required=True, help="audio+video run")
    parser.add_argument("--noise", nargs="+", default=["white", "babble"], choices=["white", "babble"])
    parser.add_argument("--snr", nargs="+", default=["clean", "20", "10", "5", "0", "-5"])
    parser.add_argument("--count", type=int, default=1000, help="test utterances used")
    parser.add_argument("--beam", type=int, default=None,
                        help="beam size, 1 = greedy (default: each run's eval.search)")
    parser.add_argument("--stream-table", action=argparse.BooleanOptionalAction, default=True,
                        help="also score with one stream missing or the audio silent")
    args = parser.parse_args()
    folders = {"audio": args.audio, "video": args.video, "av": args.av}
    runs = {name: Run.from_folder(path) for name, path in folders.items()}
    examples = runs["av"].examples("test")[: args.count]
    clean = write_condition(examples, "white", "clean")
    video_wer = wer_of(runs["video"], clean, args.beam)  # the video is the same in every condition
    if args.stream_table:
        stream_table(runs, examples, video_wer, clean, args.beam)
    for kind in args.noise:
        print(f"\n{kind} noise, {len(examples)} test utterances, WER %\n")
        print("| SNR (dB) | audio only | video only | audio + video |\n|---|---|---|---|")
        for snr in args.snr:
            manifest = write_condition(examples, kind, snr)
            audio, both = wer_of(runs["audio"], manifest, args.beam), wer_of(runs["av"], manifest, args.beam)
            print(f"| {snr} | {audio:.2f} | {video_wer:.2f} | {both:.2f} |", flush=True)


if __name__ == "__main__":
    main()
