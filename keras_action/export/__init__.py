"""Edge export: LiteRT conversion, edge checks, benchmarks and prediction.

`LiteRTRunner`, `StreamingRunner` and `read_labels` live in `keras_action.runtime` (no
TensorFlow) and are re-exported here. Names are imported on first use, so that
`LiteRTRunner`, `StreamingRunner` and `classify` work in a runtime-only install
(`keras-action[litert]`, no TensorFlow).
"""

from keras_action.utils.lazy import lazy_attributes

__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "QUANTIZATIONS": "tflite",
        "calibration_clips": "tflite",
        "clip_function": "tflite",
        "to_tflite": "tflite",
        "calibration_videos": "streaming",
        "streaming_function": "streaming",
        "write_tflite": "tflite",
        "LiteRTRunner": "keras_action.runtime",
        "StreamingRunner": "keras_action.runtime",
        "read_labels": "keras_action.runtime",
        "EdgeReport": "edge_check",
        "assert_edge_compatible": "edge_check",
        "check_edge": "edge_check",
        "classify": "predict",
        "draw_prediction": "predict",
        "read_clip": "predict",
        "top_classes": "predict",
        "run_benchmark": "benchmark",
    },
)
__all__ = __dir__()
