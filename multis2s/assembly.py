"""Config → the resolved config and the parts of a run: dataset, source streams, target field, model.

:func:`resolve` completes every component's options (defaults filled in, relative paths made
absolute, nested components named) against the registry and builds each stream's source pipeline;
the ``build_*`` functions make the parts from the resolved config. Every error here is raised
before any training starts and names the config key it is about.

:func:`build_model` first builds the model on PyTorch's ``meta`` device (nothing is allocated) to
count its parameters: a model whose training copies could not fit in this machine's memory, or
whose sizes overflow, is a config error naming its largest part instead of an allocation that
fails after minutes or takes the machine down.
"""

from __future__ import annotations

import dataclasses
import os
import random
from dataclasses import dataclass
from typing import Any, Callable, Collection

import torch
from torch import nn

from multis2s import options
from multis2s.config import ComponentSpec, Config
from multis2s.data.cache import cache_root
from multis2s.data.example import Dataset
from multis2s.data.loader import Batch
from multis2s.data.streams import SourceStreams
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import PAD_ID, Vocabulary
from multis2s.errors import ConfigError, PluginError
from multis2s.model.ctc import CTCHead
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.streams import StreamEncoders
from multis2s.options import cut
from multis2s.registry import Component, Registry
from multis2s.search.hypothesis import Search

DATASET_INPUTS = ("cache_dir", "skip_bad", "streams")
"""What the core supplies to dataset factories (``register_datasets``)."""
DECODER_INPUTS = ("vocab_size", "pad_id", "memory_dims", "state_dim")
"""What the core supplies to decoder factories (``register_decoders``)."""
TRAINING_COPIES = 4
"""Float copies of every parameter while training with Adam: weights, gradients, two moments."""
TOO_LARGE = ("overflow", "can't allocate memory", "not enough memory", "out of memory")
"""What PyTorch's errors say when a part's sizes overflow or its memory cannot be allocated."""


@dataclass
class Parts:
    """Everything a run is made of besides its training state."""

    config: Config
    registry: Registry
    streams: SourceStreams
    target: TargetField
    model: Seq2Seq


def component(registry: Registry, kind: str, spec: ComponentSpec, origin: str) -> Component:
    """The registered component a spec's ``type`` names; an unknown name is a ConfigError at that key."""
    try:
        return registry.get(kind, spec.type)
    except PluginError as exc:
        raise ConfigError(f"{origin}: {spec.where}.type: {exc}") from None


def _resolve(registry: Registry, factory: Any, spec: ComponentSpec, origin: str,
             supplied: Collection[str] = ()) -> options.Resolved:
    return options.resolve(factory, spec.options, where=f"{origin}: {spec.where}", supplied=supplied,
                           registry=registry, base=spec.base)


def _build(registry: Registry, kind: str, spec: ComponentSpec, origin: str, supplied: dict[str, Any]) -> Any:
    """The ``kind`` component a spec names, built from its options and the ``supplied`` arguments."""
    factory = component(registry, kind, spec, origin).factory
    return options.build(factory, spec.options, where=f"{origin}: {spec.where}", supplied=supplied, registry=registry,
                         base=spec.base)


def _complete(registry: Registry, kind: str, spec: ComponentSpec, origin: str,
              supplied: Collection[str] = ()) -> ComponentSpec:
    """The spec with the complete options of the ``kind`` component it names."""
    factory = component(registry, kind, spec, origin).factory
    return spec.with_options(_resolve(registry, factory, spec, origin, supplied).plain)


def stream_modalities(config: Config, registry: Registry, origin: str) -> dict[str, str]:
    """Stream name → the modality its encoder reads."""
    encoders = config.model.encoders
    return {name: component(registry, "encoders", spec, origin).modality for name, spec in encoders.items()}


def _check_dataset(config: Config, dataset: Component, modalities: dict[str, str], origin: str) -> None:
    """The dataset gives what every encoder reads (a dataset may give several: ``audio+video``)."""
    offered = set(dataset.modality.split("+"))
    for name, spec in config.model.encoders.items():
        modality = modalities[name]
        if "any" not in offered and modality != "any" and modality not in offered:
            raise ConfigError(f"{origin}: data.dataset: {dataset.name!r} gives {dataset.modality} sources but "
                              f"encoder {spec.type!r} reads {modality}")


