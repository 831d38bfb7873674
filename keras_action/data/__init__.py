"""Video data for keras-action: TSN segment pipelines built on `tf.data`.

Loaders return a `tf.data.Dataset` of `(clips, labels)` — clips
`(B, T, H, W, 3)` pixels in [0, 255] (uint8, or float32 with `dtype=`), int32
labels `(B,)` — ready for `model.fit`, with the class names in
`dataset.class_names` and the count of skipped unreadable samples in
`dataset.skipped` (a `SkipReport`).

Example:
    >>> from keras_action import data
    >>> train = data.load_jester("/data/jester", split="train", num_segments=8,
    ...                          image_size=224, training=True, batch_size=64)
    >>> train.class_names[:2]
    ['Swiping Left', 'Swiping Right']
"""

from keras_action.data.augment import (
    SCALES,
    center_crop_windows,
    multiscale_crop_window,
)
from keras_action.data.decode import count_frames, read_frames
from keras_action.data.egogesture import (
    egogesture_class_names,
    list_egogesture,
    load_egogesture,
)
from keras_action.data.errors import AnnotationError, DataError, VideoDecodeError
from keras_action.data.jester import jester_class_names, list_jester, load_jester
from keras_action.data.pipeline import ClipConfig, build_dataset
from keras_action.data.samples import FramePattern, Samples
from keras_action.data.sampling import segment_indices
from keras_action.data.skipping import SkipReport
from keras_action.data.something_something import (
    list_something_something_v2,
    load_something_something_v2,
    something_something_v2_class_names,
)
from keras_action.data.synthetic import write_synthetic_jester
from keras_action.data.tfrecord import load_tfrecords, write_tfrecords
from keras_action.data.videos import list_videos, load_videos

__all__ = [
    "SCALES",
    "AnnotationError",
    "ClipConfig",
    "DataError",
    "FramePattern",
    "Samples",
    "SkipReport",
    "VideoDecodeError",
    "build_dataset",
    "center_crop_windows",
    "count_frames",
    "egogesture_class_names",
    "jester_class_names",
    "list_egogesture",
    "list_jester",
    "list_something_something_v2",
    "list_videos",
    "load_egogesture",
    "load_jester",
    "load_something_something_v2",
    "load_tfrecords",
    "load_videos",
    "multiscale_crop_window",
    "read_frames",
    "segment_indices",
    "something_something_v2_class_names",
    "write_synthetic_jester",
    "write_tfrecords",
]
