"""keras-action: efficient video action recognition for Keras 3.

Subpackages load on first use, so that the LiteRT runtime
(`pip install "keras-action[litert]"`) works without TensorFlow.
"""

from keras_action.utils.lazy import lazy_attributes

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "build_model": "models",
        "data": "data",
        "export": "export",
        "insert_temporal_layers": "models",
        "layers": "layers",
        "model_stats": "models",
        "models": "models",
    },
)
__all__ = __dir__()

try:
    import keras  # noqa: F401
except ModuleNotFoundError:  # runtime-only install: no Keras backend
    pass
else:
    # Registers the layers, so that `keras.saving.load_model` finds them
    # after a plain `import keras_action`.
    from keras_action import layers  # noqa: F401
