"""BN-Inception in the layout of the official PyTorch port used by TSN, TSM,
GSM and ACTION-Net."""

import keras
from keras import layers

from keras_action.layers.ceil_mode_max_pooling import CeilModeMaxPooling2D
from keras_action.layers.padded_average_pooling import PaddedAveragePooling2D
from keras_action.models import torch_backbone

#: Per Inception block: output channels of the 1×1 branch (`None`: no such
#: branch), (reduce, out) of the 3×3 branch, (reduce, out) of the double 3×3
#: branch, the pooling ("avg", "max", or "max" with stride 2 in the two
#: downsampling blocks) and its projection (`None`: the pooled input itself).
#: From Ioffe & Szegedy (2015), Fig. 5, as the PyTorch port lays it out.
INCEPTION_BLOCKS = {
    "3a": (64, (64, 64), (64, 96), "avg", 32),
    "3b": (64, (64, 96), (64, 96), "avg", 64),
    "3c": (None, (128, 160), (64, 96), "max_stride_2", None),
    "4a": (224, (64, 96), (96, 128), "avg", 128),
    "4b": (192, (96, 128), (96, 128), "avg", 128),
    "4c": (160, (128, 160), (128, 160), "avg", 128),
    "4d": (96, (128, 192), (160, 192), "avg", 128),
    "4e": (None, (128, 192), (192, 256), "max_stride_2", None),
    "5a": (352, (192, 320), (160, 224), "avg", 128),
    "5b": (352, (192, 320), (192, 224), "max", 128),
}


def block_inputs():
    """The layers whose outputs enter Inception blocks 3a…5b: pool2, then
    every block's concatenation but the last's."""
    blocks = list(INCEPTION_BLOCKS)[:-1]
    return ["pool2_3x3_s2", *(f"inception_{block}_output" for block in blocks)]


def first_branch_convs():
    """The first convolution of each Inception block's first branch: the 1×1,
    or the 3×3 reduce of the two blocks without a 1×1 branch (3c, 4e)."""
    return [
        f"inception_{block}_{'3x3_reduce' if single is None else '1x1'}"
        for block, (single, *_) in INCEPTION_BLOCKS.items()
    ]


def BNInception(
    input_shape=(224, 224, 3), include_top=False, weights=None, pooling="avg"
):
    """BN-Inception (Inception with Batch Normalization), as in the official ports.

    The network of TSN, TSM, GSM and ACTION-Net's BN-Inception results: the
    PyTorch port of the Caffe model (Cadene's `pretrainedmodels`), with its
    layer names, so that the layer `inception_3a_1x1` holds the official
    `inception_3a_1x1.weight` and `.bias`, and `inception_3a_1x1_bn` its
    BatchNorm. It computes what the PyTorch network computes: convolutions
    with biases and symmetric padding, BatchNorm epsilon 1e-5, average
    pooling that counts its zero padding (`PaddedAveragePooling2D`, which int8
    XNNPACK runs), and the stride-2 max poolings of PyTorch's `ceil_mode`
    (`CeilModeMaxPooling2D`: the last window may hang over the edge). Each
    Inception block concatenates its branches as the port does: 1×1, 3×3,
    double 3×3, pooling. The concatenation is named
    `inception_<block>_output`. 2.03 G multiply-adds per 224² frame.

    The official models take BGR pixels in [0, 255] minus the mean
    (104, 117, 128): `build_model` does that inside the model
    (`normalization="bninception"`), so its clips stay RGB.

    Args:
        input_shape: frame shape `(H, W, 3)`, sides multiples of 32 (as
            in PyTorch, other sizes give branches of different sizes in the
            downsampling blocks 3c and 4e, an error).
        include_top: must be `False`: keras-action adds its own classifier.
        weights: `None`, or the path of a weights file of this model. No
            ImageNet weights are shipped; convert an official checkpoint with
            `conversion/from_pytorch.py --backbone bninception`.
        pooling: `"avg"`, `"max"` or `None`, the pooling after block 5b.

    Returns:
        A functional `keras.Model` from frames to features (1024 channels).

    Example:

    >>> backbone = BNInception(input_shape=(64, 64, 3))
    >>> backbone.output_shape
    (None, 1024)

    Reference:
        - [Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network
          Training by Reducing Internal Covariate Shift", ICML
          2015](https://arxiv.org/abs/1502.03167)
    """
    torch_backbone.check_arguments("BNInception", include_top, weights)
    frames = keras.Input(input_shape)
    x = _conv_bn_relu(frames, 64, 7, "conv1_7x7_s2", "conv1_relu_7x7", strides=2)
    x = CeilModeMaxPooling2D(name="pool1_3x3_s2")(x)
    x = _conv_bn_relu(x, 64, 1, "conv2_3x3_reduce", "conv2_relu_3x3_reduce")
    x = _conv_bn_relu(x, 192, 3, "conv2_3x3", "conv2_relu_3x3")
    x = CeilModeMaxPooling2D(name="pool2_3x3_s2")(x)
    for block, spec in INCEPTION_BLOCKS.items():
        x = _inception_block(x, f"inception_{block}", *spec)
    pool_names = ("global_pool", "global_max_pool")
    return torch_backbone.finish(frames, x, pooling, pool_names, "bninception", weights)