def _pipelines(config: Config, registry: Registry, origin: str, modalities: dict[str, str]
               ) -> tuple[dict[str, ComponentSpec], SourceStreams]:
    """Each stream's complete ``data.source`` options and its (unfitted) source pipeline."""
    specs, pipelines = {}, {}
    for name, spec in config.data.source.items():
        complete = _complete(registry, "modalities", dataclasses.replace(spec, type=modalities[name]), origin)
        specs[name] = spec.with_options(complete.options)
        pipelines[name] = _build(registry, "modalities", complete, origin, {})
    return specs, SourceStreams(pipelines)


def resolve(config: Config, registry: Registry, origin: str) -> tuple[Config, SourceStreams]:
    """The config with every component's options complete, and the streams' source pipelines.

    Resolving a resolved config changes nothing, so a run folder's saved config rebuilds its run.
    """
    modalities = stream_modalities(config, registry, origin)
    data, model, settings = config.data, config.model, config.eval
    _check_dataset(config, component(registry, "datasets", data.dataset, origin), modalities, origin)
    copied = model.copied_stream
    if copied is not None and modalities[copied] != "text":
        raise ConfigError(f"{origin}: model.copy: stream {copied!r} reads {modalities[copied]}; copying needs a "
                          "stream of text tokens (set model.copy_stream)")
    sources, streams = _pipelines(config, registry, origin, modalities)
    encoders = {name: _complete(registry, "encoders", spec, origin, streams.pipelines[name].encoder_inputs())
                for name, spec in model.encoders.items()}
    tokenizer = _complete(registry, "tokenizers", data.target.tokenizer, origin)
    target = dataclasses.replace(data.target, tokenizer=tokenizer)
    resolved = dataclasses.replace(
        config,
        data=dataclasses.replace(data, source=sources, target=target,
                                 dataset=_complete(registry, "datasets", data.dataset, origin, DATASET_INPUTS)),
        model=dataclasses.replace(model, encoders=encoders,
                                  decoder=_complete(registry, "decoders", model.decoder, origin, DECODER_INPUTS)),
        eval=dataclasses.replace(settings, search=_complete(registry, "searches", settings.search, origin)),
    )
    build_search(resolved, registry, origin)  # its own checks (n_best <= beam) before training, not after
    return resolved, streams


def build_dataset(config: Config, registry: Registry, origin: str) -> Dataset:
    """The dataset of ``data.dataset``, given the core's supplied arguments."""
    spec = config.data.dataset
    supplied = {"cache_dir": cache_root(), "skip_bad": config.data.skip_bad,
                "streams": stream_modalities(config, registry, origin)}
    return _build(registry, "datasets", spec, origin, supplied)


def build_target(config: Config, registry: Registry, origin: str,
                 streams: SourceStreams | None = None) -> TargetField:
    """The target field with an empty vocabulary (fit it on the training targets, or load its state).

    A tokenizer with ``bind`` (``shared``: the targets use a source stream's tokenizer) is given the
    source ``streams`` here, before anything is fitted; without them it is a ConfigError.
    """
    spec = config.data.target.tokenizer
    tokenizer = _build(registry, "tokenizers", spec, origin, {})
    bind = getattr(tokenizer, "bind", None)
    if callable(bind):
        if streams is None:
            raise ConfigError(f"{origin}: {spec.where}: tokenizer {spec.type!r} uses a source stream's tokenizer, "
                              "but this command builds the target field without the source streams")
        try:
            bind(streams)
        except ValueError as exc:
            raise ConfigError(f"{origin}: {spec.where}.{exc}") from None
    return TargetField(tokenizer, Vocabulary([]), normalise=config.data.target.normalise,
                       copy_stream=config.model.copied_stream)


def build_search(config: Config, registry: Registry, origin: str, spec: ComponentSpec | None = None) -> Search:
    """The search method of ``eval.search`` (or of ``spec``)."""
    spec = spec or config.eval.search
    return _build(registry, "searches", spec, origin, {})


