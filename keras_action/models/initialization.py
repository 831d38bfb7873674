"""How a backbone trained from random weights starts: as torchvision starts it.

`keras.applications` builds its convolutions with Glorot-uniform kernels;
torchvision (whose MobileNetV2 and ResNets the official ACTION-Net, TSM and
GSM code trains) uses He-normal over the fan-out. Followed by BatchNorm, the
scale of a kernel does not change what the network computes, but it sets how
far an optimiser step turns it: Glorot makes wide layers' kernels several
times smaller (a 960-channel depthwise kernel about 30×), and adaptive
optimisers' steps, of a fixed size per weight, then turn them at random.
Measured on a cluttered synthetic gesture set (docs/training.md, "Training
from scratch"), a MobileNetV2 started by Keras did not fit its training set
in 8 epochs (13 % top-1, chance 12.5 %) where the torchvision start fitted 75 %.
"""

import keras

from keras_action.layers.base import TemporalLayer

#: Name endings of the last BatchNorm of a residual branch, by backbone
#: family: MobileNetV2's projection, a ResNet bottleneck's third convolution.
_BRANCH_END_SUFFIXES = ("_project_BN", "_project_bn", "_3_bn")

#: torchvision's `kaiming_normal_(mode="fan_out", nonlinearity="relu")`. Keras
#: counts a depthwise kernel's fan-out per channel (kh·kw·multiplier), which is
#: what torchvision's MobileNetV2 gets too, since its depthwise kernels are
#: grouped convolutions whose weight has one input channel per group.
TORCHVISION_CONV = keras.initializers.VarianceScaling(
    scale=2.0, mode="fan_out", distribution="untruncated_normal"
)


def initialize_like_torchvision(model, seed=None):
    """Re-initialises the backbone convolutions of `model` as torchvision does.

    Every `Conv2D` and `DepthwiseConv2D` kernel outside the temporal layers
    gets `TORCHVISION_CONV`; biases, BatchNorm parameters, the classifier and
    the temporal layers (whose starts follow the official code: a TSM shift,
    small excitation convolutions) keep theirs.

    Args:
        model: a model from `keras_action.build_model` (or any Keras model).
        seed: int seed of the new kernels, or `None` for Keras' global seed.

    Returns:
        The number of kernels re-initialised.

    Example:

    >>> import keras_action
    >>> model = keras_action.build_model("mobilenet_v2", "tsm", num_classes=8,
    ...                                  num_segments=8, image_size=64)
    >>> initialize_like_torchvision(model)
    52
    """
    generator = keras.random.SeedGenerator(seed)
    count = 0
    for layer in _backbone_layers(model):
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            kernel = layer.kernel
            initializer = keras.initializers.VarianceScaling(
                **TORCHVISION_CONV.get_config() | {"seed": generator}
            )
            kernel.assign(initializer(kernel.shape, kernel.dtype))
            count += 1
    return count


def zero_init_residual(model):
    """Starts every residual branch at zero: its last BatchNorm's scale is 0.

    Each residual block then starts as the identity, so a deep network trained
    from random weights starts as a shallow one (Goyal et al., 2017; the
    `zero_init_residual` option of torchvision's ResNets). The branch still
    learns: the zero scale gets gradients. Branches are found by their `Add`
    layer `<block>_add` and the BatchNorm `<block>_project_BN` (MobileNetV2),
    `<block>_project_bn` (MobileNetV3) or `<block>_3_bn` (ResNet); a
    shortcut's own BatchNorm keeps its start.

    Measured on the realistic synthetic gestures (docs/training.md, "Fourth
    round"): without it, MobileNetV2 ACTION-Net from random weights stayed
    near chance for 8 to 12 epochs, a wait that varied from run to run; with
    it, learning began in the first epochs.

    Args:
        model: a model from `keras_action.build_model` (or any Keras model).

    Returns:
        The number of BatchNorm scales set to zero.

    Example:

    >>> import keras_action
    >>> model = keras_action.build_model("mobilenet_v2", "tsm", num_classes=8,
    ...                                  num_segments=8, image_size=64)
    >>> zero_init_residual(model)
    10
    """
    layers = {layer.name: layer for layer in _backbone_layers(model)}
    count = 0
    for name in layers:
        if not name.endswith("_add"):
            continue
        for suffix in _BRANCH_END_SUFFIXES:
            norm = layers.get(name.removesuffix("_add") + suffix)
            if isinstance(norm, keras.layers.BatchNormalization) and norm.scale:
                norm.gamma.assign(keras.ops.zeros_like(norm.gamma))
                count += 1
    return count


def _backbone_layers(layer):
    """The layers of `layer` and of the models inside it, temporal layers left out."""
    for child in getattr(layer, "layers", ()):
        if isinstance(child, TemporalLayer):
            continue
        yield child
        yield from _backbone_layers(child)
