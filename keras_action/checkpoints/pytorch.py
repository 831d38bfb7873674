"""Official PyTorch checkpoints of TSM and ACTION-Net, converted to Keras models.

The official code saves `{'state_dict': ..., 'optimizer': ...}` from a `TSN`
module, usually under DataParallel (`module.` before every key): the backbone
under `base_model.`, the classifier as `new_fc`, and each wrapped convolution
as `<conv>.net` beside its temporal module (`<conv>.action_shift`, ...).
Backbone names are derived from the Keras layer names by rule; each temporal
layer names its own weights (`TemporalLayer.torch_weights`). The names are
then checked strictly in both directions before any weight is set.
"""

import os
import pickle
import re

import keras
import numpy as np

from keras_action.layers.base import TemporalLayer
from keras_action.models import build_model
from keras_action.utils.torch_layout import standard_layer_weights

# Official backbone names, and the Keras backbones computing the same network.
BACKBONES = {"mobilenet_v2": "mobilenet_v2_torch", "resnet50": "resnet50_torch"}
# BatchNorm's step counter has no Keras counterpart and no effect on inference.
IGNORED_SUFFIX = ".num_batches_tracked"
_LISTED = 20


def read_checkpoint(path):
    """Reads the state dict of an official checkpoint as float32 NumPy arrays.

    Args:
        path: a `.pth` / `.pth.tar` file holding `{'state_dict': ...}` or a
            bare state dict. A DataParallel `module.` prefix is removed.

    Returns:
        A dict from PyTorch parameter names to arrays.
    """
    torch = _import_torch()
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path}: empty file, not a PyTorch checkpoint")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path}: not loadable with torch.load(weights_only=True), which only "
            f"reads tensors and plain containers: {error}"
        ) from error
    except (EOFError, KeyError, RuntimeError) as error:
        # What torch.load raises for text, truncated or non-PyTorch files
        # (e.g. `KeyError: 101`, the byte 'e' read as a pickle protocol).
        raise ValueError(
            f"{path}: not a PyTorch checkpoint, or a truncated one "
            f"({type(error).__name__}: {error})"
        ) from error
    if isinstance(checkpoint, dict):
        checkpoint = checkpoint.get("state_dict", checkpoint)
    if not isinstance(checkpoint, dict) or not all(
        isinstance(value, torch.Tensor) for value in checkpoint.values()
    ):
        raise ValueError(
            f"{path}: expected a dict with a 'state_dict' of tensors, as saved by "
            "the official training scripts, or a bare state dict."
        )
    return {
        key.removeprefix("module."): tensor.detach().float().numpy()
        for key, tensor in checkpoint.items()
    }


def infer_module(state_dict):
    """`"action"`, `"tsm"` or `"tsn"`, from the names in a state dict."""
    if any(".action_shift." in key for key in state_dict):
        return "action"
    if any(".net." in key for key in state_dict):
        return "tsm"
    return "tsn"


def convert_checkpoint(
    path,
    backbone,
    num_classes,
    num_segments,
    module=None,
    image_size=224,
    shift_div=8,
    dropout=0.5,
):
    """Builds a keras-action model holding the weights of an official checkpoint.

    The model takes raw RGB clips in [0, 255] and normalises them with the
    ImageNet mean and std on pixels / 255, as the official code does.

    Args:
        path: the checkpoint file (see `read_checkpoint`).
        backbone: `"mobilenet_v2"` or `"resnet50"` (torchvision layout), the
            official names; built as `"mobilenet_v2_torch"` /
            `"resnet50_torch"`.
        num_classes: int, classes of the checkpoint's `new_fc`.
        num_segments: int, frames per clip the checkpoint was trained with.
        module: `"action"`, `"tsm"` or `"tsn"`; inferred from the checkpoint's
            names when `None`.
        image_size: int, frame height and width of the Keras model.
        shift_div: int, `C // shift_div` channels shifted each way (TSM's
            `--shift_div`, 8 in every official checkpoint).
        dropout: float, dropout rate before the classifier (for fine-tuning).

    Returns:
        A functional `keras.Model` from clips `(batch, T, H, W, 3)` to logits.

    Example:

    (Not run as a test: it needs an official checkpoint file.)

    >>> model = convert_checkpoint("ckpt.pth.tar", "mobilenet_v2",  # doctest: +SKIP
    ...                            num_classes=27, num_segments=8)
    >>> model.save("action_jester.keras")  # doctest: +SKIP
    """
    state_dict = read_checkpoint(path)
    module = infer_module(state_dict) if module is None else module
    keras_backbone = _keras_backbone(backbone)
    model = build_model(
        keras_backbone,
        module,
        num_classes=num_classes,
        num_segments=num_segments,
        image_size=image_size,
        dropout=dropout,
        normalization="imagenet",
        shift_div=shift_div,
    )
    load_state_dict(model, state_dict, keras_backbone, source=path)
    return model


def load_state_dict(model, state_dict, backbone, source="state dict"):
    """Sets every weight of a model from an official state dict, strictly.

    Every tensor of the state dict but BatchNorm's `num_batches_tracked` must
    be used and every weight of the model set, with matching shapes; otherwise
    nothing is set and the error lists the names at fault.

    Args:
        model: a model from `build_model` with a `"mobilenet_v2_torch"` or
            `"resnet50_torch"` backbone.
        state_dict: dict from official names (without `module.`) to arrays.
        backbone: the Keras backbone name of `model`.
        source: the checkpoint's name, for error messages.
    """
    targets = _targets(model, _keras_backbone(backbone))
    _check_names(model, targets, state_dict, source)
    values = [
        (target.variable, _to_keras(key, state_dict[key], target, source))
        for key, target in targets.items()
    ]
    for variable, value in values:
        variable.assign(value)


