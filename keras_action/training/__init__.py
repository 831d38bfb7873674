"""Training and evaluation with `model.fit` and `tf.distribute`, the official recipe."""

from keras_action.training.config import TrainConfig
from keras_action.training.evaluation import classification_metrics, predict_scores
from keras_action.training.optimizer import LayerwiseSGD
from keras_action.training.recipe import (
    SCHEDULES,
    add_weight_decay,
    freeze_batch_norm_except_first,
    set_batch_norm_momentum,
    step_decay,
)
from keras_action.training.trainer import train

__all__ = [
    "SCHEDULES",
    "LayerwiseSGD",
    "TrainConfig",
    "add_weight_decay",
    "classification_metrics",
    "freeze_batch_norm_except_first",
    "predict_scores",
    "set_batch_norm_momentum",
    "step_decay",
    "train",
]
