"""Edge export: LiteRT conversion, edge checks, on-device runner and prediction.

Names are imported on first use, so that `LiteRTRunner` and `classify` work
in a runtime-only install (`keras-action[litert]`, no TensorFlow).
"""

import importlib

_SOURCES = {
    "QUANTIZATIONS": "tflite",
    "calibration_clips": "tflite",
    "clip_function": "tflite",
    "to_tflite": "tflite",
    "write_tflite": "tflite",
    "LiteRTRunner": "runner",
    "read_labels": "runner",
    "EdgeReport": "edge_check",
    "assert_edge_compatible": "edge_check",
    "check_edge": "edge_check",
    "classify": "predict",
    "draw_prediction": "predict",
    "read_clip": "predict",
    "top_classes": "predict",
    "run_benchmark": "benchmark",
}

__all__ = sorted(_SOURCES)


def __getattr__(name):
    if name not in _SOURCES:
        raise AttributeError(f"module 'keras_action.export' has no attribute {name!r}")
    module = importlib.import_module(f"keras_action.export.{_SOURCES[name]}")
    return getattr(module, name)


def __dir__():
    return __all__
