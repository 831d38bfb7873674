"""keras-action: efficient video action recognition for Keras 3."""

from keras_action import layers

__version__ = "0.1.0"
