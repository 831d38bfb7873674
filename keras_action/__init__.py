"""keras-action: efficient video action recognition for Keras 3.

Subpackages load on first use, so that the LiteRT runtime
(`pip install "keras-action[litert]"`) works without TensorFlow.
"""

import importlib

import wrapt

from keras_action.utils.lazy import lazy_attributes, missing_dependency_hint

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "build_model": "models",
        "checkpoints": "checkpoints",
        "data": "data",
        "export": "export",
        "insert_temporal_layers": "models",
        "layers": "layers",
        "model_stats": "models",
        "models": "models",
        "streaming_model": "models",
        "streaming_stats": "models",
    },
)
__all__ = __dir__()


def _register_saved_classes(keras_module):
    """Imports the classes that saved models name, for `keras.saving.load_model`.

    Layers need Keras with a backend; trained models also name the optimizer
    and the weight-decay regularizer, which need TensorFlow. What is missing
    is skipped: a runtime-only install has neither.
    """
    for module in ("layers", "training.optimizer", "training.recipe"):
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as error:
            if missing_dependency_hint(error) is None:
                raise


# Importing Keras imports its backend (TensorFlow: seconds), which
# `keras-action --help` and `predict` with a `.tflite` never need: the classes
# are registered as soon as Keras is imported, by whoever imports it.
wrapt.register_post_import_hook(_register_saved_classes, "keras")
