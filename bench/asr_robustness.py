"""Robustness of a speech run: WER and CER on held-out voices at other speaking rates and under noise.

    python bench/asr_robustness.py RUN_DIR [--sentences 120] [--beam N] [--conditions ordinary fast ...]
                                   [--ctc-weight W | --ctc-greedy] [--by-voice] [--checkpoint NAME]

Sentences of the run's grammar are spoken by the held-out test voices (eSpeak variants
``multis2s_speech.speakers.TEST_VARIANTS`` with every English accent, which no training split
uses) and written with a manifest per condition under ``bench/out/asr_robustness/<condition>/``
(``multis2s evaluate RUN --data <manifest>`` scores any one of them alone; a later call with the same
``--sentences``, grammar and ``--seed`` reuses them):

- ``ordinary``: each voice's habitual rate (145–175 words/min) ± 15, light white noise (25 dB SNR)
- ``slow`` 80–120 and ``fast`` 240–320 words/min, the same light noise
- ``white_5`` / ``white_0``: the ordinary utterances with white noise at 5 / 0 dB SNR
- ``babble_5`` / ``babble_0``: the ordinary utterances with three other ordinary utterances (other
  voices, other sentences) spoken over them at 5 / 0 dB SNR

``--by-voice`` adds a WER column per held-out voice variant (each of them with every accent): under
noise the whispering voice's errors outweigh the others'.

Everything is drawn from ``--seed``, so every run is scored on the same audio. SNRs are relative to
the mean power of the whole clean clip, as in training (:func:`multis2s_audio.conditions.mix_at_snr`).

An audio-visual run (streams ``audio`` and ``video``) is scored on the same sentences, voices and
rates spoken by the test speakers of the audio-visual corpus, each with its mouth video
(:func:`multis2s_lipread.corpus.speak_and_show`; folders under ``bench/out/asr_robustness_av/``),
and the table gains two columns: the same utterances with the video missing (left out of the
manifest, ``no_video.jsonl``) and with the audio replaced by silence (``silent.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch

from multis2s.errors import ConfigError
from multis2s.evaluation import Decoded, Results, score
from multis2s.run import Run
from multis2s.search.beam import BeamSearch
from multis2s.search.ctc_greedy import CTCGreedySearch
from multis2s_audio.conditions import mix_at_snr
from multis2s_audio.corpus import Resampler
from multis2s_lipread.corpus import av_speakers_for_split, speak_and_show
from multis2s_speech import espeak
from multis2s_speech.grammars import GRAMMARS, spoken_form
from multis2s_speech.speakers import speakers_for_split

OUT = {False: Path("bench/out/asr_robustness"), True: Path("bench/out/asr_robustness_av")}
"""Where the conditions are written: speech only, or with video (audio-visual runs)."""
SAMPLE_RATE = 16000
LIGHT_NOISE_DB = 25.0
BABBLE_TALKERS = 3
RATE_JITTER_WPM = 15
RATE_BANDS = {"ordinary": None, "slow": (80, 120), "fast": (240, 320)}
"""Speaking rates by condition (words/min); None: the voice's habitual rate ± RATE_JITTER_WPM."""
NOISES = {"white_5": ("white", 5.0), "white_0": ("white", 0.0), "babble_5": ("babble", 5.0),
          "babble_0": ("babble", 0.0)}
"""Noise conditions over the ordinary utterances: kind and SNR (dB)."""
CONDITIONS = (*RATE_BANDS, *NOISES)


@dataclass(frozen=True)
class Utterance:
    text: str
    voice: str
    rate_wpm: int
    samples: np.ndarray  # (N,) float32 at SAMPLE_RATE, clean
    video: np.ndarray | None = None  # (frames, size, size) uint8 mouth frames, audio-visual runs only