def _encoder(registry: Registry, spec: ComponentSpec, origin: str, inputs: dict[str, Any]) -> nn.Module:
    encoder = _build(registry, "encoders", spec, origin, inputs)
    for attribute in ("output_dim", "state_dim"):
        if not isinstance(getattr(encoder, attribute, None), int):
            raise ConfigError(f"{origin}: {spec.where}: encoder {spec.type!r} does not declare an "
                              f"integer {attribute}")
    return encoder


def _part(spec: ComponentSpec, kind: str, origin: str, make: Callable[[], nn.Module]) -> nn.Module:
    """``make()``; sizes that overflow or memory that cannot be allocated is a ConfigError naming the part."""
    try:
        return make()
    except (RuntimeError, TypeError, OverflowError, MemoryError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, MemoryError) and not any(sign in text.lower() for sign in TOO_LARGE):
            raise
        raise ConfigError(f"{origin}: {spec.where}: {kind} {spec.type!r} is too large to build "
                          f"({cut(text, 120)})") from None


def _parts(config: Config, registry: Registry, origin: str, streams: SourceStreams, target: TargetField
           ) -> tuple[StreamEncoders, nn.Module]:
    """Each stream's encoder from its plugin, then the decoder sized to the encoders' declared outputs."""
    built = {name: _part(spec, "encoder", origin,
                         lambda spec=spec, name=name: _encoder(registry, spec, origin,
                                                               streams.pipelines[name].encoder_inputs()))
             for name, spec in config.model.encoders.items()}
    try:
        encoder = StreamEncoders(encoders=built, stream_dropout=config.model.stream_dropout)
    except ValueError as exc:
        raise ConfigError(f"{origin}: model: {exc}") from None
    spec = config.model.decoder
    supplied = {"vocab_size": len(target.vocabulary), "pad_id": PAD_ID, "memory_dims": encoder.output_dims,
                "state_dim": encoder.state_dim}
    decoder = _part(spec, "decoder", origin, lambda: _build(registry, "decoders", spec, origin, supplied))
    if config.model.copy:
        try:
            decoder.attach_copy(config.model.copied_stream)
        except ValueError as exc:
            raise ConfigError(f"{origin}: model.copy: {exc}") from None
    return encoder, decoder


