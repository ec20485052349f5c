"""Config → the parts of a run: dataset, source pipeline, target field and model.

Every error here is raised before any training starts and names the config key it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from multis2s import options
from multis2s.config import ComponentSpec, Config
from multis2s.data.cache import cache_root
from multis2s.data.example import Dataset, Example
from multis2s.data.loader import Batch
from multis2s.data.pipeline import SourcePipeline
from multis2s.data.streams import StreamPipelines
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import PAD_ID, Vocabulary
from multis2s.errors import ConfigError, PluginError
from multis2s.model.encoder import EncoderOutput, StreamOutputs
from multis2s.model.multi_encoder import MultiEncoder
from multis2s.model.seq2seq import Seq2Seq
from multis2s.registry import Component, Registry


SUPPLIED_ARGUMENTS = ("vocab_size", "pad_id", "memory_dim", "state_dim", "input_dim", "input_channels",
                      "image_size", "cache_dir", "skip_bad", "modalities")
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


def _encoders(config: Config, registry: Registry, origin: str) -> dict[str, tuple[Component, ComponentSpec]]:
    """Stream name → (encoder component, its spec); a single encoder is the stream ``source``."""
    return {name: (_component(registry, "encoders", spec, origin), spec)
            for name, spec in config.model.streams().items()}


def build_dataset(config: Config, registry: Registry, origin: str) -> Dataset:
    """The dataset of ``data.dataset``, after checking it gives what every encoder reads.

    A dataset's modality may name several (``audio+video``): it then gives any of them, and its
    factory may declare ``modalities`` to learn which ones the encoders read.
    """
    spec = config.data.dataset
    component = _component(registry, "datasets", spec, origin)
    offered = set(component.modality.split("+"))
    modalities = []
    for encoder, _ in _encoders(config, registry, origin).values():
        if "any" not in offered and encoder.modality != "any" and encoder.modality not in offered:
            raise ConfigError(
                f"{origin}: data.dataset: {spec.type!r} gives {component.modality} sources but encoder "
                f"{encoder.name!r} reads {encoder.modality}"
            )
        modalities.append(encoder.modality)
    supplied = {"cache_dir": cache_root(), "skip_bad": config.data.skip_bad, "modalities": tuple(modalities)}
    return _build(component, spec, origin, supplied)


def _stream_pipeline(registry: Registry, modality: str, options: dict, where: str, origin: str) -> SourcePipeline:
    spec = ComponentSpec(modality, options, where)
    return _build(_component(registry, "modalities", spec, origin), spec, origin)


def build_pipeline(config: Config, registry: Registry, origin: str) -> SourcePipeline:
    """The source pipeline of the encoder's modality with the ``data.source`` options; with several
    encoders, one pipeline per stream (options ``data.source.<stream>``) side by side."""
    encoders = _encoders(config, registry, origin)
    if config.model.encoders is None:
        (encoder, _), = encoders.values()
        return _stream_pipeline(registry, encoder.modality, config.data.source, "data.source", origin)
    return StreamPipelines({
        name: _stream_pipeline(registry, encoder.modality, config.data.source.get(name, {}), f"data.source.{name}",
                               origin)
        for name, (encoder, _) in encoders.items()
    })


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


def _build_encoder(component: Component, spec: ComponentSpec, origin: str, inputs: dict[str, Any]) -> nn.Module:
    encoder = _build(component, spec, origin, inputs)
    for attribute in ("output_dim", "state_dim"):
        if not isinstance(getattr(encoder, attribute, None), int):
            raise ConfigError(f"{origin}: {spec.where}: encoder {spec.type!r} does not declare an "
                              f"integer {attribute}")
    return encoder


def build_model(config: Config, registry: Registry, origin: str, pipeline: SourcePipeline,
                target: TargetField) -> Seq2Seq:
    """The encoder(s) from their plugins, then the decoder sized to the encoders' declared outputs."""
    encoders = _encoders(config, registry, origin)
    if config.model.encoders is None:
        (component, spec), = encoders.values()
        encoder = _build_encoder(component, spec, origin, pipeline.encoder_inputs())
    else:
        built = {name: _build_encoder(component, spec, origin, pipeline.pipelines[name].encoder_inputs())
                 for name, (component, spec) in encoders.items()}
        encoder = MultiEncoder(encoders=built, stream_dropout=config.model.stream_dropout)
    decoder_spec = config.model.decoder
    supplied = {"vocab_size": len(target.vocabulary), "pad_id": PAD_ID,
                "memory_dim": encoder.output_dim, "state_dim": encoder.state_dim}
    decoder = _build(_component(registry, "decoders", decoder_spec, origin), decoder_spec, origin, supplied)
    return Seq2Seq(encoder=encoder, decoder=decoder)


def _check_stream(encoded: EncoderOutput, output_dim: int, size: int, origin: str, where: str, name: str) -> None:
    memory, mask = encoded.memory, encoded.memory_mask
    steps = memory.size(1) if memory.dim() == 3 else -1
    if memory.dim() != 3 or memory.size(0) != size or memory.size(2) != output_dim:
        raise ConfigError(f"{origin}: {where}: encoder {name!r} declares output_dim="
                          f"{output_dim} but returned memory of shape {tuple(memory.shape)}")
    if mask.dtype != torch.bool or tuple(mask.shape) != (size, steps):
        raise ConfigError(f"{origin}: {where}: encoder {name!r} returned a memory_mask of "
                          f"{mask.dtype} {tuple(mask.shape)}, expected bool {(size, steps)}")


@torch.no_grad()
def check_shapes(model: Seq2Seq, batch: Batch, config: Config, origin: str) -> None:
    """Run one real batch through the model and check every shape against the contracts."""
    was_training = model.training
    model.eval()
    try:
        encoded = model.encode(batch.sources, batch.source_lengths)
        size = batch.targets.size(0)
        specs = config.model.streams()
        if isinstance(encoded, StreamOutputs):
            for (name, spec), stream, output_dim in zip(specs.items(), encoded.streams, model.encoder.output_dim):
                _check_stream(stream, output_dim, size, origin, spec.where, spec.type)
        else:
            (spec,) = specs.values()
            _check_stream(encoded, model.encoder.output_dim, size, origin, spec.where, spec.type)
        logits, attention = model(batch.sources, batch.source_lengths, batch.targets_in)
        expected = (size, batch.targets_in.size(1), model.decoder.vocab_size)
        if tuple(logits.shape) != expected:
            raise ConfigError(f"{origin}: model.decoder: logits of shape {tuple(logits.shape)}, expected {expected}")
    finally:
        model.train(was_training)
