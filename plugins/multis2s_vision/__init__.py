"""The vision modality plugin: image encoders, the image source pipeline, captioned-image data, CIDEr-D."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_encoders(register):
    from multis2s_vision.encoders import SmallCNN, mobilenet_v3_small, resnet18, resnet34

    register("cnn", SmallCNN, modality="image", help="conv blocks from scratch → regions + 2-D positions")
    register("resnet18", resnet18, modality="image", help="torchvision ResNet-18 feature map → regions")
    register("resnet34", resnet34, modality="image", help="torchvision ResNet-34 feature map → regions")
    register("mobilenet_v3_small", mobilenet_v3_small, modality="image",
             help="torchvision MobileNetV3-Small feature map → regions")


@hookimpl
def register_modalities(register):
    from multis2s_vision.pipeline import ImagePipeline

    register("image", ImagePipeline, modality="image", help="image file → resized, normalised (C, H, W) tensor")


@hookimpl
def register_datasets(register):
    from multis2s_vision.datasets import coco_dataset, shapes_dataset

    register("coco", coco_dataset, modality="image", help="your captioned images: COCO caption JSON or folder")
    register("shapes", shapes_dataset, modality="image",
             help="coloured-shape scenes with relation captions (generated)")


@hookimpl
def register_metrics(register):
    from multis2s_vision.cider import CiderD

    register("cider_d", CiderD, modality="any", help="corpus CIDEr-D, 0-10 scale (not a percentage)")
