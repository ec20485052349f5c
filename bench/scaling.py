"""How the cost of one training step and of greedy decoding grows with source length and batch size.

    python bench/scaling.py [--lengths 50,200,800,3000] [--batches 4,16] [--threads 2] [--target 50]
                            [--out bench/out/scaling]

Two models of the anchor task's size over random token sources: the RNN decoder (BiLSTM 2×128 →
LSTM 256, additive attention, input feeding: the fused loop) and the Transformer decoder (3+3
layers of 256, 4 heads, feed-forward 1024). Each point runs in a fresh process, so its peak
resident memory (``ru_maxrss``) is that point's own: first greedy decoding of exactly
``--target`` steps, then the median of 3 training steps (forward, backward, Adam) with targets of
``--target`` tokens. Model FLOPs are counted by ``torch.utils.flop_counter`` (matrix products,
forward and backward) and divided by the time and by this machine's float32 matmul rate for the
LSTM step's shape, measured here. Writes ``scaling.json`` and ``scaling.png`` into ``--out`` and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

VOCAB = 100


def matmul_rate(threads: int) -> float:
    """GFLOP/s of a (64 × 576) · (576 × 1024) float32 product, the anchor LSTM step's shape."""
    torch.set_num_threads(threads)
    a, b = torch.randn(64, 576), torch.randn(576, 1024)
    for _ in range(20):
        a @ b
    start, count = time.perf_counter(), 200
    for _ in range(count):
        a @ b
    return 2 * 64 * 576 * 1024 * count / (time.perf_counter() - start) / 1e9


def build(decoder: str):
    """The model of ``decoder`` kind (``rnn`` or ``transformer``) with its encoder."""
    from multis2s_text.encoders import RNNEncoder, TransformerTextEncoder

    from multis2s.model.attention import AdditiveAttention
    from multis2s.model.rnn_decoder import RNNDecoder
    from multis2s.model.seq2seq import Seq2Seq
    from multis2s.model.streams import StreamEncoders
    from multis2s.model.transformer_decoder import TransformerDecoder
    from multis2s.options import BoundFactory

    torch.manual_seed(0)
    if decoder == "rnn":
        encoder = RNNEncoder(vocab_size=VOCAB, pad_id=0, embedding_dim=64, hidden_dim=128)
    else:
        encoder = TransformerTextEncoder(vocab_size=VOCAB, pad_id=0)
    encoders = StreamEncoders(encoders={"source": encoder})
    common = dict(vocab_size=VOCAB, pad_id=0, memory_dims=encoders.output_dims, state_dim=encoders.state_dim)
    if decoder == "rnn":
        head = RNNDecoder(**common, embedding_dim=64, hidden_dim=256, input_feeding=True,
                          attention=BoundFactory(AdditiveAttention, {"dim": 256}))
    else:
        head = TransformerDecoder(**common)
    return Seq2Seq(encoder=encoders, decoder=head)


def measure_point(decoder: str, length: int, batch: int, target: int, threads: int) -> dict:
    """One point, in this process: decoding, then training, with peak memory after each."""
    from torch.utils.flop_counter import FlopCounterMode

    from multis2s.loss import sequence_loss
    from multis2s.search.greedy import GreedySearch
    from multis2s.search.hypothesis import MaxLength

    torch.set_num_threads(threads)
    model = build(decoder)
    sources = {"source": torch.randint(4, VOCAB, (batch, length))}
    lengths = {"source": torch.full((batch,), length)}
    targets = torch.randint(4, VOCAB, (batch, target + 1))
    targets[:, 0] = 1
    model.eval()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    hypotheses = GreedySearch()(model, sources, lengths, max_length=MaxLength(0.0, target))
    decode_s = time.perf_counter() - start
    decoded_steps = max(len(h[0].tokens) + 1 for h in hypotheses)
    decode_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)

    def step() -> None:
        log_probs = model(sources, lengths, targets[:, :-1]).log_probs
        loss, tokens = sequence_loss(log_probs, targets[:, 1:], pad_id=0)
        optimizer.zero_grad()
        (loss / tokens).backward()
        optimizer.step()

    counter = FlopCounterMode(display=False)
    with counter:
        step()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    train_s = statistics.median(times)
    return {"decoder": decoder, "length": length, "batch": batch, "target": target, "threads": threads,
            "train_step_s": train_s, "train_gflop": counter.get_total_flops() / 1e9,
            "train_gflop_per_s": counter.get_total_flops() / train_s / 1e9,
            "decode_s": decode_s, "decoded_steps": decoded_steps, "decode_ms_per_step": 1000 * decode_s / decoded_steps,
            "base_mb": base / 1024, "decode_peak_mb": decode_peak / 1024,
            "train_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 4))
    for decoder in sorted({p["decoder"] for p in points}):
        for batch in sorted({p["batch"] for p in points}):
            series = sorted((p for p in points if p["decoder"] == decoder and p["batch"] == batch),
                            key=lambda p: p["length"])
            label = f"{decoder}, batch {batch}"
            x = [p["length"] for p in series]
            axes[0].plot(x, [p["train_step_s"] for p in series], marker="o", label=label)
            axes[1].plot(x, [p["decode_ms_per_step"] for p in series], marker="o", label=label)
            axes[2].plot(x, [p["train_peak_mb"] for p in series], marker="o", label=label)
    for axis, title in zip(axes, ("training step (s)", "greedy decoding (ms per step)", "peak memory, training (MB)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("source length")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="50,200,800,3000")
    parser.add_argument("--batches", default="4,16")
    parser.add_argument("--decoders", default="rnn,transformer")
    parser.add_argument("--target", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/out/scaling"))
    parser.add_argument("--point", help=argparse.SUPPRESS)  # decoder,length,batch: measure one point here
    args = parser.parse_args()
    if args.point:
        decoder, length, batch = args.point.split(",")
        print(json.dumps(measure_point(decoder, int(length), int(batch), args.target, args.threads)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rate = matmul_rate(args.threads)
    points = []
    for decoder in args.decoders.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            for length in (int(n) for n in args.lengths.split(",")):
                done = subprocess.run([sys.executable, __file__, "--point", f"{decoder},{length},{batch}",
                                       "--target", str(args.target), "--threads", str(args.threads)],
                                      capture_output=True, text=True)
                if done.returncode:
                    print(f"{decoder} S={length} B={batch}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                    continue
                point = json.loads(done.stdout.strip().splitlines()[-1])
                point["matmul_share"] = point["train_gflop_per_s"] / rate
                points.append(point)
                print(json.dumps(point), flush=True)
    (args.out / "scaling.json").write_text(json.dumps({"matmul_gflop_per_s": rate, "points": points}, indent=1))
    plot(points, args.out / "scaling.png")
    print(f"\nfloat32 matmul rate, (64×576)·(576×1024), {args.threads} threads: {rate:.1f} GFLOP/s")
    print("| decoder | batch | source length | training step s | GFLOP/step | GFLOP/s | share of matmul rate "
          "| peak MB (train) | greedy ms/step | peak MB (decode) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for p in points:
        print(f"| {p['decoder']} | {p['batch']} | {p['length']} | {p['train_step_s']:.3f} | {p['train_gflop']:.2f} | "
              f"{p['train_gflop_per_s']:.1f} | {100 * p['matmul_share']:.0f} % | {p['train_peak_mb']:.0f} | "
              f"{p['decode_ms_per_step']:.1f} | {p['decode_peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
