"""Parameter and multiply-add counts of keras-action models."""

import math

import keras

from keras_action.layers.base import TemporalLayer

_CONVOLUTIONS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)


def model_stats(model):
    """Trainable parameters and FLOPs of one clip.

    FLOPs are multiply-adds, as the TSM and ACTION-Net papers count them: those
    of every convolution and dense layer, including the ones inside temporal
    modules (a temporal layer reports its own through
    `count_multiply_adds(input_shape)`); pooling, normalisation, activations and
    element-wise products are not counted.

    Args:
        model: a model from `build_model` (input `(batch, T, H, W, 3)`, counted
            per clip of T frames) or a frame model (input `(batch, H, W, C)`,
            counted per frame).

    Returns:
        A dict with `"trainable_params"` and `"flops"` (ints).

    Example:

    >>> from keras_action import build_model
    >>> stats = model_stats(build_model("mobilenet_v2", "tsm", num_classes=83))
    >>> stats["trainable_params"]
    2330195
    """
    input_shape = model.input_shape
    frames = input_shape[1] if len(input_shape) == 5 else 1
    trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
    return {
        "trainable_params": int(trainable),
        "flops": int(frames * _frame_multiply_adds(model)),
    }


def _frame_multiply_adds(model):
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += _frame_multiply_adds(layer)
        else:
            total += _layer_multiply_adds(layer)
    return total


def _layer_multiply_adds(layer):
    if isinstance(layer, TemporalLayer):
        return layer.count_multiply_adds(layer.input.shape)
    if isinstance(layer, keras.layers.Dense):
        return math.prod(layer.input.shape[1:]) * layer.units
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        output_shape = layer.output.shape
        return math.prod(output_shape[1:]) * math.prod(layer.kernel_size)
    if isinstance(layer, _CONVOLUTIONS):
        output_shape = layer.output.shape
        inputs_per_group = layer.input.shape[-1] // layer.groups
        return (
            math.prod(output_shape[1:])
            * math.prod(layer.kernel_size)
            * inputs_per_group
        )
    return 0