def speak(sentences: int, band: tuple[int, int] | None, grammar: str, seed: int,
          image_size: int | None = None) -> list[Utterance]:
    """``sentences`` clean utterances by held-out voices, rates from ``band`` (None: habitual);
    with ``image_size``, by the audio-visual test speakers (the same voices) with their mouth video."""
    voices = speakers_for_split("test")
    faces = {s.id: s for s in av_speakers_for_split("test")} if image_size else {}
    resampler = Resampler(espeak.sample_rate(), SAMPLE_RATE)
    utterances = []
    for index in range(sentences):
        rng = random.Random(f"robustness:{seed}:{index}")  # the same sentence and voice in every band
        text, speaker = GRAMMARS[grammar](rng), rng.choice(voices)
        jitter = rng.randint(-RATE_JITTER_WPM, RATE_JITTER_WPM)
        rate = speaker.base_rate_wpm + jitter if band is None else random.Random(f"rate:{seed}:{index}").randint(*band)
        if image_size:
            pcm, video = speak_and_show(text, faces[speaker.voice], rate_wpm=rate, render_seed=seed * 100_003 + index,
                                        image_size=image_size, sample_rate=SAMPLE_RATE)
            utterances.append(Utterance(text, speaker.voice, rate, pcm.astype(np.float32) / 32767, video))
            continue
        spoken = espeak.synthesise(spoken_form(text), voice=speaker.voice, rate_wpm=rate, pitch=speaker.base_pitch,
                                   pitch_range=speaker.pitch_range)
        utterances.append(Utterance(text, speaker.voice, rate, resampler(spoken.samples)))
    return utterances


def babble_talkers(voices: list[str], index: int, seed: int) -> list[int]:
    """Which of the utterances (their ``voices``) speak over utterance ``index`` in its babble:
    three of other voices, drawn from ``seed``."""
    others = [i for i, voice in enumerate(voices) if voice != voices[index]]
    return random.Random(f"babble:{seed}:{index}").sample(others, BABBLE_TALKERS)


def noise_for(kind: str, utterances: list[Utterance], index: int, seed: int) -> torch.Tensor:
    """(N,) noise for utterance ``index``: white, or three other voices' utterances at unit power each."""
    length = len(utterances[index].samples)
    generator = torch.Generator().manual_seed(seed * 100_003 + index)
    if kind == "white":
        return torch.randn(length, generator=generator)
    babble = torch.zeros(length)
    for other in babble_talkers([u.voice for u in utterances], index, seed):
        talker = torch.from_numpy(np.resize(utterances[other].samples, length))  # repeated to the length
        babble += talker / talker.square().mean().sqrt().clamp_min(1e-6)
    return babble


