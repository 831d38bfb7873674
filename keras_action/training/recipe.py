"""Training recipes (the paper's, the official scripts', from scratch) and their parts:
weight decay, partial BatchNorm, step schedule."""

import dataclasses

import keras
import tensorflow as tf
from keras import ops

from keras_action.utils.keras_internals import sublayers


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Epochs at which the learning rate is divided by 10, and the last epoch."""

    lr_steps: tuple
    epochs: int


#: The ACTION-Net paper's schedules per dataset.
SCHEDULES = {
    "jester": Schedule((10, 20, 25), 30),
    "something_something_v2": Schedule((30, 40, 45), 50),
    "egogesture": Schedule((5, 10, 15), 25),
}


#: The official scripts' schedules (`train_*_8f.sh`), where they differ from the paper.
OFFICIAL_SCHEDULES = {
    **SCHEDULES,
    "jester": Schedule((5, 10, 15), 25),
    "egogesture": Schedule((5, 10, 15), 20),
}

#: From random weights on a small set (see docs/training.md for why each).
SCRATCH_RECIPE = {
    "initializer": "torchvision",
    "zero_init_residual": True,
    "optimizer": "adam",
    "lr": 0.001,
    "lr_steps": (16, 19),
    "epochs": 20,
    "weight_decay": 5e-5,
    "dropout": 0.2,
    "crop_area": "centre",
    "batch_size": 8,
}

#: Named recipes: the `TrainConfig` settings each one chooses (explicit
#: settings win). "paper" and "official" assume ImageNet-pretrained weights.
RECIPES = {
    "paper": {
        "optimizer": "sgd",
        "lr": 0.01,
        "weight_decay": 5e-4,
        "dropout": 0.5,
        "crop_area": "frame",
        "zero_init_residual": False,
    },
    "official": {
        "optimizer": "sgd",
        "lr": 0.01,
        "weight_decay": 5e-4,
        "dropout": 0.5,
        "clip_gradient": 20.0,
        "crop_area": "frame",
        "zero_init_residual": False,
    },
    "scratch": SCRATCH_RECIPE,
}
PRETRAINED_RECIPES = ("paper", "official")


def recipe_settings(name, dataset):
    """The `TrainConfig` settings of recipe `name` for `dataset`."""
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}; expected one of {list(RECIPES)}.")
    settings = {"bn_momentum": 0.9, **RECIPES[name]}
    if name != "scratch":
        schedules = OFFICIAL_SCHEDULES if name == "official" else SCHEDULES
        schedule = schedules[dataset]
        settings.update(lr_steps=schedule.lr_steps, epochs=schedule.epochs)
    return settings


def choose_recipe(name, pretrained):
    """`name`, or "auto": "scratch" without pretrained weights, else "paper".

    Returns:
        `(recipe, warning)`: the warning (or `None`) says when a recipe made
        for ImageNet-pretrained weights is used without them.
    """
    if name in (None, "auto"):
        return ("paper" if pretrained else "scratch"), None
    if name in PRETRAINED_RECIPES and not pretrained:
        return name, (
            f"the {name} recipe assumes ImageNet-pretrained weights; from random "
            "weights (--weights none) use --recipe scratch, or pass --weights "
            "imagenet or --init-from MODEL.keras"
        )
    return name, None


def step_decay(base_lr, lr_steps):
    """`epoch -> lr`: `base_lr` divided by 10 at each epoch of `lr_steps`."""

    def schedule(epoch, lr=None):
        return base_lr * 0.1 ** sum(epoch >= step for step in lr_steps)

    return schedule


@keras.saving.register_keras_serializable(package="keras_action")
class ReplicaL2(keras.regularizers.Regularizer):
    """`l2 · Σ w²`, divided by the replicas in sync.

    Keras scales the data loss by 1/replicas before gradients are summed
    across replicas, but not regularisation losses; this one does it itself,
    so the decay is the same on one device or many.
    """

    def __init__(self, l2):
        self.l2 = float(l2)

    def __call__(self, weights):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return self.l2 * ops.sum(ops.square(weights)) / replicas

    def get_config(self):
        return {"l2": self.l2}


def add_weight_decay(model, weight_decay):
    """PyTorch-style (coupled) weight decay on kernels, not biases or BatchNorm.

    `torch.optim.SGD(weight_decay=wd)` adds `wd·w` to the gradient, which is
    the gradient of `wd/2 · Σ w²`. TSM's optimisation policies spare biases
    and BatchNorm parameters: here, every trainable variable of rank 1.

    Returns:
        The number of variables that decay.
    """
    decaying = [v for v in model.trainable_variables if len(v.shape) > 1]
    for variable in decaying:
        variable.regularizer = ReplicaL2(weight_decay / 2) if weight_decay else None
    return len(decaying)


def _layers_in_order(layer):
    """Every layer, nested ones included, in the order the data flows."""
    for child in sublayers(layer):
        yield child
        yield from _layers_in_order(child)


def _batch_norm_layers(model):
    # Includes BatchNorm inside temporal modules (the motion path's own).
    return [
        layer
        for layer in _layers_in_order(model)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def set_batch_norm_momentum(model, momentum=0.9):
    """Sets every BatchNorm's moving-average momentum (Keras convention).

    The official code trains with PyTorch's default, 0.1, which is Keras'
    0.9; `keras.applications` backbones use 0.99 or 0.999, whose moving
    statistics lag far behind on short runs or on weights trained from scratch.

    Returns:
        The number of BatchNorm layers changed.
    """
    layers = _batch_norm_layers(model)
    for layer in layers:
        layer.momentum = momentum
    return len(layers)


def freeze_batch_norm_except_first(model):
    """TSN's partial BatchNorm: every BatchNorm layer but the first is frozen.

    Frozen layers use their moving statistics and their gamma and beta stop
    training, as `partialBN` does in the official code (which also covers the
    BatchNorm inside ACTION's motion path).

    Returns:
        The number of BatchNorm layers frozen.
    """
    batch_norms = _batch_norm_layers(model)
    for layer in batch_norms[1:]:
        layer.trainable = False
    return len(batch_norms) - 1
