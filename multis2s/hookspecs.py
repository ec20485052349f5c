"""Hook specifications: the only way plugins add components to multis2s.

Every hook receives a ``register`` callback and returns nothing. A plugin module implements any
subset of these hooks (decorated with :data:`multis2s.hookimpl`) and is found through the
``multis2s`` entry-point group, or named in a config's ``plugins:`` list.

``register(name, factory, *, modality, help)``:

- ``name``: the value users write in a config's ``type:`` key (or in ``eval.metrics``).
- ``factory``: a class or function taking keyword-only, type-annotated arguments. The user's
  options from the config are checked against its signature (unknown keys, missing required
  values and wrong types are config errors; a ``pathlib.Path`` option relative in a config is
  relative to the config file's folder). Arguments that the core supplies (listed per hook
  below) are filled in and are not config keys. An option annotated
  ``Annotated[..., multis2s.options.Nested("<kind>")]`` names another registered component.
- ``modality``: the kind of source the component handles, any lower-case name (the built-ins use
  ``"text"``, ``"audio"``, ``"image"``, ``"video"``; a new modality needs no core change), or
  ``"any"``. A dataset that gives several kinds of source joins them with ``+``
  (``"audio+video"``).
- ``help``: one line, shown by ``multis2s plugins``.

All hooks are called once, when the registry is first built (by the CLI or a run), never at
import time.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("multis2s")


@hookspec
def register_encoders(register):
    """Register encoders.

    Called once per registry build. The factory builds an ``nn.Module`` whose
    ``forward(inputs, lengths)`` returns :class:`multis2s.model.encoder.EncoderOutput` and which
    has the attributes ``output_dim`` (D of the memory) and ``state_dim`` (size of
    ``final_state``, 0 when it has none). The core supplies, when the factory declares them, the
    values that the stream's source pipeline reports in ``encoder_inputs()`` (the built-in
    pipelines: text ``vocab_size``, ``pad_id``; audio ``input_dim``; image ``input_channels``,
    ``image_size``; video ``input_channels``). Each stream's encoder gets its own pipeline's.
    """


@hookspec
def register_decoders(register):
    """Register decoders.

    Called once per registry build. The factory builds a
    :class:`multis2s.model.decoder.Decoder`. The core supplies ``vocab_size``, ``pad_id``,
    ``memory_dims`` (stream name → that encoder's ``output_dim``, in config order) and
    ``state_dim`` (the sum of the encoders' ``state_dim``). ``prepare`` receives a
    :class:`multis2s.model.streams.Streams`, with one entry for a one-encoder model.
    """


@hookspec
def register_attentions(register):
    """Register attention kinds (what ``model.decoder.attention`` names for the RNN decoder).

    Called once per registry build. The factory builds a
    :class:`multis2s.model.attention.Attention`; the decoder calls it once per stream and supplies
    ``query_dim`` (its hidden size) and ``memory_dim`` (the stream's memory size). Its other
    options are written beside ``type`` (``attention: {type: location, dim: 128}``).
    """


@hookspec
def register_searches(register):
    """Register search methods (what ``eval.search`` names).

    Called once per registry build. The factory builds a callable
    ``search(model, sources, lengths, *, max_length) -> list[list[Hypothesis]]``
    (:class:`multis2s.search.hypothesis.Search`): every batch item's hypotheses, best first, each
    with its attention per stream. Its options are written beside ``type``
    (``search: {type: beam, beam: 4}``).
    """


@hookspec
def register_modalities(register):
    """Register source pipelines, one per modality name.

    Called once per registry build. The factory builds a
    :class:`multis2s.data.pipeline.SourcePipeline`: it reads one source item (a string or a
    path), turns it into a tensor, augments it in training only and collates a padded batch.
    Its options are the keys of the config's ``data.source`` section of the stream.
    """


@hookspec
def register_datasets(register):
    """Register data sources.

    Called once per registry build. The factory builds a
    :class:`multis2s.data.example.Dataset`, whose ``split(name)`` returns a list of
    :class:`multis2s.data.example.Example`. Its options are the keys of ``data.dataset``
    besides ``type``. The core supplies ``cache_dir`` (a ``pathlib.Path``), ``skip_bad``
    (``data.skip_bad``: skip and count bad items instead of stopping) and ``streams`` (stream name
    → the modality its encoder reads, in config order) when declared. An example's ``source`` is
    one item for a one-stream model, or a mapping stream name → item (a stream missing from the
    mapping is absent from that example).
    """


@hookspec
def register_tokenizers(register):
    """Register target (and text source) tokenizers.

    Called once per registry build. The factory, called with the tokenizer's options (its
    keyword-only arguments, ``data.target.tokenizer`` or ``data.source.tokenizer``), builds an
    object with ``tokenize(text) -> list[str]`` and ``detokenize(tokens) -> str``
    (:class:`multis2s.data.target.Tokenizer`).

    A tokenizer that learns from the training text (subword units) also has ``fit(texts)``,
    ``state() -> dict`` and ``load_state(state)``, all three: the target field (and the text source
    pipeline) calls ``fit`` once when a run starts, on the training split's texts of its side and
    before its vocabulary is built; ``state()`` is plain data (lists, numbers, strings, bytes)
    saved in the checkpoint, which ``load_state`` restores for ``predict`` and ``--resume``. ``fit``
    raises ValueError whose one-line message starts with the option it is about (``vocab_size:
    …``). Optional ``bind(streams)``: a target tokenizer that uses a source stream's tokenizer is
    given the :class:`multis2s.data.streams.SourceStreams` before anything is fitted.
    """


@hookspec
def register_metrics(register):
    """Register evaluation metrics.

    Called once per registry build. The factory, called with no arguments, builds a
    :class:`multis2s.metrics.Metric`: ``score(hypotheses, references) -> float`` and
    ``higher_is_better``. Built-in metrics are percentages; a metric with its own scale (e.g.
    CIDEr-D, 0–10) says so in its help line.
    """