def write_condition(folder: Path, utterances: list[Utterance], kind: str, snr_db: float, seed: int) -> Path:
    """The utterances with ``kind`` noise at ``snr_db`` as wav files and a manifest; its path. With
    video, also ``no_video.jsonl`` (the video left out) and ``silent.jsonl`` (silence for audio)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines, no_video, silent = [], [], []
    for index, utterance in enumerate(utterances):
        noisy = mix_at_snr(torch.from_numpy(utterance.samples), noise_for(kind, utterances, index, seed), snr_db)
        noisy = noisy / max(1.0, float(noisy.abs().max()))  # no clipping at full scale
        path = (folder / f"{index:04d}.wav").resolve()
        soundfile.write(path, noisy.numpy(), SAMPLE_RATE, subtype="PCM_16")
        line = {"audio": str(path), "text": utterance.text, "speaker": utterance.voice,
                "duration": round(len(noisy) / SAMPLE_RATE, 3), "rate_wpm": utterance.rate_wpm}
        lines.append(line)
        if utterance.video is not None:
            no_video.append(dict(line))
            line["video"] = str((folder / f"{index:04d}.npy").resolve())
            np.save(line["video"], utterance.video, allow_pickle=False)
            quiet = (folder / f"{index:04d}.silent.wav").resolve()
            soundfile.write(quiet, np.zeros(len(noisy), dtype=np.float32), SAMPLE_RATE, subtype="PCM_16")
            silent.append({**line, "audio": str(quiet)})
    for name, rows in (("test", lines), ("no_video", no_video), ("silent", silent)):
        if rows:
            (folder / f"{name}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder / "test.jsonl"


def write_conditions(names: list[str], sentences: int, grammar: str, seed: int,
                     image_size: int | None = None) -> dict[str, Path]:
    """A manifest per condition (with video when ``image_size`` is given), kept from an earlier call
    with the same sentences, grammar, seed and image size."""
    out = OUT[image_size is not None]
    manifests, spoken = {}, {}
    settings = json.dumps({"sentences": sentences, "grammar": grammar, "seed": seed,
                           **({"image_size": image_size} if image_size else {})})
    for name in names:
        written = out / name / "settings.json"
        if written.exists() and written.read_text() == settings:
            manifests[name] = out / name / "test.jsonl"
            continue
        band = name if name in RATE_BANDS else "ordinary"
        if band not in spoken:
            spoken[band] = speak(sentences, RATE_BANDS[band], grammar, seed, image_size)
        kind, snr_db = NOISES.get(name, ("white", LIGHT_NOISE_DB))
        manifests[name] = write_condition(out / name, spoken[band], kind, snr_db, seed)
        written.write_text(settings)
    return manifests


def voice_variant(voice: str) -> str:
    """The eSpeak variant of a voice: ``en-us+m6`` → ``m6``."""
    return voice.partition("+")[2]


def wer_of(run: Run, decoded: list[Decoded]) -> float:
    """WER % of some decoded utterances, normalised as the run scores."""
    return score(run.registry, ["wer"], decoded, normalise=run.config.eval.normalise)["wer"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a trained speech run folder")
    parser.add_argument("--sentences", type=int, default=120, help="utterances per condition (default 120)")
    parser.add_argument("--beam", type=int, default=None, help="beam size, 1 = greedy (default: the run's search)")
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS))
    parser.add_argument("--seed", type=int, default=1, help="seeds sentences, voices, rates and noise (default 1)")
    parser.add_argument("--ctc-weight", type=float, default=None,
                        help="a model with a CTC head: beam search with this CTC weight (0: attention scores "
                             "only) instead of the run's search")
    parser.add_argument("--ctc-greedy", action="store_true", help="a model with a CTC head: the CTC head's best path")
    parser.add_argument("--by-voice", action="store_true", help="a WER column per held-out voice variant too")
    parser.add_argument("--checkpoint", default="best",
                        help="which checkpoint, as multis2s evaluate takes it: best (default), last, average, …")
    args = parser.parse_args()
    if args.sentences < BABBLE_TALKERS + 1:
        parser.error(f"--sentences must be at least {BABBLE_TALKERS + 1} (babble takes three others)")
    run = Run.from_folder(args.run, args.checkpoint)
    modalities = sorted(p.modality for p in run.streams.pipelines.values())
    if modalities not in (["audio"], ["audio", "video"]):
        raise ConfigError(f"{args.run}: not a speech run (one audio stream) or an audio-visual run (an audio and a "
                          f"video stream); its streams: {', '.join(run.streams.names)}")
    audio_visual = modalities == ["audio", "video"]
    options = run.config.data.dataset.options
    grammar = options.get("grammar", "grid")
    started = time.perf_counter()
    manifests = write_conditions(args.conditions, args.sentences, grammar, args.seed,
                                 int(options.get("image_size", 64)) if audio_visual else None)
    synthesis, decoding = time.perf_counter() - started, time.process_time()
    searched = ("CTC greedy" if args.ctc_greedy else f"beam {args.beam or 'of the run'}"
                + ("" if args.ctc_weight is None else f", CTC weight {args.ctc_weight}"))
    print(f"{args.run} ({args.checkpoint}): {args.sentences} {grammar} sentences per condition, held-out "
          f"{'speakers (voice and face)' if audio_visual else 'voices'}, {searched}\n")
    extra = ["video missing", "audio silent"] if audio_visual else []
    variants = sorted({voice_variant(s.voice) for s in speakers_for_split("test")}) if args.by_voice else []
    extra += variants
    print("| condition | WER % | CER % |" + "".join(f" {e}: WER % |" for e in extra))
    print("|---|---|---|" + "---|" * len(extra))

    search = run.search(beam=args.beam)
    if args.ctc_greedy:
        search = CTCGreedySearch()
    elif args.ctc_weight is not None:
        configured = run.config.eval.search.options if run.config.eval.search.type == "beam" else {}
        search = BeamSearch(beam=args.beam or configured.get("beam", 4), ctc_weight=args.ctc_weight)

    def decoded(manifest: Path, split: str) -> Results:
        return run.evaluate(run.read(manifest), split=split, search=search)

    for name, manifest in manifests.items():
        results = decoded(manifest, name)
        scores = results.metrics
        cells = [f"{decoded(manifest.with_name(f'{v}.jsonl'), f'{name}_{v}').metrics['wer']:.2f}"
                 for v in ("no_video", "silent")] if audio_visual else []
        spoken_by = [voice_variant(str(d.example.tags.get("speaker", ""))) for d in results.decoded]
        cells += [f"{wer_of(run, [d for d, by in zip(results.decoded, spoken_by) if by == v]):.2f}" for v in variants]
        print(f"| {name} | {scores['wer']:.2f} | {scores['cer']:.2f} |" + "".join(f" {c} |" for c in cells),
              flush=True)
    print(f"\nsynthesis {synthesis:.0f} s wall; decoding {time.process_time() - decoding:.0f} s CPU")


if __name__ == "__main__":
    main()
