"""What the PyTorch-layout backbones share: their arguments and their end."""

import keras
from keras import layers


def batch_norm(x, name):
    """PyTorch's `BatchNorm2d` defaults in Keras terms: epsilon 1e-5, momentum
    0.9 (PyTorch's 0.1)."""
    return layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name)(x)


def check_arguments(name, include_top, weights):
    """The errors of a backbone that has no classifier and no ImageNet weights."""
    if include_top:
        raise ValueError(f"{name} is a backbone only: use `include_top=False`.")
    if weights == "imagenet":
        raise ValueError(
            f"No ImageNet weights are shipped for {name} in Keras; pass "
            "`weights=None` or a weights file of this model (official weights: "
            "convert a checkpoint with `conversion/from_pytorch.py`)."
        )


def finish(frames, features, pooling, pool_names, name, weights):
    """The global pooling (`pool_names`: the average and max layers' names),
    the model, and the weights file if one is given."""
    if pooling == "avg":
        features = layers.GlobalAveragePooling2D(name=pool_names[0])(features)
    elif pooling == "max":
        features = layers.GlobalMaxPooling2D(name=pool_names[1])(features)
    model = keras.Model(frames, features, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model
