"""The decoder base class: what every decoder shares, and the interface search and training rely on.

The base owns the target embedding, the output layer (hidden vectors → log-probabilities, see
:mod:`multis2s.model.output`), the optional copy mechanism mixed in there
(:mod:`multis2s.model.copy`), weight tying and scheduled sampling. The loss and every search read
log-probabilities from :meth:`Decoder.log_probs` only. A decoder implements:

- :meth:`Decoder.prepare`: the encoder streams → :class:`~multis2s.model.streams.Memories`, with
  every projection of the memory computed once per batch;
- :meth:`Decoder.initial_state`: the state before the first target step;
- :meth:`Decoder.teacher_forced`: a whole reference target at once (a decoder may compute all
  steps in one call when its configuration allows);
- :meth:`Decoder.step`: one step for a batch of previous tokens.

Both return hidden vectors and the attention of every stream. Every tensor in a decoder state has
the batch first, so a search reorders any decoder's state with
:func:`~multis2s.model.encoder.map_tensors`. Decoders keep no state between calls.

A decoder sets ``value_dims`` (stream → the size of its ``Memory.values``) so that the copy
mechanism can read the context of a stream.

Shapes: B batch, T target steps, S_i source steps of stream i, E embedding, H hidden, V vocabulary,
V' the extended vocabulary with copying (V + the batch's source words outside the vocabulary).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from multis2s.data.vocabulary import UNK_ID
from multis2s.model.copy import PointerGenerator
from multis2s.model.output import OutputLayer
from multis2s.model.streams import Memories, Streams

Attention = dict[str, torch.Tensor]
"""Attention weights per stream name: (B, T, S_i) for a whole target, (B, S_i) for one step."""


def mix_predictions(gold: torch.Tensor, predicted: torch.Tensor, teacher_forcing: float) -> torch.Tensor:
    """Each row's next input: the gold token with probability ``teacher_forcing``, else the prediction.

    gold, predicted: (B,) token ids → (B,).
    """
    keep = torch.rand(gold.shape, device=gold.device) < teacher_forcing
    return torch.where(keep, gold, predicted)


class Decoder(nn.Module):
    """Base class of decoders: target embedding, output layer, weight tying, scheduled sampling."""

    def __init__(self, *, vocab_size: int, pad_id: int, embedding_dim: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.value_dims: dict[str, int] = {}
        self.copy: PointerGenerator | None = None

    def attach_output(self, *, hidden_dim: int, tie_embeddings: bool) -> None:
        """Add the output layer over hidden vectors of ``hidden_dim``; with ``tie_embeddings`` its
        weight is the target embedding's (which then needs the same size)."""
        if tie_embeddings and self.embedding.embedding_dim != hidden_dim:
            raise ValueError(f"tie_embeddings needs embedding_dim ({self.embedding.embedding_dim}) == "
                             f"hidden_dim ({hidden_dim})")
        self.output = OutputLayer(hidden_dim=hidden_dim, vocab_size=self.vocab_size)
        if tie_embeddings:
            self.output.project.weight = self.embedding.weight

    def attach_copy(self, stream: str) -> None:
        """Add the copy mechanism over the attention of ``stream`` (after :meth:`attach_output`)."""
        if stream not in self.value_dims:
            raise ValueError(f"decoder {type(self).__name__} does not say the memory size of stream {stream!r} "
                             "(value_dims), which copying needs")
        self.copy = PointerGenerator(stream=stream, hidden_dim=self.output.project.in_features,
                                     embedding_dim=self.embedding.embedding_dim, context_dim=self.value_dims[stream])

    def inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (…) as decoder inputs: with copying, an extended id (a copied source word) is UNK."""
        return tokens if self.copy is None else tokens.masked_fill(tokens >= self.vocab_size, UNK_ID)

    def log_probs(self, hidden: torch.Tensor, tokens: torch.Tensor, attention: Attention, memory: Memories
                  ) -> torch.Tensor:
        """hidden (B, [T,] H) of the steps whose inputs were ``tokens`` (B, [T]), their attention per
        stream (B, [T,] S_i) → float32 log-probabilities (B, [T,] V), or (B, [T,] V') with copying."""
        log_vocab = self.output(hidden)
        if self.copy is None:
            return log_vocab
        return self.copy(log_vocab, hidden, self.embedding(self.inputs(tokens)), attention, memory)

    def prepare(self, streams: Streams) -> Memories:
        """The memories as this decoder reads them (projections computed once)."""
        raise NotImplementedError

    def initial_state(self, streams: Streams) -> Any:
        """The state before the first target step (from the streams' final state where it is used)."""
        raise NotImplementedError

    def teacher_forced(self, targets_in: torch.Tensor, memory: Memories, state: Any
                       ) -> tuple[torch.Tensor, Attention]:
        """targets_in (B, T) starting with BOS, every step fed the reference → hidden (B, T, H), attention."""
        raise NotImplementedError

    def step(self, tokens: torch.Tensor, memory: Memories, state: Any) -> tuple[torch.Tensor, Attention, Any]:
        """tokens (B,) → hidden (B, H), attention per stream (B, S_i), the next state."""
        raise NotImplementedError

    def forward(self, targets_in: torch.Tensor, memory: Memories, state: Any, teacher_forcing: float = 1.0
                ) -> tuple[torch.Tensor, Attention]:
        """targets_in (B, T) starting with BOS → hidden (B, T, H), attention per stream (B, T, S_i).

        ``teacher_forcing`` below 1 is scheduled sampling (Bengio et al., 2015), the same for every
        decoder: step by step, each row's input is the reference token with that probability, else
        the model's own most probable token at the previous step (copies included).
        """
        targets_in = self.inputs(targets_in)
        if teacher_forcing >= 1.0:
            return self.teacher_forced(targets_in, memory, state)
        hiddens, weights = [], []
        tokens = targets_in[:, 0]
        for t in range(targets_in.size(1)):
            if t > 0:
                with torch.no_grad():
                    predicted = self.inputs(self.log_probs(hiddens[-1], tokens, weights[-1], memory).argmax(dim=-1))
                tokens = mix_predictions(targets_in[:, t], predicted, teacher_forcing)
            hidden, attention, state = self.step(tokens, memory, state)
            hiddens.append(hidden)
            weights.append(attention)
        return torch.stack(hiddens, dim=1), {name: torch.stack([w[name] for w in weights], dim=1)
                                             for name in weights[0]}