def _import_torch():
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "Reading PyTorch checkpoints needs PyTorch: "
            'pip install "keras-action[torch]"'
        ) from error
    return torch


def _keras_backbone(backbone):
    if backbone in BACKBONES.values():
        return backbone
    if backbone not in BACKBONES:
        raise ValueError(
            f"Cannot convert checkpoints of backbone {backbone!r}; expected one of "
            f"{list(BACKBONES)}."
        )
    return BACKBONES[backbone]


def _targets(model, backbone):
    """Official parameter name -> `TorchWeight`, for the whole model."""
    frame_model = _frame_model(model)
    prefixes = _PREFIXES[backbone](frame_model)
    names = {layer.name for layer in frame_model.layers}
    targets = {}
    for layer in frame_model.layers:
        target = layer.name.removesuffix("_temporal")
        if target not in prefixes:
            continue
        prefix = f"base_model.{prefixes[target]}"
        if isinstance(layer, TemporalLayer):
            targets.update(layer.torch_weights(prefix))
        else:
            wrapped = f"{layer.name}_temporal" in names
            targets.update(
                standard_layer_weights(layer, f"{prefix}.net" if wrapped else prefix)
            )
    targets.update(standard_layer_weights(model.get_layer("classifier"), "new_fc"))
    return targets


def _frame_model(model):
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(nested) != 1:
        raise ValueError(
            f"Model {model.name!r} is not from `build_model`: expected one backbone "
            f"model inside, found {[layer.name for layer in nested]}."
        )
    return nested[0]


def _mobilenet_v2_prefixes(frame_model):
    """`features.K.conv.J` of the official MobileNetV2, per Keras layer name.

    Feature 0 is the stem, feature `N + 1` Keras' block N (block 0 is
    `expanded_conv`), the last one `Conv_1`. Inside a block, convolution i of
    (expand, depthwise, project) is followed by its BatchNorm and a ReLU6, so it
    sits at index 3·i; block 0 has no expansion.
    """
    pattern = re.compile(
        r"(expanded_conv|block_(\d+))_(expand|depthwise|project)(_BN)?"
    )
    blocks = {
        int(match[2] or 0)
        for layer in frame_model.layers
        if (match := pattern.fullmatch(layer.name))
    }
    last = max(blocks) + 2
    prefixes = {
        "Conv1": "features.0.0",
        "bn_Conv1": "features.0.1",
        "Conv_1": f"features.{last}.0",
        "Conv_1_bn": f"features.{last}.1",
    }
    for layer in frame_model.layers:
        if match := pattern.fullmatch(layer.name):
            block = int(match[2] or 0)
            convs = ("expand", "depthwise", "project")[0 if block else 1 :]
            index = 3 * convs.index(match[3]) + bool(match[4])
            prefixes[layer.name] = f"features.{block + 1}.conv.{index}"
    return prefixes


def _resnet_prefixes(frame_model):
    """torchvision names: `conv3_block2_1_conv` is `layer2.1.conv1`, `_0` downsample."""
    pattern = re.compile(r"conv(\d)_block(\d+)_(\d)_(conv|bn)")
    prefixes = {"conv1_conv": "conv1", "conv1_bn": "bn1"}
    for layer in frame_model.layers:
        if match := pattern.fullmatch(layer.name):
            stage, block, index, kind = int(match[1]), int(match[2]), match[3], match[4]
            part = (
                f"downsample.{int(kind == 'bn')}" if index == "0" else f"{kind}{index}"
            )
            prefixes[layer.name] = f"layer{stage - 1}.{block - 1}.{part}"
    return prefixes


_PREFIXES = {
    "mobilenet_v2_torch": _mobilenet_v2_prefixes,
    "resnet50_torch": _resnet_prefixes,
}


def _check_names(model, targets, state_dict, source):
    covered = {id(target.variable) for target in targets.values()}
    problems = [
        ("missing from the checkpoint", [k for k in targets if k not in state_dict]),
        (
            "unexpected in the checkpoint",
            [
                key
                for key in state_dict
                if key not in targets and not key.endswith(IGNORED_SUFFIX)
            ],
        ),
        (
            "model weights with no official counterpart",
            [weight.path for weight in model.weights if id(weight) not in covered],
        ),
    ]
    lines = [_listing(title, names) for title, names in problems if names]
    if lines:
        raise ValueError(
            f"{source} does not match model {model.name!r}:\n" + "\n".join(lines)
        )


def _listing(title, names):
    shown = ", ".join(names[:_LISTED])
    more = f", … and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"  {title} ({len(names)}): {shown}{more}"


def _to_keras(key, value, target, source):
    expected = tuple(target.variable.shape)
    converted = value
    if target.axes is not None and value.ndim == len(target.axes):
        converted = np.transpose(value, target.axes)
    if converted.shape != expected:
        raise ValueError(
            f"{source}: tensor {key!r} has shape {value.shape} (Keras layout "
            f"{converted.shape}), but {target.variable.path} has shape {expected}."
        )
    return converted
