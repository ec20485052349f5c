"""A throwaway plugin (named in a test config's ``plugins``): an encoder whose Python code branches
on a tensor value, which a traced graph fixes to the traced case."""

from __future__ import annotations

from multis2s.model.encoder import EncoderOutput
from multis2s.plugins import hookimpl
from multis2s_text.encoders import RNNEncoder


class LengthBranchingEncoder(RNNEncoder):
    """The text RNN encoder, whose memory is halved when the batch's longest input exceeds 4 tokens."""

    def forward(self, inputs, lengths) -> EncoderOutput:
        encoded = super().forward(inputs, lengths)
        if int(lengths.max()) > 4:
            return EncoderOutput(encoded.memory * 0.5, encoded.memory_mask, encoded.final_state)
        return encoded


@hookimpl
def register_encoders(register):
    register("length_branching", LengthBranchingEncoder, modality="text", help="test encoder that branches on lengths")
