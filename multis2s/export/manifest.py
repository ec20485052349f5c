"""The export folder's ``manifest.json``: what a runner needs besides the graphs.

It holds the graphs' files and tensor names (:class:`~multis2s.export.graphs.Layout`), the
target vocabulary with the special ids and how tokens join into text, the output-length rule,
and per stream what its encoder reads: the dtype and shape of the source tensor (``batch``,
``steps`` where they vary) and the source pipeline's options and fitted state (a text stream's
vocabulary, audio normalisation statistics), to preprocess raw inputs as the run did.
:mod:`multis2s.export.runner` reads it (``MANIFEST_VERSION``).

Shapes: B batch, S_in source steps.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import torch

from multis2s.config import config_to_dict
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import BOS_ID, EOS_ID, PAD_ID, SPECIALS, UNK_ID
from multis2s.export.graphs import Layout
from multis2s.export.runner import MANIFEST, MANIFEST_VERSION


def plain(value: Any) -> Any:
    """Pipeline state as JSON data: tensors as nested lists, bytes as ``{"base64": …}``."""
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def input_spec(source: torch.Tensor, lengths: torch.Tensor) -> dict[str, Any]:
    """A stream's source tensor (B, S_in, …) as ``{"dtype", "shape"}``: axis 0 is ``batch``, axis 1
    ``steps`` when the pipeline pads along it (the longest length is its size), the rest fixed."""
    shape: list[Any] = ["batch", *source.shape[1:]]
    if source.dim() >= 2 and int(lengths.max()) == source.size(1):
        shape[1] = "steps"
    return {"dtype": str(source.dtype).removeprefix("torch."), "shape": shape}


def joining_rule(target: TargetField) -> dict[str, Any] | None:
    """How the target tokenizer joins tokens into text, ``{"between", "space"}`` (``space``: the
    token that stands for a space, or None), checked against the tokenizer on the vocabulary; None
    when neither plain rule reproduces it (subword units: use the run's target field)."""
    tokenizer = target.tokenizer
    words = target.vocabulary.tokens[len(SPECIALS):][:60]
    spaced = tokenizer.tokenize("a b")
    rules = [{"between": " ", "space": None}] + ([{"between": "", "space": spaced[1]}] if len(spaced) == 3 else [])
    samples = [words[i:i + 3] for i in range(0, len(words), 3)] + [words]

    def joined(rule: dict[str, Any], tokens: list[str]) -> str:
        return rule["between"].join(" " if t == rule["space"] else t for t in tokens)

    return next((r for r in rules if all(joined(r, s) == tokenizer.detokenize(s) for s in samples)), None)


def build_manifest(run, layout: Layout, *, format: str, files: dict[str, str], inputs: list[torch.Tensor],
                   notes: list[str]) -> dict[str, Any]:
    """The manifest of ``run`` exported with ``layout``; ``inputs``: the encoder's example inputs,
    per stream source (B, S_in, …) and lengths (B,)."""
    config = config_to_dict(run.config)
    settings = run.config.eval
    streams = []
    for index, name in enumerate(layout.streams):
        pipeline = run.streams.pipelines[name]
        streams.append({"name": name, "modality": pipeline.modality, "reads_files": pipeline.reads_files,
                        "encoder": config["model"]["encoders"][name]["type"],
                        "input": input_spec(inputs[2 * index], inputs[2 * index + 1]),
                        "lengths": "int64 (batch,): real steps of each row; 0 where a row lacks the stream",
                        "preprocessing": {"options": config["data"]["source"][name],
                                          "state": plain(pipeline.state())}})
    return {
        "version": MANIFEST_VERSION,
        "format": format,
        "torch_version": torch.__version__,
        "files": files,
        "names": {"encoder_inputs": list(layout.encoder_inputs), "encoder_outputs": list(layout.encoder_outputs),
                  "step_inputs": list(layout.step_inputs), "step_outputs": list(layout.step_outputs),
                  "memory": list(layout.memory), "state": list(layout.state)},
        "streams": streams,
        "decoder": config["model"]["decoder"]["type"],
        "target": {"vocabulary": list(run.target.vocabulary.tokens),
                   "special_ids": {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID},
                   "tokenizer": config["data"]["target"]["tokenizer"]["type"],
                   "detokenize": joining_rule(run.target)},
        "max_length": {"ratio": settings.max_length_ratio, "offset": settings.max_length_offset,
                       "rule": "ceil(ratio * S) + offset steps, EOS included; S = a row's real encoded positions "
                               "over all streams (the sum of the memory masks)"},
        "search": "greedy (the runner); the step graph can drive another search",
        "notes": notes,
    }


def write_manifest(manifest: dict[str, Any], folder: Path) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
