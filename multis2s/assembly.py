"""Config → the parts of a run: dataset, source pipeline, target field and model.

Every error here is raised before any training starts and names the config key it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from multis2s import options
from multis2s.config import ComponentSpec, Config
from multis2s.data.cache import cache_root
from multis2s.data.example import Dataset, Example
from multis2s.data.loader import Batch
from multis2s.data.pipeline import SourcePipeline
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import PAD_ID, Vocabulary
from multis2s.errors import ConfigError, PluginError
from multis2s.model.seq2seq import Seq2Seq
from multis2s.registry import Component, Registry


SUPPLIED_ARGUMENTS = ("vocab_size", "pad_id", "memory_dim", "state_dim", "input_dim", "input_channels",
                      "image_size", "cache_dir", "skip_bad")
"""Factory arguments the core or a source pipeline fills in: never config keys."""


@dataclass
class Parts:
    """Everything a run is made of besides its training state."""

    config: Config
    registry: Registry
    dataset: Dataset
    pipeline: SourcePipeline
    target: TargetField
    model: Seq2Seq


def _component(registry: Registry, kind: str, spec: ComponentSpec, origin: str) -> Component:
    try:
        return registry.get(kind, spec.type)
    except PluginError as exc:
        raise ConfigError(f"{origin}: {spec.where}.type: {exc}") from None


def _build(component: Component, spec: ComponentSpec, origin: str, supplied: dict[str, Any] | None = None) -> Any:
    return options.build(component.factory, spec.options, where=f"{origin}: {spec.where}", supplied=supplied)


def build_dataset(config: Config, registry: Registry, origin: str) -> Dataset:
    """The dataset of ``data.dataset``, after checking it gives what the encoder reads."""
    spec = config.data.dataset
    component = _component(registry, "datasets", spec, origin)
    encoder = _component(registry, "encoders", config.model.encoder, origin)
    if "any" not in (component.modality, encoder.modality) and component.modality != encoder.modality:
        raise ConfigError(
            f"{origin}: data.dataset: {spec.type!r} gives {component.modality} sources but encoder "
            f"{encoder.name!r} reads {encoder.modality}"
        )
    return _build(component, spec, origin, {"cache_dir": cache_root(), "skip_bad": config.data.skip_bad})


def build_pipeline(config: Config, registry: Registry, origin: str) -> SourcePipeline:
    """The source pipeline of the encoder's modality, with the ``data.source`` options."""
    modality = _component(registry, "encoders", config.model.encoder, origin).modality
    spec = ComponentSpec(modality, config.data.source, "data.source")
    return _build(_component(registry, "modalities", spec, origin), spec, origin)


def build_target(config: Config, registry: Registry, origin: str, vocabulary: Vocabulary | None,
                 train: list[Example] | None) -> TargetField:
    """The target field; its vocabulary is built from ``train`` unless one is given."""
    spec = ComponentSpec(config.data.target.tokenizer, {}, "data.target.tokenizer")
    try:
        tokenizer = registry.get("tokenizers", spec.type).factory()
    except PluginError as exc:
        raise ConfigError(f"{origin}: data.target.tokenizer: {exc}") from None
    settings = config.data.target
    field = TargetField(tokenizer, vocabulary or Vocabulary([]), normalise=settings.normalise)
    if vocabulary is None:
        sequences = (field.tokenize(e.target) for e in train or [])
        field.vocabulary = Vocabulary.build(sequences, min_freq=settings.min_freq, max_size=settings.max_vocab)
    return field


def build_model(config: Config, registry: Registry, origin: str, pipeline: SourcePipeline,
                target: TargetField) -> Seq2Seq:
    """The encoder from its plugin, then the decoder sized to the encoder's declared output."""
    encoder_spec, decoder_spec = config.model.encoder, config.model.decoder
    encoder = _build(_component(registry, "encoders", encoder_spec, origin), encoder_spec, origin,
                     pipeline.encoder_inputs())
    for attribute in ("output_dim", "state_dim"):
        if not isinstance(getattr(encoder, attribute, None), int):
            raise ConfigError(f"{origin}: model.encoder: encoder {encoder_spec.type!r} does not declare an "
                              f"integer {attribute}")
    supplied = {"vocab_size": len(target.vocabulary), "pad_id": PAD_ID,
                "memory_dim": encoder.output_dim, "state_dim": encoder.state_dim}
    decoder = _build(_component(registry, "decoders", decoder_spec, origin), decoder_spec, origin, supplied)
    return Seq2Seq(encoder=encoder, decoder=decoder)


@torch.no_grad()
def check_shapes(model: Seq2Seq, batch: Batch, origin: str, encoder_name: str) -> None:
    """Run one real batch through the model and check every shape against the contracts."""
    was_training = model.training
    model.eval()
    try:
        encoded = model.encode(batch.sources, batch.source_lengths)
        memory, mask = encoded.memory, encoded.memory_mask
        size, steps = batch.sources.size(0), memory.size(1) if memory.dim() == 3 else -1
        if memory.dim() != 3 or memory.size(0) != size or memory.size(2) != model.encoder.output_dim:
            raise ConfigError(f"{origin}: model.encoder: encoder {encoder_name!r} declares output_dim="
                              f"{model.encoder.output_dim} but returned memory of shape {tuple(memory.shape)}")
        if mask.dtype != torch.bool or tuple(mask.shape) != (size, steps):
            raise ConfigError(f"{origin}: model.encoder: encoder {encoder_name!r} returned a memory_mask of "
                              f"{mask.dtype} {tuple(mask.shape)}, expected bool {(size, steps)}")
        logits, attention = model(batch.sources, batch.source_lengths, batch.targets_in)
        expected = (size, batch.targets_in.size(1), model.decoder.vocab_size)
        if tuple(logits.shape) != expected:
            raise ConfigError(f"{origin}: model.decoder: logits of shape {tuple(logits.shape)}, expected {expected}")
    finally:
        model.train(was_training)
