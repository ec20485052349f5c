"""Image encoders: a small CNN trained from scratch, and torchvision backbones.

Both turn the last feature map into a memory of regions, one per feature-map cell, with a 2-D
position code added so the decoder can tell left from right and top from bottom.

Shapes: B batch, C input channels, H/W image height/width, H'/W' feature-map height/width,
S = H'·W' regions, F feature channels of the backbone, D memory size.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Annotated, Literal

import torch
from torch import nn
from torchvision import models

from multis2s.model.dropout import Dropout
from multis2s.model.encoder import EncoderOutput
from multis2s.model.positions import sinusoidal_positions
from multis2s.ranges import DROPOUT, Range

PositionKind = Literal["learned", "sinusoidal", "none"]
POSITIONS = ("learned", "sinusoidal", "none")
BACKBONES = {"resnet18": models.resnet18, "resnet34": models.resnet34,
             "mobilenet_v3_small": models.mobilenet_v3_small}


@torch.no_grad()
def feature_grid(features: nn.Module, input_channels: int, image_size: int) -> tuple[int, int, int]:
    """(F, H', W') of ``features`` on an image_size × image_size input, found with one probe."""
    was_training = features.training
    features.eval()
    try:
        probe = features(torch.zeros(1, input_channels, image_size, image_size))  # (1, F, H', W')
    finally:
        features.train(was_training)
    return probe.size(1), probe.size(2), probe.size(3)


class GridPositions(nn.Module):
    """A 2-D position code for the H' × W' regions, added to the memory.

    ``learned``: a row vector plus a column vector, both trained; ``sinusoidal``: fixed sines over
    the row in the first D/2 sizes and over the column in the last D/2 (D divisible by 4);
    ``none``: nothing added (an ablation: relation words then have no position to rely on).
    """

    def __init__(self, *, kind: PositionKind, rows: int, columns: int, dim: int) -> None:
        super().__init__()
        if kind not in POSITIONS:
            raise ValueError(f"positions {kind!r} is not one of {', '.join(POSITIONS)}")
        if kind == "sinusoidal" and dim % 4:
            raise ValueError(f"sinusoidal positions need a memory size divisible by 4, got {dim}")
        self.kind, self.rows, self.columns = kind, rows, columns
        if kind == "learned":
            self.row_embedding = nn.Parameter(torch.randn(rows, dim) * 0.1)  # (H', D)
            self.column_embedding = nn.Parameter(torch.randn(columns, dim) * 0.1)  # (W', D)

    def table(self, dim: int, device: torch.device) -> torch.Tensor:
        """(S, D) codes of the regions in row-major order."""
        if self.kind == "learned":
            grid = self.row_embedding.unsqueeze(1) + self.column_embedding.unsqueeze(0)  # (H', W', D)
            return grid.reshape(self.rows * self.columns, dim)
        rows = sinusoidal_positions(torch.arange(self.rows, device=device), dim // 2)  # (H', D/2)
        columns = sinusoidal_positions(torch.arange(self.columns, device=device), dim // 2)  # (W', D/2)
        grid = torch.cat([rows.unsqueeze(1).expand(-1, self.columns, -1),
                          columns.unsqueeze(0).expand(self.rows, -1, -1)], dim=-1)  # (H', W', D)
        return grid.reshape(self.rows * self.columns, dim)

    def forward(self, regions: torch.Tensor) -> torch.Tensor:
        """regions (B, S, D) → (B, S, D) with each region's position code added."""
        if self.kind == "none":
            return regions
        return regions + self.table(regions.size(2), regions.device).to(regions.dtype)


class RegionMemory(nn.Module):
    """A feature map → regions: optional projection, position code, dropout; mean as final state."""

    def __init__(self, *, feature_dim: int, rows: int, columns: int, output_dim: int | None,
                 positions: PositionKind, dropout: float) -> None:
        super().__init__()
        if output_dim is not None and output_dim < 1:
            raise ValueError(f"output_dim must be positive, got {output_dim}")
        dim = output_dim or feature_dim
        self.dim = dim
        self.project = nn.Linear(feature_dim, dim) if output_dim is not None else nn.Identity()
        self.positions = GridPositions(kind=positions, rows=rows, columns=columns, dim=dim)
        self.dropout = Dropout(dropout)

    def forward(self, features: torch.Tensor) -> EncoderOutput:
        """features (B, F, H', W') → memory (B, S, D), mask (B, S) all True, final_state (B, D)."""
        batch = features.size(0)
        regions = self.project(features.flatten(2).transpose(1, 2))  # (B, F, H', W') → (B, S, F) → (B, S, D)
        final_state = regions.mean(dim=1)  # (B, D)
        memory = self.dropout(self.positions(regions))  # (B, S, D)
        mask = torch.ones(batch, memory.size(1), dtype=torch.bool, device=memory.device)  # (B, S)
        return EncoderOutput(memory, mask, final_state)


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Conv 3x3 → BatchNorm → ReLU → 2x2 max-pool: (B, C_in, H, W) → (B, C_out, H/2, W/2)."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True), nn.MaxPool2d(2))


