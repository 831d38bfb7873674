"""Model surgery, backbones and builders."""

from keras_action.models.backbones import BACKBONES
from keras_action.models.builder import build_model
from keras_action.models.initialization import (
    initialize_like_torchvision,
    zero_init_residual,
)
from keras_action.models.modules import MODULES, temporal_module
from keras_action.models.resize import with_image_size
from keras_action.models.stats import model_stats
from keras_action.models.streaming import (
    StreamingModel,
    streaming_model,
    streaming_stats,
)
from keras_action.models.surgery import insert_temporal_layers

__all__ = [
    "BACKBONES",
    "MODULES",
    "StreamingModel",
    "build_model",
    "initialize_like_torchvision",
    "zero_init_residual",
    "insert_temporal_layers",
    "model_stats",
    "streaming_model",
    "streaming_stats",
    "temporal_module",
    "with_image_size",
]
