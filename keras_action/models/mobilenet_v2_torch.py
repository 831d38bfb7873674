"""MobileNetV2 in the official PyTorch layout, the backbone of its checkpoints."""

import keras
from keras import layers

from keras_action.models import torch_backbone

# (expansion t, output channels c, blocks n, first stride s), as in the paper.
_BLOCKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def MobileNetV2Torch(
    input_shape=(224, 224, 3), include_top=False, weights=None, pooling="avg"
):
    """MobileNetV2 as in TSM's and ACTION-Net's PyTorch code, named like Keras'.

    Same layers, channels and names as `keras.applications.MobileNetV2` (width
    1.0), so `block_N_add` marks the residual blocks and official weights map
    one-to-one, but it computes what the PyTorch network computes:

    - every 3×3 convolution pads 1 pixel on each side. Keras' MobileNetV2 pads
      stride-2 convolutions asymmetrically (0 before, 1 after), which moves the
      sampling grid by one pixel and changes every later activation;
    - BatchNorm epsilon is 1e-5 (Keras' MobileNetV2 uses 1e-3) and momentum is
      PyTorch's 0.1 (Keras momentum 0.9).

    Args:
        input_shape: frame shape `(H, W, 3)`.
        include_top: must be `False`: keras-action adds its own classifier.
        weights: `None`, or the path of a weights file of this model. For
            official TSM / ACTION-Net weights convert a checkpoint with
            `conversion/from_pytorch.py`.
        pooling: `"avg"`, `"max"` or `None`, the pooling after the last layer.

    Returns:
        A functional `keras.Model` from frames to features.

    Example:

    >>> backbone = MobileNetV2Torch(input_shape=(64, 64, 3))
    >>> backbone.output_shape
    (None, 1280)

    Reference:
        - [Sandler et al., "MobileNetV2: Inverted Residuals and Linear
          Bottlenecks", CVPR 2018](https://arxiv.org/abs/1801.04381)
    """
    torch_backbone.check_arguments("MobileNetV2Torch", include_top, weights)
    frames = keras.Input(input_shape)
    x = _padded_conv(frames, 32, strides=2, name="Conv1")
    x = torch_backbone.batch_norm(x, "bn_Conv1")
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    block_id = 0
    for expansion, channels, blocks, stride in _BLOCKS:
        for index in range(blocks):
            x = _inverted_residual(
                x, expansion, channels, stride if index == 0 else 1, block_id
            )
            block_id += 1
    x = layers.Conv2D(1280, 1, use_bias=False, name="Conv_1")(x)
    x = torch_backbone.batch_norm(x, "Conv_1_bn")
    x = layers.ReLU(6.0, name="out_relu")(x)
    pool_names = ("global_average_pooling2d", "global_max_pooling2d")
    return torch_backbone.finish(
        frames, x, pooling, pool_names, "mobilenet_v2_torch", weights
    )


def _padded_conv(x, filters, strides, name):
    x = layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return layers.Conv2D(filters, 3, strides=strides, use_bias=False, name=name)(x)


def _inverted_residual(inputs, expansion, channels, stride, block_id):
    prefix = f"block_{block_id}" if block_id else "expanded_conv"
    x = inputs
    if expansion != 1:
        x = layers.Conv2D(
            expansion * inputs.shape[-1], 1, use_bias=False, name=f"{prefix}_expand"
        )(x)
        x = torch_backbone.batch_norm(x, f"{prefix}_expand_BN")
        x = layers.ReLU(6.0, name=f"{prefix}_expand_relu")(x)
    padding = "same"
    if stride == 2:
        # "same" would pad (0, 1) here; PyTorch pads (1, 1).
        x = layers.ZeroPadding2D(1, name=f"{prefix}_pad")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(
        3, strides=stride, padding=padding, use_bias=False, name=f"{prefix}_depthwise"
    )(x)
    x = torch_backbone.batch_norm(x, f"{prefix}_depthwise_BN")
    x = layers.ReLU(6.0, name=f"{prefix}_depthwise_relu")(x)
    x = layers.Conv2D(channels, 1, use_bias=False, name=f"{prefix}_project")(x)
    x = torch_backbone.batch_norm(x, f"{prefix}_project_BN")
    if stride == 1 and inputs.shape[-1] == channels:
        x = layers.Add(name=f"{prefix}_add")([inputs, x])
    return x