class SmallCNN(nn.Module):
    """Conv blocks trained from scratch; each halves the image, so S = (image_size / 2^blocks)².

    ``channels`` lists the output channels of each block (one block per entry); D is the last
    entry, or ``output_dim`` when given (a linear projection). ``final_state`` is the mean region.
    """

    def __init__(
        self,
        *,
        input_channels: int,
        image_size: int,
        channels: Annotated[tuple[int, ...], Range(ge=1)] = (32, 64, 128),
        output_dim: Annotated[int, Range(ge=1)] | None = None,
        positions: PositionKind = "learned",
        dropout: Annotated[float, DROPOUT] = 0.1,
    ) -> None:
        super().__init__()
        if not channels or any(c < 1 for c in channels):
            raise ValueError(f"channels must list at least one positive size, got {list(channels)}")
        if image_size < 2 ** len(channels):
            raise ValueError(f"{len(channels)} blocks halve a {image_size}-pixel image to nothing; "
                             "use fewer channels entries or a larger image_size")
        sizes = [input_channels, *channels]
        self.features = nn.Sequential(*(conv_block(a, b) for a, b in zip(sizes, sizes[1:])))
        feature_dim, rows, columns = feature_grid(self.features, input_channels, image_size)
        self.regions = RegionMemory(feature_dim=feature_dim, rows=rows, columns=columns, output_dim=output_dim,
                                    positions=positions, dropout=dropout)
        self.output_dim = self.state_dim = self.regions.dim

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, C, H, W), lengths (B,) unused → memory (B, S, D), mask (B, S), final_state (B, D)."""
        return self.regions(self.features(inputs))


def backbone_features(backbone: str, weights_path: Path | None) -> nn.Module:
    """The torchvision ``backbone`` (random, or from a local state-dict file) up to global pooling.

    Returns a module mapping (B, 3, H, W) → (B, F, H', W'). Raises ValueError for an unknown
    backbone, a missing weights file or one that does not fit the architecture.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"backbone {backbone!r} is not one of {', '.join(BACKBONES)}")
    model = BACKBONES[backbone](weights=None)
    if weights_path is not None:
        path = Path(weights_path)
        if not path.is_file():
            raise ValueError(f"weights_path {weights_path}: file not found")
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except (RuntimeError, OSError, EOFError, TypeError, AttributeError, pickle.UnpicklingError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"weights_path {weights_path}: not a {backbone} state dict ({reason})") from None
    if backbone.startswith("resnet"):
        return nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool,
                             model.layer1, model.layer2, model.layer3, model.layer4)
    return model.features


class TorchvisionEncoder(nn.Module):
    """A torchvision backbone's last feature map (before global pooling) as region memory.

    Gray (1-channel) inputs are repeated to the 3 channels the backbones expect. With ``freeze``
    the backbone's weights get no gradient and its BatchNorm layers stay in eval mode, so only the
    projection and position code train. Downsampling is 32×, so S = (image_size / 32)²: use
    image_size ≥ 128 for more than a few regions.
    """

    def __init__(
        self,
        *,
        backbone: Literal["resnet18", "resnet34", "mobilenet_v3_small"],
        input_channels: int,
        image_size: int,
        weights_path: Path | None = None,
        freeze: bool = False,
        output_dim: Annotated[int, Range(ge=1)] | None = None,
        positions: PositionKind = "learned",
        dropout: Annotated[float, DROPOUT] = 0.1,
    ) -> None:
        super().__init__()
        if input_channels not in (1, 3):
            raise ValueError(f"{backbone} reads 1- or 3-channel images, got {input_channels} channels")
        self.backbone = backbone_features(backbone, weights_path)
        self.freeze = freeze
        if freeze:
            self.backbone.requires_grad_(False)
        feature_dim, rows, columns = feature_grid(self.backbone, 3, image_size)
        self.regions = RegionMemory(feature_dim=feature_dim, rows=rows, columns=columns, output_dim=output_dim,
                                    positions=positions, dropout=dropout)
        self.output_dim = self.state_dim = self.regions.dim

    def train(self, mode: bool = True) -> "TorchvisionEncoder":
        """Set training mode; a frozen backbone always stays in eval mode (fixed BatchNorm statistics)."""
        super().train(mode)
        if self.freeze:
            self.backbone.eval()
        return self

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, C, H, W), lengths (B,) unused → memory (B, S, D), mask (B, S), final_state (B, D)."""
        images = inputs.expand(-1, 3, -1, -1) if inputs.size(1) == 1 else inputs  # (B, 3, H, W)
        return self.regions(self.backbone(images))


def resnet18(*, input_channels: int, image_size: int, weights_path: Path | None = None, freeze: bool = False,
             output_dim: Annotated[int, Range(ge=1)] | None = None, positions: PositionKind = "learned",
             dropout: Annotated[float, DROPOUT] = 0.1) -> TorchvisionEncoder:
    """ResNet-18 (F = 512) as region encoder."""
    return TorchvisionEncoder(backbone="resnet18", input_channels=input_channels, image_size=image_size,
                              weights_path=weights_path, freeze=freeze, output_dim=output_dim,
                              positions=positions, dropout=dropout)


def resnet34(*, input_channels: int, image_size: int, weights_path: Path | None = None, freeze: bool = False,
             output_dim: Annotated[int, Range(ge=1)] | None = None, positions: PositionKind = "learned",
             dropout: Annotated[float, DROPOUT] = 0.1) -> TorchvisionEncoder:
    """ResNet-34 (F = 512) as region encoder."""
    return TorchvisionEncoder(backbone="resnet34", input_channels=input_channels, image_size=image_size,
                              weights_path=weights_path, freeze=freeze, output_dim=output_dim,
                              positions=positions, dropout=dropout)


def mobilenet_v3_small(*, input_channels: int, image_size: int, weights_path: Path | None = None,
                       freeze: bool = False, output_dim: Annotated[int, Range(ge=1)] | None = None,
                       positions: PositionKind = "learned", dropout: Annotated[float, DROPOUT] = 0.1
                       ) -> TorchvisionEncoder:
    """MobileNetV3-Small (F = 576) as region encoder."""
    return TorchvisionEncoder(backbone="mobilenet_v3_small", input_channels=input_channels,
                              image_size=image_size, weights_path=weights_path, freeze=freeze,
                              output_dim=output_dim, positions=positions, dropout=dropout)
