"""Video data for keras-action: TSN segment pipelines built on `tf.data`.

Loaders return a `tf.data.Dataset` of `(clips, labels)` — clips
`(B, T, H, W, 3)` pixels in [0, 255] (uint8, or float32 with `dtype=`), int32
labels `(B,)` — ready for `model.fit`, with the class names in
`dataset.class_names` and the count of skipped unreadable samples in
`dataset.skipped` (a `SkipReport`).

Example:
    >>> from keras_action import data
    >>> root = data.write_synthetic_jester("jester")  # Jester's layout
    >>> train = data.load_jester(root, split="train", num_segments=8,
    ...                          image_size=224, training=True, batch_size=64)
    >>> train.class_names[:2]
    ['Moving right', 'Moving left']
"""

from keras_action.utils.lazy import lazy_attributes

# Decoding (`decode`, `errors`) needs OpenCV only; the LiteRT runtime uses it
# without TensorFlow, so the pipelines load on first use.
__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "AnnotationError": "errors",
        "ClipConfig": "pipeline",
        "DATASETS": "registry",
        "DataError": "errors",
        "DatasetSpec": "registry",
        "FramePattern": "samples",
        "SCALES": "augment",
        "Samples": "samples",
        "SkipReport": "skipping",
        "VideoDecodeError": "errors",
        "build_dataset": "pipeline",
        "center_crop_windows": "augment",
        "centre_crop_window": "views",
        "centre_indices": "views",
        "count_frames": "decode",
        "egogesture_class_names": "egogesture",
        "jester_class_names": "jester",
        "list_egogesture": "egogesture",
        "list_jester": "jester",
        "list_something_something_v2": "something_something",
        "list_videos": "videos",
        "load_egogesture": "egogesture",
        "load_jester": "jester",
        "load_something_something_v2": "something_something",
        "load_split": "pipeline",
        "load_synthetic_jester": "synthetic",
        "load_tfrecords": "tfrecord",
        "load_videos": "videos",
        "multiscale_crop_window": "augment",
        "read_frames": "decode",
        "dense_indices": "sampling",
        "segment_indices": "sampling",
        "something_something_v2_class_names": "something_something",
        "write_synthetic_jester": "synthetic",
        "write_tfrecords": "tfrecord",
    },
)
__all__ = __dir__()
