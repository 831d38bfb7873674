"""keras-action: efficient video action recognition for Keras 3."""

from keras_action import data, layers, models
from keras_action.models import build_model, insert_temporal_layers, model_stats

__version__ = "0.1.0"

__all__ = [
    "build_model",
    "data",
    "insert_temporal_layers",
    "layers",
    "model_stats",
    "models",
]
