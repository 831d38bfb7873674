"""How Keras weights lie in PyTorch's layout, for official checkpoints.

Each temporal layer names its own weights as the official PyTorch code does
(`TemporalLayer.torch_weights`); standard Keras layers are named here. The
importer in `keras_action.checkpoints` only joins these maps and checks them.
"""

from typing import NamedTuple

import keras


class TorchWeight(NamedTuple):
    """A Keras variable and the transposition from PyTorch's layout to it."""

    variable: keras.Variable
    axes: tuple | None = None


def standard_layer_weights(layer, prefix):
    """`{official name: TorchWeight}` of a standard Keras layer; `{}` for others."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        # (C, 1, kh, kw) -> (kh, kw, C, 1)
        return {f"{prefix}.weight": TorchWeight(layer.kernel, (2, 3, 0, 1))}
    if isinstance(layer, keras.layers.BatchNormalization):
        return {
            f"{prefix}.weight": TorchWeight(layer.gamma),
            f"{prefix}.bias": TorchWeight(layer.beta),
            f"{prefix}.running_mean": TorchWeight(layer.moving_mean),
            f"{prefix}.running_var": TorchWeight(layer.moving_variance),
        }
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
        # OIHW -> HWIO, and (out, in) -> (in, out).
        axes = (2, 3, 1, 0) if isinstance(layer, keras.layers.Conv2D) else (1, 0)
        weights = {f"{prefix}.weight": TorchWeight(layer.kernel, axes)}
        if layer.use_bias:
            weights[f"{prefix}.bias"] = TorchWeight(layer.bias)
        return weights
    return {}
