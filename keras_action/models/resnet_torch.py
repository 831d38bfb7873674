"""ResNet-50 in torchvision's layout ("v1.5"), the backbone of the official code."""

import keras
from keras import layers

from keras_action.models import torch_backbone

_STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


def ResNet50Torch(
    input_shape=(224, 224, 3), include_top=False, weights=None, pooling="avg"
):
    """ResNet-50 laid out as torchvision's, named like `keras.applications.ResNet50`.

    It differs from Keras' ResNet50 ("v1") where official TSM and ACTION-Net
    checkpoints need it to: each stage strides on its 3×3 convolution instead of
    its first 1×1, convolutions have no bias, and BatchNorm epsilon is 1e-5.
    Padding is explicit and symmetric, as in PyTorch. 4.09 G multiply-adds per
    224² frame. Layer names follow Keras' ResNet50 (`conv2_block1_1_conv`, …), so
    torchvision's `layer1.0.conv1` is `conv2_block1_1_conv`.

    Args:
        input_shape: frame shape `(H, W, 3)`.
        include_top: must be `False`: keras-action adds its own classifier.
        weights: `None`, or the path of a weights file of this model. No
            ImageNet weights are shipped for this layout; convert a checkpoint
            with `conversion/from_pytorch.py` instead.
        pooling: `"avg"`, `"max"` or `None`, the pooling after the last stage.

    Returns:
        A functional `keras.Model` from frames to features.
    """
    torch_backbone.check_arguments("ResNet50Torch", include_top, weights)
    frames = keras.Input(input_shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(frames)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _batch_norm_relu(x, "conv1")
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(_STAGES, start=2):
        for block in range(1, blocks + 1):
            x = _bottleneck(
                x, filters, stride if block == 1 else 1, f"conv{stage}_block{block}"
            )
    pool_names = ("avg_pool", "max_pool")
    return torch_backbone.finish(
        frames, x, pooling, pool_names, "resnet50_torch", weights
    )


def _batch_norm(x, name):
    return torch_backbone.batch_norm(x, f"{name}_bn")


def _batch_norm_relu(x, name):
    return layers.Activation("relu", name=f"{name}_relu")(_batch_norm(x, name))


def _bottleneck(x, filters, stride, name):
    shortcut = x
    if stride != 1 or x.shape[-1] != 4 * filters:
        shortcut = layers.Conv2D(
            4 * filters, 1, strides=stride, use_bias=False, name=f"{name}_0_conv"
        )(x)
        shortcut = _batch_norm(shortcut, f"{name}_0")
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(x)
    y = _batch_norm_relu(y, f"{name}_1")
    y = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(y)
    y = layers.Conv2D(
        filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv"
    )(y)
    y = _batch_norm_relu(y, f"{name}_2")
    y = layers.Conv2D(4 * filters, 1, use_bias=False, name=f"{name}_3_conv")(y)
    y = _batch_norm(y, f"{name}_3")
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)