def _conv_bn_relu(x, filters, kernel_size, name, relu_name, strides=1):
    """Conv (with bias, symmetric padding), BatchNorm `<name>_bn`, ReLU."""
    if kernel_size > 1:
        x = layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=strides, name=name)(x)
    x = torch_backbone.batch_norm(x, f"{name}_bn")
    return layers.ReLU(name=relu_name)(x)


def _inception_block(inputs, name, single, pair, double, pool, projection):
    stride = 2 if pool == "max_stride_2" else 1
    branches = []
    if single is not None:
        branches.append(
            _conv_bn_relu(inputs, single, 1, f"{name}_1x1", f"{name}_relu_1x1")
        )
    reduce, filters = pair
    x = _conv_bn_relu(
        inputs, reduce, 1, f"{name}_3x3_reduce", f"{name}_relu_3x3_reduce"
    )
    branches.append(
        _conv_bn_relu(x, filters, 3, f"{name}_3x3", f"{name}_relu_3x3", stride)
    )
    reduce, filters = double
    x = _conv_bn_relu(
        inputs,
        reduce,
        1,
        f"{name}_double_3x3_reduce",
        f"{name}_relu_double_3x3_reduce",
    )
    x = _conv_bn_relu(
        x, filters, 3, f"{name}_double_3x3_1", f"{name}_relu_double_3x3_1"
    )
    branches.append(
        _conv_bn_relu(
            x, filters, 3, f"{name}_double_3x3_2", f"{name}_relu_double_3x3_2", stride
        )
    )
    branches.append(_pool_branch(inputs, name, pool, projection))
    sizes = {tuple(branch.shape[1:3]) for branch in branches}
    if len(sizes) > 1:
        # A padded stride-2 conv and a ceil-mode pooling disagree on odd sides,
        # in PyTorch too.
        raise ValueError(
            f"{name}: its branches give feature maps of different sizes "
            f"{sorted(sizes)} from the input {tuple(inputs.shape)}; BN-Inception "
            "needs frames whose sides are multiples of 32 (e.g. 224)."
        )
    return layers.Concatenate(name=f"{name}_output")(branches)


def _pool_branch(inputs, name, pool, projection):
    if pool == "max_stride_2":
        return CeilModeMaxPooling2D(name=f"{name}_pool")(inputs)
    if pool == "max":
        x = layers.MaxPooling2D(3, 1, padding="same", name=f"{name}_pool")(inputs)
    else:
        x = PaddedAveragePooling2D(3, name=f"{name}_pool")(inputs)
    return _conv_bn_relu(
        x, projection, 1, f"{name}_pool_proj", f"{name}_relu_pool_proj"
    )
