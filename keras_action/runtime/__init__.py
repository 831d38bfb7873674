"""The edge runtime: exported `.tflite` clip and streaming models run with LiteRT.

Only NumPy and `ai_edge_litert` are imported here, never TensorFlow or Keras,
so that `pip install "keras-action[litert]"` runs models on a machine without
them, and so that training and export can both use the runner.
"""

from keras_action.runtime.litert import LiteRTModel, LiteRTRunner, read_labels
from keras_action.runtime.streaming import StreamingRunner

__all__ = ["LiteRTModel", "LiteRTRunner", "StreamingRunner", "read_labels"]
