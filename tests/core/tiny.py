"""Tiny encoders and models for the core's tests (no modality plugin involved).

Shapes: B batch, S source tokens, E embedding, H hidden per direction.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from multis2s.data.vocabulary import BOS_ID
from multis2s.model.encoder import EncoderOutput
from multis2s.model.masks import lengths_to_mask
from multis2s.model.rnn_decoder import RNNDecoder
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.streams import StreamEncoders
from multis2s.model.transformer_decoder import TransformerDecoder
from multis2s.model.transformer_encoder import TransformerEncoderStack
from multis2s.options import BoundFactory
from multis2s.plugins import load_registry

VOCAB = 11
ATTENTION_OPTIONS = {"none": {}, "dot": {}, "general": {}, "additive": {"dim": 8}, "location": {"dim": 8},
                     "multihead": {"heads": 2}}


class RecurrentEncoder(nn.Module):
    """Token ids → a packed bidirectional GRU: memory (B, S, 2H), final state (B, 2H)."""

    def __init__(self, *, hidden_dim: int = 3) -> None:
        super().__init__()
        self.output_dim = self.state_dim = 2 * hidden_dim
        self.embedding = nn.Embedding(VOCAB, 5, padding_idx=0)
        self.rnn = nn.GRU(5, hidden_dim, batch_first=True, bidirectional=True)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        packed = pack_padded_sequence(self.embedding(inputs), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, hidden = self.rnn(packed)
        memory, _ = pad_packed_sequence(outputs, batch_first=True, total_length=inputs.size(1))  # (B, S, 2H)
        final = hidden.transpose(0, 1).reshape(inputs.size(0), -1)  # (B, 2H)
        return EncoderOutput(memory, lengths_to_mask(lengths, inputs.size(1)), final)


class AttentionEncoder(nn.Module):
    """Token ids → the core's Transformer encoder stack; no final state."""

    def __init__(self, *, model_dim: int = 12) -> None:
        super().__init__()
        self.output_dim, self.state_dim = model_dim, 0
        self.embedding = nn.Embedding(VOCAB, model_dim, padding_idx=0)
        self.stack = TransformerEncoderStack(model_dim=model_dim, heads=2, layers=2, ff_dim=16, dropout=0.0)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        mask = lengths_to_mask(lengths, inputs.size(1))
        return EncoderOutput(self.stack(self.embedding(inputs), mask), mask, None)


ENCODERS = {"rnn": RecurrentEncoder, "transformer": AttentionEncoder}


def attention(kind: str) -> BoundFactory:
    """The registered attention ``kind`` with small test options."""
    return BoundFactory(load_registry().get("attentions", kind).factory, ATTENTION_OPTIONS[kind])


def decoder(kind: str, memory_dims: dict[str, int], state_dim: int, **options):
    common = dict(vocab_size=VOCAB, pad_id=0, memory_dims=memory_dims, state_dim=state_dim)
    if kind == "transformer":
        return TransformerDecoder(**common, model_dim=12, heads=2, layers=2, ff_dim=16, dropout=0.0, **options)
    options.setdefault("attention", attention("additive"))
    if isinstance(options["attention"], str):
        options["attention"] = attention(options["attention"])
    return RNNDecoder(**common, embedding_dim=8, hidden_dim=options.pop("hidden_dim", 12), dropout=0.0, **options)


def model(enc_kind: str = "rnn", dec_kind: str = "rnn", *, streams: tuple[str, ...] = ("source",),
          stream_dropout: float = 0.0, **options) -> Seq2Seq:
    """A seeded model in eval mode; several stream names alternate the two tiny encoders."""
    torch.manual_seed(0)
    kinds = [enc_kind] if len(streams) == 1 else ["rnn", "transformer"]
    encoders = StreamEncoders(encoders={name: ENCODERS[kinds[i % len(kinds)]]() for i, name in enumerate(streams)},
                              stream_dropout=stream_dropout)
    net = Seq2Seq(encoder=encoders, decoder=decoder(dec_kind, encoders.output_dims, encoders.state_dim, **options))
    return net.eval()


def batch():
    """Two sources, the second padded; targets start with BOS."""
    sources = {"source": torch.tensor([[4, 5, 6, 7, 8], [9, 4, 5, 0, 0]])}
    lengths = {"source": torch.tensor([5, 3])}
    targets_in = torch.tensor([[BOS_ID, 5, 6, 7], [BOS_ID, 8, 9, 10]])
    return sources, lengths, targets_in


def two_stream_batch():
    """Stream 'first': lengths 5 and 3; stream 'second': lengths 2 and 4."""
    sources = {"first": torch.tensor([[4, 5, 6, 7, 8], [9, 4, 5, 0, 0]]),
               "second": torch.tensor([[6, 7, 0, 0], [8, 9, 10, 4]])}
    lengths = {"first": torch.tensor([5, 3]), "second": torch.tensor([2, 4])}
    targets_in = torch.tensor([[BOS_ID, 5, 6, 7], [BOS_ID, 8, 9, 10]])
    return sources, lengths, targets_in


def assert_step_by_step_equals_teacher_forced(net: Seq2Seq, sources, lengths, targets_in) -> None:
    """Decoding ``targets_in`` one step at a time gives the teacher-forced log-probabilities and attention."""
    full, full_attention = net(sources, lengths, targets_in)[:2]
    streams = net.encode(sources, lengths)
    memory, state = net.decoder.prepare(streams), net.decoder.initial_state(streams)
    for t in range(targets_in.size(1)):
        hidden, attention, state = net.decoder.step(targets_in[:, t], memory, state)
        torch.testing.assert_close(net.decoder.output(hidden), full[:, t], atol=1e-5, rtol=1e-4)
        for name, weights in attention.items():
            torch.testing.assert_close(weights, full_attention[name][:, t], atol=1e-5, rtol=1e-4)
