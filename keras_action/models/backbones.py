"""The `keras.applications` backbones that keras-action knows how to modify."""

import dataclasses
import re
from collections.abc import Callable

import keras

from keras_action.models.mobilenet_v2_torch import MobileNetV2Torch
from keras_action.models.resnet_torch import ResNet50Torch


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A backbone constructor, its pixel normalisation, and where modules go."""

    constructor: Callable
    normalization: str
    insertion_points: Callable


def mobilenet_v2_insertion_points(model, stages=None):
    """Expansion convs of the inverted residual blocks that have a residual add.

    These are the 10 blocks where the official code wraps the 1×1 expansion.
    """
    if stages is not None:
        raise ValueError("`stages` applies to ResNet backbones only, not MobileNetV2.")
    names = {layer.name for layer in model.layers}
    blocks = [re.fullmatch(r"block_(\d+)_add", name) for name in names]
    return sorted(
        (f"block_{match[1]}_expand" for match in blocks if match),
        key=lambda name: int(name.split("_")[1]),
    )


#: When res4 has at least this many blocks (ResNet-101 and -152), every
#: stage gets a module in every second block only (`n_round = 2` in the
#: official code, as in TSM's `make_temporal_shift`).
LONG_RES4_BLOCKS = 23


def resnet_insertion_points(model, stages=None):
    """First 1×1 conv of the bottlenecks of the chosen stages (2 = res2 … 5 = res5).

    Every bottleneck, but when res4 has `LONG_RES4_BLOCKS` or more only the
    first, third, fifth, … of each stage: ResNet-101 gets 18 modules,
    ResNet-152 26.
    """
    stages = (2, 3, 4, 5) if stages is None else tuple(stages)
    unknown = set(stages) - {2, 3, 4, 5}
    if unknown:
        raise ValueError(f"ResNet stages are 2, 3, 4 and 5; got {sorted(unknown)}.")
    pattern = re.compile(r"conv(\d)_block(\d+)_1_conv")
    blocks = [
        (layer.name, int(match[1]), int(match[2]))
        for layer in model.layers
        if (match := pattern.fullmatch(layer.name))
    ]
    res4 = sum(stage == 4 for _, stage, _ in blocks)
    every = 2 if res4 >= LONG_RES4_BLOCKS else 1
    return [
        name
        for name, stage, block in blocks
        if stage in stages and (block - 1) % every == 0
    ]


BACKBONES = {
    "mobilenet_v2": Backbone(
        keras.applications.MobileNetV2, "tf", mobilenet_v2_insertion_points
    ),
    "mobilenet_v2_torch": Backbone(
        MobileNetV2Torch, "torch", mobilenet_v2_insertion_points
    ),
    "resnet50": Backbone(keras.applications.ResNet50, "caffe", resnet_insertion_points),
    "resnet50_torch": Backbone(ResNet50Torch, "torch", resnet_insertion_points),
    "resnet101": Backbone(
        keras.applications.ResNet101, "caffe", resnet_insertion_points
    ),
    "resnet152": Backbone(
        keras.applications.ResNet152, "caffe", resnet_insertion_points
    ),
}


def get_backbone(name):
    if name not in BACKBONES:
        raise ValueError(
            f"Unknown backbone {name!r}; expected one of {list(BACKBONES)}."
        )
    return BACKBONES[name]
