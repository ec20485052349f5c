"""Hook specifications: the only way plugins add components to multis2s.

Every hook receives a ``register`` callback and returns nothing. A plugin module implements any
subset of these hooks (decorated with :data:`multis2s.hookimpl`) and is found through the
``multis2s`` entry-point group, or named in a config's ``plugins:`` list.

``register(name, factory, *, modality, help)``:

- ``name``: the value users write in a config's ``type:`` key (or in ``eval.metrics``).
- ``factory``: a class or function taking keyword-only, type-annotated arguments. The user's
  options from the config are checked against its signature (unknown keys, missing required
  values and wrong types are config errors). Arguments whose names the core supplies (listed per
  hook below) are filled in by the core and are not config keys.
- ``modality``: the kind of source the component handles, any lower-case name (the built-ins use
  ``"text"``, ``"audio"``, ``"image"``, ``"video"``; a new modality needs no core change), or
  ``"any"``. A dataset that gives several kinds of source joins them with ``+``
  (``"audio+video"``).
- ``help``: one line, shown by ``multis2s plugins``.

All hooks are called once, when the registry is first built (by the CLI or the model builder),
never at import time.
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
    ``final_state``, 0 when it has none). The core supplies the arguments that the source
    pipeline of the encoder's modality offers (text: ``vocab_size``, ``pad_id``; audio:
    ``input_dim``; image: ``input_channels``, ``image_size``; video: ``input_channels``), when the
    factory declares them. With ``model.encoders`` each stream's encoder gets its own pipeline's.
    """


@hookspec
def register_decoders(register):
    """Register decoders.

    Called once per registry build. The factory builds a decoder with the interface of
    :class:`multis2s.model.decoder.Decoder`. The core supplies ``vocab_size``, ``pad_id``,
    ``memory_dim`` and ``state_dim`` (of the encoder). With several encoders ``memory_dim`` is the
    tuple of the streams' sizes, ``state_dim`` the sum of theirs, and ``prepare`` receives a
    :class:`multis2s.model.encoder.StreamOutputs`; a decoder that takes one memory only may reject
    a tuple with a ``ValueError``.
    """


@hookspec
def register_modalities(register):
    """Register source pipelines, one per modality name.

    Called once per registry build. The factory builds a
    :class:`multis2s.data.pipeline.SourcePipeline`: it reads one source item (a string or a
    path), turns it into a tensor, augments it in training only and collates a padded batch.
    Its options are the keys of the config's ``data.source`` section.
    """


@hookspec
def register_datasets(register):
    """Register data sources.

    Called once per registry build. The factory builds a
    :class:`multis2s.data.dataset.Dataset`, whose ``split(name)`` returns a list of
    :class:`multis2s.data.example.Example`. Its options are the keys of ``data.dataset``
    besides ``type``. The core supplies ``cache_dir`` (a ``pathlib.Path``), ``skip_bad``
    (``data.skip_bad``: skip and count bad items instead of stopping) and ``modalities`` (the
    tuple of modalities the config's encoders read, for a dataset that gives several) when
    declared. For several modalities an example's ``source`` is a mapping ``modality → item``.
    """


@hookspec
def register_tokenizers(register):
    """Register target (and text source) tokenizers.

    Called once per registry build. The factory builds an object with
    ``tokenize(text) -> list[str]`` and ``detokenize(tokens) -> str``.
    """


@hookspec
def register_metrics(register):
    """Register evaluation metrics.

    Called once per registry build. The factory, called with no arguments, builds a
    :class:`multis2s.metrics.Metric`: ``score(hypotheses, references) -> float`` and
    ``higher_is_better``. Built-in metrics are percentages; a metric with its own scale (e.g.
    CIDEr-D, 0–10) says so in its help line.
    """
