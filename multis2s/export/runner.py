"""Greedy decoding with an exported model: the graphs and manifest ``multis2s export`` writes, no Run.

    from multis2s.export.runner import ExportedModel

    model = ExportedModel.load("exported/", threads=1)    # TorchScript or ONNX, as its manifest says
    outputs = model.greedy({"source": ids}, {"source": lengths})   # preprocessed NumPy arrays
    print([model.text(o.tokens) for o in outputs])

The inputs are what the run's source pipelines give (the manifest's ``streams`` say, for each,
the dtype and shape and the pipeline options). This module imports only the standard library and
NumPy; loading a model imports torch (TorchScript) or onnxruntime (ONNX). ``multis2s export``
copies it into the export folder, so the folder and this file are all a deployment needs.

The search is the one :class:`multis2s.search.greedy.GreedySearch` runs: the argmax at every step
until EOS, rows leaving the batch once they have emitted it, and only EOS at the length limit
``ceil(ratio · S) + offset`` (S: a row's real encoded positions over all streams).

Shapes: B batch, N live rows, S_i encoded steps of stream i, V vocabulary.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
INSTALL_HINT = "pip install 'multis2s[export]'"


class Graphs(Protocol):
    """The two exported graphs of one format, called on NumPy arrays in the manifest's order."""

    def encode(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Per stream its source and lengths → memory tensors, then initial state tensors."""

    def step(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """tokens (N,), memory tensors, state tensors → log_probs (N, V), attention per stream, next state."""


class TorchScriptGraphs:
    """``encoder.pt`` and ``step.pt`` run with ``torch.jit``."""

    def __init__(self, folder: Path, files: dict[str, str], threads: int | None) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated in favour of torch.export
            self.encoder = torch.jit.load(str(folder / files["encoder"]), map_location="cpu")
            self.stepper = torch.jit.load(str(folder / files["step"]), map_location="cpu")

    def _call(self, graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
        # Without the optimising executor: it re-profiles the graph for each new shape, and decoding
        # changes shapes at every step (finished rows leave, a Transformer's cache grows).
        with self.torch.jit.optimized_execution(False), self.torch.inference_mode():
            outputs = graph(*(self.torch.from_numpy(np.ascontiguousarray(a)) for a in inputs))
        return [t.numpy() for t in outputs]

    def encode(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self._call(self.encoder, inputs)

    def step(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self._call(self.stepper, inputs)


class OnnxGraphs:
    """``encoder.onnx`` and ``step.onnx`` run with onnxruntime on the CPU."""

    def __init__(self, folder: Path, files: dict[str, str], threads: int | None, names: dict[str, Any]) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise RuntimeError(f"running an ONNX export needs onnxruntime: {INSTALL_HINT}") from None
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        providers = ["CPUExecutionProvider"]
        self.encoder = onnxruntime.InferenceSession(str(folder / files["encoder"]), options, providers=providers)
        self.stepper = onnxruntime.InferenceSession(str(folder / files["step"]), options, providers=providers)
        self.names = names

    @staticmethod
    def _run(session, names: list[str], inputs: list[np.ndarray]) -> list[np.ndarray]:
        """The exporter leaves out of a graph the inputs it does not read (an attention that needs no
        previous weights): only those the graph has are fed."""
        wanted = {i.name for i in session.get_inputs()}
        return session.run(None, {name: value for name, value in zip(names, inputs) if name in wanted})

    def encode(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self._run(self.encoder, self.names["encoder_inputs"], inputs)

    def step(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return self._run(self.stepper, self.names["step_inputs"], inputs)


@dataclass
class Output:
    """tokens: ids without BOS/EOS; score: the sum of their log-probabilities and EOS's;
    attention: per stream (steps, real S_i), steps = tokens + EOS (when it was emitted)."""

    tokens: list[int]
    score: float
    attention: dict[str, np.ndarray]


class ExportedModel:
    """An export folder's manifest and graphs, decoding greedily."""

    def __init__(self, manifest: dict[str, Any], graphs: Graphs) -> None:
        self.manifest, self.graphs = manifest, graphs
        self.streams = [s["name"] for s in manifest["streams"]]
        self.vocabulary: list[str] = manifest["target"]["vocabulary"]
        self.ids = manifest["target"]["special_ids"]

    @classmethod
    def load(cls, folder: str | Path, *, threads: int | None = None) -> "ExportedModel":
        """The export in ``folder``; ``threads`` sets the CPU threads (for TorchScript, torch's global setting)."""
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("version") != MANIFEST_VERSION:
            raise ValueError(f"{folder / MANIFEST}: manifest version {manifest.get('version')!r}, this runner "
                             f"reads version {MANIFEST_VERSION}")
        files = manifest["files"]
        if manifest["format"] == "onnx":
            return cls(manifest, OnnxGraphs(folder, files, threads, manifest["names"]))
        return cls(manifest, TorchScriptGraphs(folder, files, threads))

    def inputs(self, sources: dict[str, np.ndarray], lengths: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The encoder's inputs: per stream its source and lengths (B,); a stream missing from
        ``sources`` is absent from every row (one zero step, length 0)."""
        batch = len(next(iter(lengths.values())))
        inputs = []
        for stream in self.manifest["streams"]:
            name, spec = stream["name"], stream["input"]
            if name in sources:
                inputs += [np.asarray(sources[name], dtype=spec["dtype"]), np.asarray(lengths[name], dtype=np.int64)]
                continue
            shape = [batch if d == "batch" else 1 if d == "steps" else d for d in spec["shape"]]
            inputs += [np.zeros(shape, dtype=spec["dtype"]), np.zeros(batch, dtype=np.int64)]
        return inputs

    def limits(self, masks: list[np.ndarray]) -> np.ndarray:
        """(B,) the most output steps of each row, EOS included (float32 as the PyTorch search computes it)."""
        rule = self.manifest["max_length"]
        real = sum(m.sum(axis=1) for m in masks).astype(np.float32)  # (B,)
        return np.ceil(real * np.float32(rule["ratio"])).astype(np.int64) + rule["offset"]

    def greedy(self, sources: dict[str, np.ndarray], lengths: dict[str, np.ndarray]) -> list[Output]:
        """Decode a batch: sources per stream (B, S_in_i, …), lengths per stream (B,) → one output per row."""
        names = self.manifest["names"]
        bos, eos = self.ids["bos"], self.ids["eos"]
        outputs = self.graphs.encode(self.inputs(sources, lengths))
        count = len(names["memory"])
        memory, state = list(outputs[:count]), list(outputs[count:])
        masks = [memory[names["memory"].index(f"memory.{s}.mask")] for s in self.streams]  # per stream (B, S_i)
        limits = self.limits(masks)
        batch = len(limits)
        rows = np.arange(batch)  # (N,) the batch row of each live row
        tokens = np.full(batch, bos, dtype=np.int64)
        scores = np.zeros(batch, dtype=np.float32)
        emitted, weights = [], []
        for step in range(int(limits.max())):
            log_probs, *rest = self.graphs.step([tokens, *memory, *state])
            step_weights, state = rest[:len(self.streams)], rest[len(self.streams):]
            log_probs = np.where((step + 1 >= limits)[:, None], self._eos_only(log_probs.shape[1]), log_probs)
            tokens = log_probs.argmax(axis=1)  # (N,)
            scores[rows] += log_probs[np.arange(len(rows)), tokens]
            emitted.append(_scatter(np.full(batch, eos, dtype=np.int64), rows, tokens))
            weights.append([_scatter(np.zeros((batch, w.shape[1]), dtype=w.dtype), rows, w) for w in step_weights])
            going = tokens != eos
            if not going.all():
                if not going.any():
                    break
                kept = np.flatnonzero(going)
                rows, tokens, limits = rows[kept], tokens[kept], limits[kept]
                memory, state = [m[kept] for m in memory], [s[kept] for s in state]
        ids = np.stack(emitted, axis=1)  # (B, steps)
        return [self._output(ids[row], float(scores[row]), [np.stack([w[i][row] for w in weights])
                                                              for i in range(len(self.streams))],
                             [m[row] for m in masks]) for row in range(batch)]

    def _eos_only(self, vocab_size: int) -> np.ndarray:
        forced = np.full(vocab_size, -np.inf, dtype=np.float32)
        forced[self.ids["eos"]] = 0.0
        return forced

    def _output(self, ids: np.ndarray, score: float, weights: list[np.ndarray], masks: list[np.ndarray]) -> Output:
        """One row's ids (steps,), weights per stream (steps, S_i) and masks (S_i,) → its :class:`Output`."""
        ids = ids.tolist()
        tokens = ids[: ids.index(self.ids["eos"])] if self.ids["eos"] in ids else ids
        steps = min(len(tokens) + 1, len(ids))
        return Output(tokens, score, {s: w[:steps][:, m] for s, w, m in zip(self.streams, weights, masks)})

    def tokens(self, ids: list[int]) -> list[str]:
        """The token strings of ``ids`` (up to EOS; PAD and BOS dropped)."""
        out = []
        for i in ids:
            if i == self.ids["eos"]:
                break
            if i not in (self.ids["pad"], self.ids["bos"]):
                out.append(self.vocabulary[i])
        return out

    def text(self, ids: list[int]) -> str:
        """The output as text, for the tokenizers whose joining rule the manifest gives (word, char)."""
        joiner = self.manifest["target"]["detokenize"]
        if joiner is None:
            raise ValueError(f"the {self.manifest['target']['tokenizer']} tokenizer's detokenizer is not exported: "
                             "use tokens(), or the run's target field")
        space = joiner["space"]
        return joiner["between"].join(" " if t == space else t for t in self.tokens(ids))


def _scatter(full: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``full`` with ``values`` written at ``rows`` (its first axis)."""
    full[rows] = values
    return full