def _memory_bytes() -> int | None:
    """This machine's physical memory, or None where it cannot be told."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _check_size(config: Config, registry: Registry, origin: str, streams: SourceStreams, target: TargetField,
                copies: int) -> None:
    """Build the model on the meta device and refuse one whose ``copies`` (weights, gradients, optimizer
    state when training; the weights alone otherwise) exceed the machine's memory.

    A part that cannot be built on the meta device (e.g. it reads a tensor's values) skips the check:
    the real build then reports what goes wrong.
    """
    memory = _memory_bytes()
    torch_state, python_state = torch.get_rng_state(), random.getstate()
    try:
        with torch.device("meta"):
            encoder, decoder = _parts(config, registry, origin, streams, target)
    except ConfigError:
        raise
    except Exception:  # a plugin that does not run on the meta device
        return
    finally:
        torch.set_rng_state(torch_state)
        random.setstate(python_state)
    parts = {spec.where: ("encoder", spec.type, encoder.encoders[name])
             for name, spec in config.model.encoders.items()}
    parts[config.model.decoder.where] = ("decoder", config.model.decoder.type, decoder)
    sizes = {where: sum(p.numel() * p.element_size() for p in module.parameters())
             for where, (_, _, module) in parts.items()}
    if memory is None or copies * sum(sizes.values()) <= memory:
        return
    where = max(sizes, key=sizes.__getitem__)
    kind, name, module = parts[where]
    count = sum(p.numel() for p in module.parameters())
    raise ConfigError(f"{origin}: {where}: {kind} {name!r} has {count:.3g} parameters ({sizes[where] / 1e9:.3g} GB); "
                      f"{'training ' if copies > 1 else ''}the model needs about "
                      f"{copies * sum(sizes.values()) / 1e9:.3g} GB, "
                      f"more than this machine's {memory / 1e9:.3g} GB of memory")


def build_model(config: Config, registry: Registry, origin: str, streams: SourceStreams,
                target: TargetField, *, training: bool = True) -> Seq2Seq:
    """Each stream's encoder from its plugin, then the decoder sized to the encoders' declared outputs
    (after checking on the meta device that the model fits in memory: to train it, or only to run it)."""
    _check_size(config, registry, origin, streams, target, TRAINING_COPIES if training else 1)
    encoder, decoder = _parts(config, registry, origin, streams, target)
    stream_losses = config.model.stream_loss_weight > 0
    if not config.model.ctc_weight:
        return Seq2Seq(encoder=encoder, decoder=decoder, stream_losses=stream_losses)
    stream = config.model.ctc_stream or next(iter(config.model.encoders))
    head = CTCHead(memory_dim=encoder.output_dims[stream], vocab_size=len(target.vocabulary))
    return Seq2Seq(encoder=encoder, decoder=decoder, ctc=head, ctc_stream=stream, stream_losses=stream_losses)


@torch.no_grad()
def check_shapes(model: Seq2Seq, batch: Batch, config: Config, origin: str) -> None:
    """Run one real batch through the model and check every shape against the contracts."""
    was_training = model.training
    model.eval()
    try:
        streams = model.encode(batch.sources, batch.source_lengths)
        size = batch.targets.size(0)
        for name, spec in config.model.encoders.items():
            output, dim = streams.outputs[name], model.encoder.output_dims[name]
            memory, mask = output.memory, output.memory_mask
            steps = memory.size(1) if memory.dim() == 3 else -1
            if memory.dim() != 3 or memory.size(0) != size or memory.size(2) != dim:
                raise ConfigError(f"{origin}: {spec.where}: encoder {spec.type!r} declares output_dim={dim} "
                                  f"but returned memory of shape {tuple(memory.shape)}")
            if mask.dtype != torch.bool or tuple(mask.shape) != (size, steps):
                raise ConfigError(f"{origin}: {spec.where}: encoder {spec.type!r} returned a memory_mask of "
                                  f"{mask.dtype} {tuple(mask.shape)}, expected bool {(size, steps)}")
            state, state_dim = output.final_state, int(model.encoder.encoders[name].state_dim)
            if state is not None and (state_dim == 0 or tuple(state.shape) != (size, state_dim)):
                raise ConfigError(f"{origin}: {spec.where}: encoder {spec.type!r} declares state_dim={state_dim} "
                                  f"but returned a final_state of shape {tuple(state.shape)}")
        log_probs = model(batch.sources, batch.source_lengths, batch.targets_in).log_probs
        extended = max((len(oovs) for oovs in batch.oovs), default=0)  # the copy model's source OOVs
        expected = (size, batch.targets_in.size(1), model.decoder.vocab_size + extended)
        if tuple(log_probs.shape) != expected:
            raise ConfigError(f"{origin}: model.decoder: output of shape {tuple(log_probs.shape)}, "
                              f"expected {expected}")
    finally:
        model.train(was_training)


def supplied_names(registry: Registry, item: Component) -> tuple[str, ...]:
    """The arguments of a component's factory that are not config keys, for ``multis2s plugins``.

    Encoders get what their modality's pipeline reports (from one built with its defaults); a
    nested kind (e.g. attentions) gets what the components that take it declare they supply.
    """
    if item.kind == "datasets":
        return DATASET_INPUTS
    if item.kind == "decoders":
        return DECODER_INPUTS
    if item.kind == "encoders":
        try:
            return tuple(registry.get("modalities", item.modality).factory().encoder_inputs())
        except Exception:  # no pipeline for the modality, or one that needs options: list every argument
            return ()
    names: set[str] = set()
    for other in registry.components():
        for param in options.options_of(other.factory).values():
            marker = options.nested_marker(param.annotation)
            if marker is not None and marker.kind == item.kind:
                names.update(marker.supplied)
    return tuple(sorted(names))
