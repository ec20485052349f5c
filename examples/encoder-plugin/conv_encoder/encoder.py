"""The ``conv_text`` encoder: token embeddings → 1-D convolutions, padding honoured.

Shapes: B batch, S source steps, E embedding size, C channels (= D, the memory size).
"""

from typing import Annotated

import torch
from torch import nn

from multis2s.model.encoder import EncoderOutput
from multis2s.model.masks import lengths_to_mask
from multis2s.ranges import Range

Size = Annotated[int, Range(ge=1)]  # a config value below 1 is a one-line error naming the key


class ConvTextEncoder(nn.Module):
    """Token embeddings → 1-D convolutions; padded positions are zeroed before every layer.

    Args:
        vocab_size, pad_id: supplied by the text source pipeline (not config keys).
        embedding_dim: size of the token embeddings.
        channels: channels of every convolution, and the size of the memory.
        kernel_size: width of every convolution, odd so that the output keeps the input's length.
        layers: how many convolutions.
    """

    def __init__(self, *, vocab_size: int, pad_id: int, embedding_dim: Size = 64, channels: Size = 128,
                 kernel_size: Size = 3, layers: Size = 2) -> None:
        super().__init__()
        if kernel_size % 2 == 0:  # a rule across values stays a ValueError: reported at the config key
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.output_dim = channels  # D of the memory the decoder attends over
        self.state_dim = channels   # size of final_state (0 when forward returns None)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        sizes = [embedding_dim] + [channels] * layers
        self.convs = nn.ModuleList(nn.Conv1d(i, o, kernel_size, padding=kernel_size // 2)
                                   for i, o in zip(sizes, sizes[1:]))

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S) token ids, lengths (B,) → memory (B, S, C), memory_mask (B, S), final_state (B, C)."""
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)  # (B, S, 1), True on real tokens
        x = self.embedding(inputs)  # (B, S, E)
        for conv in self.convs:
            x = torch.relu(conv((x * mask).transpose(1, 2))).transpose(1, 2)  # (B, S, C)
        x = x * mask  # (B, S, C)
        summary = x.sum(dim=1) / lengths.unsqueeze(1)  # (B, C) mean over real tokens
        return EncoderOutput(memory=x, memory_mask=mask.squeeze(-1), final_state=summary)
