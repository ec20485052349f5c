"""The vision modality plugin: image encoders, the image source pipeline, captioned-image data, CIDEr-D."""

from __future__ import annotations

from multis2s.extras import require
from multis2s.plugins import hookimpl

require("vision", "torchvision", "PIL")


@hookimpl
def register_encoders(register):
    register("cnn", "multis2s_vision.encoders:SmallCNN", modality="image",
             help="conv blocks from scratch → regions + 2-D positions")
    register("resnet18", "multis2s_vision.encoders:resnet18", modality="image",
             help="torchvision ResNet-18 feature map → regions")
    register("resnet34", "multis2s_vision.encoders:resnet34", modality="image",
             help="torchvision ResNet-34 feature map → regions")
    register("mobilenet_v3_small", "multis2s_vision.encoders:mobilenet_v3_small", modality="image",
             help="torchvision MobileNetV3-Small feature map → regions")


@hookimpl
def register_modalities(register):
    register("image", "multis2s_vision.pipeline:ImagePipeline", modality="image",
             help="image file → resized, normalised (C, H, W) tensor")


@hookimpl
def register_datasets(register):
    register("coco", "multis2s_vision.datasets:coco_dataset", modality="image",
             help="your captioned images: COCO caption JSON or folder")
    register("shapes", "multis2s_vision.datasets:shapes_dataset", modality="image",
             help="coloured-shape scenes with relation captions (generated)")


@hookimpl
def register_metrics(register):
    register("cider_d", "multis2s_vision.cider:CiderD", modality="any",
             help="corpus CIDEr-D, 0-10 scale (not a percentage)")
