"""Official PyTorch checkpoints of TSN, TSM, ACTION-Net and GSM, converted to
Keras models.

The official code saves `{'state_dict': ..., 'optimizer': ...}` from a `TSN`
module, usually under DataParallel (`module.` before every key): the backbone
under `base_model.`, the classifier as `new_fc`. In MobileNetV2 and ResNet-50
each wrapped convolution becomes `<conv>.net` beside its temporal module
(`<conv>.action_shift`, ...). BN-Inception keeps its layer names; ACTION-Net
adds `shift_2`, `shift_3a` … `shift_5a`, GSM `gsm_<conv>`. Backbone names are
derived from the Keras layer names by rule; each temporal layer names its own
weights (`TemporalLayer.torch_weights`). The names are then checked strictly
in both directions before any weight is set.
"""

import os
import pickle
import re

import keras
import numpy as np

from keras_action.layers.base import TemporalLayer
from keras_action.models import build_model
from keras_action.models.bn_inception import (
    INCEPTION_BLOCKS,
    block_inputs,
    first_branch_convs,
)
from keras_action.utils.torch_layout import standard_layer_weights

# Official backbone names, and the Keras backbones computing the same network.
BACKBONES = {
    "mobilenet_v2": "mobilenet_v2_torch",
    "resnet50": "resnet50_torch",
    "bninception": "bninception",
}
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
    """`"action"`, `"gsm"`, `"tsm"` or `"tsn"`, from the names in a state dict.

    A BN-Inception TSM checkpoint has the names of a TSN one (its shifts have
    no weights and wrap nothing): `"tsn"` then means "TSN or TSM".
    """
    if any(".action_shift." in key for key in state_dict):
        return "action"
    if any(".conv3D." in key for key in state_dict):
        return "gsm"
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

    The model takes raw RGB clips in [0, 255] and normalises them as the
    official code does: ImageNet mean and std on pixels / 255 for MobileNetV2
    and ResNet-50, BGR minus (104, 117, 128) for BN-Inception.

    Args:
        path: the checkpoint file (see `read_checkpoint`).
        backbone: `"mobilenet_v2"`, `"resnet50"` (torchvision layout) or
            `"bninception"`, the official names; built as
            `"mobilenet_v2_torch"` / `"resnet50_torch"` / `"bninception"`.
        num_classes: int, classes of the checkpoint's `new_fc`.
        num_segments: int, frames per clip the checkpoint was trained with.
        module: `"action"`, `"tsm"`, `"gsm"` or `"tsn"`; inferred from the
            checkpoint's names when `None`, except that a BN-Inception TSN
            or TSM checkpoint must say which (their names are the same).
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
    keras_backbone = _keras_backbone(backbone)
    if module is None:
        module = infer_module(state_dict)
        if keras_backbone == "bninception" and module == "tsn":
            raise ValueError(
                f"{path}: a BN-Inception checkpoint without ACTION-Net or GSM "
                "tensors is TSN or TSM, which have the same tensors; say which "
                "(module 'tsn' or 'tsm', --module on the command line)."
            )
    model = build_model(
        keras_backbone,
        module,
        num_classes=num_classes,
        num_segments=num_segments,
        image_size=image_size,
        dropout=dropout,
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
        model: a model from `build_model` with a `"mobilenet_v2_torch"`,
            `"resnet50_torch"` or `"bninception"` backbone.
        state_dict: dict from official names (without `module.`) to arrays.
        backbone: the Keras backbone name of `model`.
        source: the checkpoint's name, for error messages.
    """
    backbone = _keras_backbone(backbone)
    targets = _targets(model, backbone)
    _check_names(model, targets, state_dict, source, _ALIASES.get(backbone, dict)())
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
    targets = {}
    for layer in frame_model.layers:
        if not layer.weights or layer.name not in prefixes:
            continue
        prefix = f"base_model.{prefixes[layer.name]}"
        if isinstance(layer, TemporalLayer):
            targets.update(layer.torch_weights(prefix))
        else:
            targets.update(standard_layer_weights(layer, prefix))
    targets.update(standard_layer_weights(model.get_layer("classifier"), "new_fc"))
    return targets


def _wrapped(prefixes, frame_model):
    """Residual placements: the official wrapper takes the name of the conv it
    wraps, which moves to `<name>.net`."""
    names = {layer.name for layer in frame_model.layers}
    wrapped = dict(prefixes)
    for target, prefix in prefixes.items():
        if f"{target}_temporal" in names:
            wrapped[f"{target}_temporal"] = prefix
            wrapped[target] = f"{prefix}.net"
    return wrapped


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
    return _wrapped(prefixes, frame_model)


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
    return _wrapped(prefixes, frame_model)


def _bn_inception_shifts():
    """ACTION-Net's modules in BN-Inception, `{Keras layer behind which it
    sits: official name}`: `shift_2` behind pool2, `shift_<block>` behind each
    Inception block but the last."""
    names = ["shift_2", *(f"shift_{block}" for block in list(INCEPTION_BLOCKS)[:-1])]
    return dict(zip(block_inputs(), names, strict=True))


def _bn_inception_prefixes(frame_model):
    """The backbone keeps the official names; ACTION-Net's modules are named
    by `_bn_inception_shifts`, GSM's `gsm_<conv>` after the conv they follow."""
    shifts = _bn_inception_shifts()
    prefixes = {}
    for layer in frame_model.layers:
        target = layer.name.removesuffix("_temporal")
        if target == layer.name:
            prefixes[layer.name] = layer.name
        else:
            prefixes[layer.name] = shifts.get(target, f"gsm_{target}")
    return prefixes


def _bn_inception_aliases():
    """ACTION-Net registers the conv after each of its modules twice, also as
    the module's unused `net`: `{alias: the conv's own name}`."""
    return {
        f"base_model.{shift}.net.{kind}": f"base_model.{conv}.{kind}"
        for shift, conv in zip(
            _bn_inception_shifts().values(), first_branch_convs(), strict=True
        )
        for kind in ("weight", "bias")
    }


_PREFIXES = {
    "mobilenet_v2_torch": _mobilenet_v2_prefixes,
    "resnet50_torch": _resnet_prefixes,
    "bninception": _bn_inception_prefixes,
}
_ALIASES = {"bninception": _bn_inception_aliases}


def _check_names(model, targets, state_dict, source, aliases):
    """Every name used both ways; `aliases` (`{alias: name}`, repeats of a
    tensor that the official model registers twice) may be present, equal."""
    covered = {id(target.variable) for target in targets.values()}
    problems = [
        ("missing from the checkpoint", [k for k in targets if k not in state_dict]),
        (
            "unexpected in the checkpoint",
            [
                key
                for key in state_dict
                if key not in targets
                and key not in aliases
                and not key.endswith(IGNORED_SUFFIX)
            ],
        ),
        (
            "repeats that differ from the tensor they repeat",
            [
                f"{alias} (of {key})"
                for alias, key in aliases.items()
                if alias in state_dict
                and key in state_dict
                and not np.array_equal(state_dict[alias], state_dict[key])
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
