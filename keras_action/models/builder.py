"""`build_model`: a complete video classifier from a backbone and a temporal module."""

import os
from pathlib import Path

import keras

from keras_action import layers
from keras_action.layers.base import positive_int
from keras_action.layers.pixel_normalization import MODES
from keras_action.models.backbones import get_backbone
from keras_action.models.modules import temporal_module
from keras_action.models.surgery import insert_temporal_layers

#: Every backbone downsamples by 32; smaller frames vanish before its last stage.
MIN_IMAGE_SIZE = 32


def build_model(
    backbone="mobilenet_v2",
    module="action",
    num_classes=27,
    num_segments=8,
    image_size=224,
    weights=None,
    dropout=0.5,
    normalization=None,
    stages=None,
    shift_div=8,
    reduction=16,
    causal=False,
    alpha=1.0,
):
    """Builds a TSN-style video classifier with temporal modules in its backbone.

    The model takes clips `(batch, T, H, W, 3)` of raw RGB pixels in [0, 255]
    (float32; integer arrays are cast by the model), normalises them inside,
    runs the backbone on the `batch·T` folded frames, applies dropout and a
    dense classifier per frame, and averages the logits over the T frames
    (TSN's average consensus). It returns logits `(batch, num_classes)` in
    float32, also under a mixed-precision policy.

    Args:
        backbone: `"mobilenet_v2"`, `"mobilenet_v3_small"`,
            `"mobilenet_v3_large"` (and their `"…_minimalistic"` forms, without
            squeeze-excitation and hard-swish), `"resnet50"`, `"resnet101"`,
            `"resnet152"` (`keras.applications`), or the layouts of the
            official PyTorch checkpoints: `"mobilenet_v2_torch"`
            (`MobileNetV2Torch`), `"resnet50_torch"` (`ResNet50Torch`,
            torchvision's) and `"bninception"` (`BNInception`, whose modules
            go where each official code base puts them: see
            `bn_inception_placement`).
        module: `"action"`, `"tsm"`, `"tsn"`, `"ste"`, `"ce"`, `"me"`,
            `"gsm"` (`GateShift`), `"stsm"` (`SpatioTemporalShift`), `"smnet"`
            (`SMNetBlock`), or a factory `channels -> keras.layers.Layer` (see
            `keras_action.models.temporal_module`).
        num_classes: int, number of classes.
        num_segments: int, frames per clip (T).
        image_size: int, frame height and width.
        weights: `None` (random initialisation), `"imagenet"` (downloads the
            backbone's ImageNet weights), or the path of a backbone weights file
            as accepted by `keras.applications`.
        dropout: float, dropout rate before the classifier.
        normalization: pixel normalisation, `None` for the backbone's own
            (`"tf"` for MobileNetV2, `"caffe"` for Keras' ResNets, `"torch"`
            for the `_torch` layouts, `"bninception"` for BN-Inception),
            `"imagenet"` (or `"torch"`) for ImageNet mean and std on pixels /
            255 as in the official PyTorch code, or `"tf"` / `"caffe"` /
            `"bninception"`.
        stages: ResNet stages (2…5) that get modules; all by default.
        shift_div: int, `C // shift_div` channels shifted each way.
        reduction: int, channel reduction of the CE and ME paths (and of
            SMNet's motion excitation).
        causal: bool, the causal forms of the temporal modules: the output
            for frame t depends on frames <= t only. Such a model trains like
            any other and `keras_action.streaming_model` turns it into a
            per-frame model with the same weights. Defaults to `False`.
        alpha: float, the width multiplier of the MobileNet backbones (0.35 to
            1.4 for MobileNetV2; ImageNet weights exist for some widths only,
            as `keras.applications` says). Defaults to 1.0.

    Returns:
        A functional `keras.Model`.

    Example:

    >>> model = build_model("mobilenet_v2", "action", num_classes=27,
    ...                     num_segments=8, image_size=224)
    >>> model.output_shape
    (None, 27)
    """
    _check_arguments(num_classes, num_segments, image_size, dropout)
    spec = get_backbone(backbone)
    mode = _normalization_mode(normalization, spec.normalization)
    frame_model = _frame_model(spec, backbone, image_size, weights, alpha)
    factory = temporal_module(module, num_segments, shift_div, reduction, causal)
    if factory is not None:
        placement = spec.placement(frame_model, stages, module)
        frame_model = insert_temporal_layers(
            frame_model, factory, placement.before, placement.after
        )
    module_name = module if isinstance(module, str) else "custom"
    frame_model.name = f"{backbone}_{module_name}"

    clips = keras.Input((num_segments, image_size, image_size, 3), name="clips")
    x = layers.PixelNormalization(mode, name="normalization")(clips)
    x = layers.FoldSegments(name="fold_segments")(x)
    x = frame_model(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    # The official `new_fc` initialisation: normal(0, 0.001) weights, zero bias.
    x = keras.layers.Dense(
        num_classes,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.001),
        name="classifier",
    )(x)
    logits = layers.SegmentConsensus(num_segments, dtype="float32", name="consensus")(x)
    return keras.Model(clips, logits, name=f"{module_name}_{backbone}")


def _check_arguments(num_classes, num_segments, image_size, dropout):
    """Clear errors, naming the argument, before any layer is built."""
    positive_int("num_classes", num_classes)
    positive_int("num_segments", num_segments)
    if positive_int("image_size", image_size) < MIN_IMAGE_SIZE:
        raise ValueError(
            f"`image_size` must be at least {MIN_IMAGE_SIZE} (the backbones "
            f"downsample by 32), got {image_size}."
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1), got {dropout!r}.")


def _normalization_mode(normalization, default):
    if normalization is None:
        return default
    mode = "torch" if normalization == "imagenet" else normalization
    if mode not in MODES:
        raise ValueError(
            f"`normalization` must be None, 'imagenet' or one of {MODES}; "
            f"got {normalization!r}."
        )
    return mode


def _frame_model(spec, backbone, image_size, weights, alpha):
    """The backbone; an offline ImageNet download becomes an `OSError` that says why."""
    options = {"alpha": float(alpha)} if spec.width_multiplier else {}
    if not spec.width_multiplier and alpha != 1.0:
        raise ValueError(
            f"`alpha` (the width multiplier) applies to MobileNet backbones, "
            f"not {backbone!r}; got {alpha!r}."
        )
    try:
        return spec.constructor(
            input_shape=(image_size, image_size, 3),
            include_top=False,
            weights=weights,
            pooling="avg",
            **options,
        )
    except Exception as error:
        # Keras reports a failed download as a bare `Exception`.
        if weights != "imagenet" or "URL fetch failure" not in str(error):
            raise
        cache = Path(os.environ.get("KERAS_HOME", "~/.keras")) / "models"
        raise OSError(
            f"cannot download the ImageNet weights of {backbone}: they need network "
            f"access once, then Keras keeps them in {cache}; copy that folder from "
            "a machine that has them, or pass a weights file instead "
            f"(--weights PATH). ({str(error).splitlines()[0]})"
        ) from None
