"""The `keras.applications` backbones that keras-action knows how to modify."""

import dataclasses
import re
from collections.abc import Callable
from typing import NamedTuple

import keras

from keras_action.layers.hard_swish import HardSwish
from keras_action.models.bn_inception import (
    BNInception,
    block_inputs,
    first_branch_convs,
)
from keras_action.models.mobilenet_v2_torch import MobileNetV2Torch
from keras_action.models.resnet_torch import ResNet50Torch


class Placement(NamedTuple):
    """Layer names: temporal layers go in front of `before`, behind `after`
    (see `insert_temporal_layers`)."""

    before: tuple = ()
    after: tuple = ()


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A backbone constructor, its pixel normalisation, and where modules go.

    `placement(model, stages, module) -> Placement`. `width_multiplier`: the
    constructor takes `alpha` (MobileNets' width).
    """

    constructor: Callable
    normalization: str
    placement: Callable
    width_multiplier: bool = False


def _in_front_of(insertion_points):
    """A placement in front of the layers that `insertion_points` names, for
    every module (the residual-branch placement of TSM and ACTION-Net)."""

    def placement(model, stages=None, module=None):
        return Placement(before=tuple(insertion_points(model, stages)))

    return placement


def mobilenet_insertion_points(model, stages=None):
    """Expansion convs of the inverted residual blocks that have a residual add.

    MobileNetV2 (`block_N_…`): the 10 blocks where the official code wraps the
    1×1 expansion. MobileNetV3 (`expanded_conv_N_…`), by the same rule, the
    residual blocks that have an expansion conv: 6 in the small network, 9 in
    the large one (its first block adds its input but has no expansion).
    """
    if stages is not None:
        raise ValueError("`stages` applies to ResNet backbones only, not MobileNets.")
    names = {layer.name for layer in model.layers}
    pattern = re.compile(r"(block|expanded_conv)_(\d+)_add")
    blocks = [match for name in names if (match := pattern.fullmatch(name))]
    return sorted(
        (
            f"{match[1]}_{match[2]}_expand"
            for match in blocks
            if f"{match[1]}_{match[2]}_expand" in names
        ),
        key=lambda name: int(name.split("_")[-2]),
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


def bn_inception_placement(model, stages=None, module=None):
    """Where each official code base puts its module in BN-Inception.

    - GSM (GSM's `bn_inception_gsm.yaml`): behind the first convolution of
      each Inception block's first branch (the 1×1, or the 3×3 reduce of 3c and
      4e), before its BatchNorm: 10 modules.
    - TSM (TSM's `build_temporal_ops` with `shift_place="block"`; its default
      "blockres" cannot run on BN-Inception, whose blocks change shape): in
      place at the inputs of conv2 and of the 10 Inception blocks: 11.
    - ACTION-Net (`bn_inception_action.py`) and every other module: in place
      at the inputs of the Inception blocks 3a…5b: 10 modules, C = 192, 256,
      320, 576, 576, 576, 608, 608, 1056, 1024.
    """
    if stages is not None:
        raise ValueError("`stages` applies to ResNet backbones only, not BN-Inception.")
    if module == "gsm":
        return Placement(after=tuple(first_branch_convs()))
    if module == "tsm":
        return Placement(after=("pool1_3x3_s2", *block_inputs()))
    return Placement(after=tuple(block_inputs()))


def _mobilenet_v3(constructor, minimalistic):
    """MobileNetV3 without its built-in rescaling (`build_model` normalises
    pixels itself: "tf", the [-1, 1] that the rescaling computes), its
    hard-swish activations as `HardSwish`, which int8 XNNPACK runs."""

    def build(**options):
        model = constructor(
            include_preprocessing=False, minimalistic=minimalistic, **options
        )
        return keras.models.clone_model(model, clone_function=_edge_hard_swish)

    return build


def _edge_hard_swish(layer):
    """`HardSwish` for a hard-swish `Activation`; every other layer itself."""
    config = layer.get_config() if isinstance(layer, keras.layers.Activation) else {}
    if config.get("activation") in ("hard_silu", "hard_swish"):
        return HardSwish(name=layer.name)
    return layer


_MOBILENET = _in_front_of(mobilenet_insertion_points)
_RESNET = _in_front_of(resnet_insertion_points)

BACKBONES = {
    "mobilenet_v2": Backbone(
        keras.applications.MobileNetV2, "tf", _MOBILENET, width_multiplier=True
    ),
    **{
        f"mobilenet_v3_{size}{suffix}": Backbone(
            _mobilenet_v3(constructor, minimalistic=bool(suffix)),
            "tf",
            _MOBILENET,
            width_multiplier=True,
        )
        for size, constructor in (
            ("small", keras.applications.MobileNetV3Small),
            ("large", keras.applications.MobileNetV3Large),
        )
        for suffix in ("", "_minimalistic")
    },
    "mobilenet_v2_torch": Backbone(MobileNetV2Torch, "torch", _MOBILENET),
    "resnet50": Backbone(keras.applications.ResNet50, "caffe", _RESNET),
    "resnet50_torch": Backbone(ResNet50Torch, "torch", _RESNET),
    "resnet101": Backbone(keras.applications.ResNet101, "caffe", _RESNET),
    "resnet152": Backbone(keras.applications.ResNet152, "caffe", _RESNET),
    "bninception": Backbone(BNInception, "bninception", bn_inception_placement),
}


def get_backbone(name):
    if name not in BACKBONES:
        raise ValueError(
            f"Unknown backbone {name!r}; expected one of {list(BACKBONES)}."
        )
    return BACKBONES[name]
