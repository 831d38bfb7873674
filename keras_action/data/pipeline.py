"""The shared `tf.data` pipeline: sample table -> batches of clips.

Every loader (Jester, Something-Something V2, EgoGesture, generic videos,
TFRecords) builds a `Samples` table and hands it here, so sampling,
augmentation, error handling and batching are written once.

JPEG frames are read and decoded inside the graph (only the sampled frames,
straight into the crop window); videos are decoded by OpenCV in
`tf.numpy_function` calls, which run in parallel because OpenCV releases the
GIL while decoding.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from keras_action.data import augment, decode
from keras_action.data.sampling import dense_indices, segment_indices
from keras_action.data.skipping import SkipReport, after
from keras_action.data.views import CROP_AREAS

AUTOTUNE = tf.data.AUTOTUNE
# Enough of a JPEG's tail to find its end-of-image marker past any padding.
_JPEG_TAIL = 64


@dataclasses.dataclass(frozen=True)
class ClipConfig:
    """What a clip looks like and how it is sampled; see `build_dataset`."""

    num_segments: int = 8
    image_size: int = 224
    training: bool = False
    num_clips: int = 1
    num_crops: int = 1
    flip: bool = False
    dtype: str = "uint8"
    scales: tuple = augment.SCALES
    crop_area: str = "frame"
    crop_fraction: float = augment.EVAL_CROP_FRACTION
    frame_stride: int = None

    def __post_init__(self):
        if self.training and (self.num_clips != 1 or self.num_crops != 1):
            raise ValueError("num_clips and num_crops apply to evaluation only")
        if self.num_crops not in (1, 3):
            raise ValueError(f"num_crops must be 1 or 3, got {self.num_crops}")
        if self.num_segments < 1 or self.num_clips < 1 or self.image_size < 1:
            raise ValueError("num_segments, num_clips and image_size must be positive")
        if self.crop_area not in CROP_AREAS:
            raise ValueError(
                f"crop_area must be one of {CROP_AREAS}, got {self.crop_area!r}"
            )
        if not 0 < self.crop_fraction <= 1:
            raise ValueError(
                f"crop_fraction must be in (0, 1], got {self.crop_fraction}"
            )
        if not self.scales or not all(0 < scale <= 1 for scale in self.scales):
            raise ValueError(
                f"crop scales must be fractions in (0, 1], got {self.scales}"
            )
        if self.dtype not in ("uint8", "float32"):
            raise ValueError(f"dtype must be 'uint8' or 'float32', got {self.dtype!r}")
        if self.frame_stride is not None and self.frame_stride < 1:
            raise ValueError(
                f"frame_stride must be None (TSN segments) or at least 1, "
                f"got {self.frame_stride}"
            )

    @property
    def num_views(self):
        return self.num_clips * self.num_crops

    @property
    def num_frames(self):
        """Frames decoded per sample."""
        return self.num_clips * self.num_segments

    def clip_shape(self):
        clip = (self.num_segments, self.image_size, self.image_size, 3)
        return clip if self.num_views == 1 else (self.num_views, *clip)


class ClipBuilder:
    """Per-sample graph code: sampling, checks, decoding, crops, flip, resize."""

    def __init__(self, config, report=None):
        self.config = config
        self.report = report

    def indices(self, num_frames, seed):
        """Flat `(K·T,)` frame indices for a video of `num_frames` frames."""
        config = self.config
        if config.frame_stride is None:
            indices = segment_indices(
                num_frames, config.num_segments, config.training, config.num_clips, seed
            )
        else:
            indices = dense_indices(
                num_frames,
                config.num_segments,
                config.frame_stride,
                config.training,
                config.num_clips,
                seed,
            )
        return tf.reshape(indices, [-1])

    def require(self, ok, message):
        """An assertion naming the file; under `on_error="skip"` also recorded."""
        if self.report is not None:
            recorded = tf.cond(
                ok,
                lambda: tf.constant(False),
                lambda: tf.py_function(self.report.record, [message], tf.bool),
            )
            with tf.control_dependencies([recorded]):
                return tf.debugging.Assert(ok, [message])
        return tf.debugging.Assert(ok, [message])

    def guarded(self, function):
        """`function` for `tf.numpy_function`; under `on_error="skip"` its
        failures are recorded (their message names the file)."""
        report = self.report

        def run(*args):
            try:
                return function(*args)
            except Exception as error:
                if report is not None:
                    report.record(str(error))
                raise

        return run

    def check_jpegs(self, contents, names):
        """`contents` once each file is checked to be a non-empty JPEG with
        start and end markers, all of one size.

        This catches empty, truncated, non-JPEG and resized files before the
        decoder does, so that the error names the file.
        """
        lengths = tf.strings.length(contents)
        head = tf.io.decode_raw(
            tf.strings.substr(contents, 0, 3), tf.uint8, fixed_length=3
        )
        tail_start = tf.maximum(lengths - _JPEG_TAIL, 0)
        # substr needs `len` shaped like `pos` when `pos` varies per element.
        tail_length = tf.fill(tf.shape(tail_start), _JPEG_TAIL)
        tail = tf.io.decode_raw(
            tf.strings.substr(contents, tail_start, tail_length),
            tf.uint8,
            fixed_length=_JPEG_TAIL,
        )
        starts = tf.reduce_all(
            tf.equal(head, tf.constant([0xFF, 0xD8, 0xFF], tf.uint8)), 1
        )
        ends = tf.reduce_any((tail[:, :-1] == 0xFF) & (tail[:, 1:] == 0xD9), axis=1)
        ok = (lengths > 0) & starts & ends
        first_bad = tf.gather(names, tf.argmin(tf.cast(ok, tf.int32)))
        message = tf.strings.join(["empty, truncated or not a JPEG: ", first_bad])
        contents = after(self.require(tf.reduce_all(ok), message), contents)
        return after(self.check_sizes(contents, names), contents)

    def check_sizes(self, contents, names):
        """Asserts all frames have the first one's size, since one crop window
        serves them all (a smaller frame fails to decode into it, a larger one
        would be cropped elsewhere)."""
        shapes = tf.stack(
            [
                tf.io.extract_jpeg_shape(contents[i])[:2]
                for i in range(self.config.num_frames)
            ]
        )
        same = tf.reduce_all(tf.equal(shapes, shapes[0]), axis=1)
        other = tf.argmin(tf.cast(same, tf.int32))
        message = tf.strings.join(
            [
                "frames differ in size: ",
                names[other],
                " is ",
                _size_text(shapes[other]),
                ", ",
                names[0],
                " is ",
                _size_text(shapes[0]),
            ]
        )
        return self.require(tf.reduce_all(same), message)

    def jpeg_clip(self, contents, seed):
        """Clip views from the `(K·T,)` JPEG-encoded frames of one sample."""
        config = self.config
        crop_seed, flip_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2)
        )
        shape = tf.io.extract_jpeg_shape(contents[0])
        windows = self.windows(shape[0], shape[1], crop_seed)
        count = config.num_frames
        if config.num_crops == 1:
            # Decoding straight into the window skips the pixels cropped away.
            frames = tf.stack(
                [
                    tf.io.decode_and_crop_jpeg(contents[i], windows[0], channels=3)
                    for i in range(count)
                ]
            )
            return self.finish([frames], flip_seed)
        frames = tf.stack(
            [tf.io.decode_jpeg(contents[i], channels=3) for i in range(count)]
        )
        return self.raw_clip(frames, seed, windows)

    def raw_clip(self, frames, seed, windows=None):
        """Clip views from decoded `(K·T, H, W, 3)` frames of one sample."""
        crop_seed, flip_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2)
        )
        if windows is None:
            shape = tf.shape(frames)
            windows = self.windows(shape[1], shape[2], crop_seed)
        crops = [
            augment.crop_frames(frames, windows[i])
            for i in range(self.config.num_crops)
        ]
        return self.finish(crops, flip_seed)

    def windows(self, height, width, seed):
        config = self.config
        if config.training:
            return augment.multiscale_crop_window(
                height,
                width,
                config.image_size,
                seed,
                config.scales,
                area=config.crop_area,
            )
        return augment.center_crop_windows(
            height, width, config.num_crops, config.crop_fraction
        )

    def finish(self, crops, flip_seed):
        """Resizes each crop and arranges `(K·C, T, S, S, 3)` views (or one clip)."""
        config = self.config
        size = config.image_size
        views = [augment.resize_frames(crop, size, config.dtype) for crop in crops]
        if config.num_views == 1:
            # Reshape only: stacking or slicing one view would copy the clip.
            clip = tf.reshape(views[0], config.clip_shape())
            if config.training and config.flip:
                clip = augment.random_flip(clip, flip_seed)
            return clip
        shape = [config.num_clips, config.num_segments, size, size, 3]
        clip = tf.stack([tf.reshape(view, shape) for view in views], axis=1)
        return tf.reshape(clip, config.clip_shape())


def undecodable_frame(folder):
    """The first JPEG of `folder` TensorFlow cannot decode, as a diagnosis
    (`None` if all decode): run only for failures the graph did not name."""
    try:
        names = sorted(tf.io.gfile.listdir(folder))
    except tf.errors.OpError:
        return None
    for name in names:
        if name.lower().endswith((".jpg", ".jpeg")):
            path = f"{folder}/{name}"
            try:
                tf.io.decode_jpeg(tf.io.read_file(path))
            except tf.errors.OpError as error:
                return f"cannot decode {path}: {error.message}"
    return None


def _size_text(shape):
    """`"HxW"` of a `(height, width)` tensor."""
    return tf.strings.reduce_join(tf.strings.as_string(shape), separator="x")


def frames_loader(builder, pattern):
    """Per-sample function for JPEG frame folders named by `pattern`."""
    # Unknown frame counts are found by listing the folder on the first pass
    # only: listing costs as much as decoding a few frames, so later passes
    # read the count from this table.
    known_counts = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1)

    def count(source, first_frame):
        return np.int64(
            pattern.count(source.decode(), int(first_frame), tf.io.gfile.listdir)
        )

    count = builder.guarded(count)

    def count_files(source, first_frame):
        found = tf.numpy_function(count, [source, first_frame], tf.int64)
        found = tf.reshape(found, [])
        with tf.control_dependencies([known_counts.insert(source, found)]):
            return tf.identity(found)

    def load(source, first_frame, num_frames, label, seed):
        index_seed, clip_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2)
        )
        num_frames = tf.where(num_frames >= 0, num_frames, known_counts.lookup(source))
        num_frames = tf.cond(
            num_frames >= 0,
            lambda: num_frames,
            lambda: count_files(source, first_frame),
        )
        numbers = first_frame + tf.cast(
            builder.indices(num_frames, index_seed), tf.int64
        )
        names = tf.strings.join(
            [
                source,
                "/",
                pattern.prefix,
                tf.strings.as_string(numbers, width=pattern.digits, fill="0"),
                pattern.suffix,
            ]
        )
        contents = tf.stack(
            [tf.io.read_file(names[i]) for i in range(builder.config.num_frames)]
        )
        clip = builder.jpeg_clip(builder.check_jpegs(contents, names), clip_seed)
        return clip, label

    return load


def video_loader(builder, min_decodable_fraction=decode.MIN_DECODABLE_FRACTION):
    """Per-sample function for video files decoded by OpenCV."""
    counts = decode.FrameCountCache(min_decodable_fraction)

    def count(path):
        return np.int64(counts(path.decode()))

    def read(path, indices):
        return decode.read_frames(path.decode(), indices)

    count, read = builder.guarded(count), builder.guarded(read)

    def load(source, first_frame, num_frames, label, seed):
        del first_frame, num_frames  # videos are counted by decoding, never trusted
        index_seed, clip_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2)
        )
        total = tf.numpy_function(count, [source], tf.int64)
        indices = builder.indices(tf.reshape(total, []), index_seed)
        frames = tf.numpy_function(read, [source, indices], tf.uint8)
        frames = tf.ensure_shape(frames, [builder.config.num_frames, None, None, 3])
        return builder.raw_clip(frames, clip_seed), label

    return load


def resolve_on_error(on_error, training):
    """`None` means skip when training, raise otherwise."""
    if on_error is None:
        return "skip" if training else "raise"
    if on_error not in ("skip", "raise"):
        raise ValueError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
    return on_error


def assemble(
    elements,
    load,
    config,
    *,
    report,
    class_names,
    batch_size,
    shuffle,
    seed,
    shuffle_buffer,
    describe=None,
):
    """Seeds, shuffles, maps, drops failures, batches and prefetches.

    Args:
        elements: dataset of per-sample tuples (the last one being the label).
        load: per-sample function `(*elements, seed) -> (clip, label)`.
        config: the `ClipConfig`.
        report: a `SkipReport` to skip failures, or `None` to raise them.
        class_names: list attached to the result.
        batch_size: clips per batch (`None` for no batching).
        shuffle: shuffle the samples each pass.
        seed: seed for shuffling and augmentation (`None`: random).
        shuffle_buffer: elements in the shuffle buffer.
        describe: `(*element) -> string tensor` naming a sample in skip
            messages (default: its first element, the source path).

    Returns:
        The dataset, with `class_names` and `skipped` attributes.
    """
    if shuffle:
        elements = elements.shuffle(
            shuffle_buffer, seed=seed, reshuffle_each_iteration=True
        )
    # Training may return clips out of order for speed; evaluation keeps the
    # sample order so that predictions line up with the annotation file.
    deterministic = seed is not None or not config.training
    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    seeds = randoms.batch(2, drop_remainder=True)
    dataset = tf.data.Dataset.zip(elements, seeds)

    def with_seed(element, sample_seed):
        return load(*element, sample_seed)

    if report is not None:
        describe = describe or (lambda source, *_: source)

        def sample_key(element, sample_seed):
            # The seed tells apart samples of one source (EgoGesture's groups).
            return tf.strings.join(
                [describe(*element), "#", tf.strings.as_string(sample_seed[0])]
            )

        with_seed = report.guard(with_seed, sample_key)
    dataset = dataset.map(
        with_seed,
        num_parallel_calls=AUTOTUNE,
        deterministic=deterministic,
    )
    if report is not None:
        dataset = dataset.ignore_errors()
    if batch_size is not None:
        dataset = dataset.batch(
            batch_size,
            drop_remainder=config.training,
            num_parallel_calls=AUTOTUNE,
            deterministic=deterministic,
        )
    if report is not None:
        dataset = dataset.concatenate(_end_of_pass(report, dataset.element_spec))
    dataset = dataset.prefetch(AUTOTUNE)
    dataset.class_names = list(class_names)
    dataset.skipped = report if report is not None else SkipReport("unused")
    dataset.config = config
    return dataset


def _end_of_pass(report, element_spec):
    """An empty dataset whose iteration logs the skip count (appended to a pass).

    Its filter rejects the only element, so the placeholder it would map to is
    never produced; it exists to give the same element spec as the pass.
    """

    def empty_like(_):
        return tf.nest.map_structure(
            lambda spec: tf.zeros(
                [0 if d is None else d for d in spec.shape], spec.dtype
            ),
            element_spec,
        )

    def announce(_):
        return tf.py_function(report.announce, [], tf.bool)

    return tf.data.Dataset.range(1).filter(announce).map(empty_like)


def build_dataset(
    samples,
    *,
    num_segments=8,
    image_size=224,
    training=False,
    batch_size=32,
    num_clips=1,
    num_crops=1,
    crop_fraction=augment.EVAL_CROP_FRACTION,
    flip=False,
    on_error=None,
    shuffle=None,
    seed=None,
    dtype="uint8",
    min_decodable_fraction=decode.MIN_DECODABLE_FRACTION,
    frame_stride=None,
    crop_area="frame",
    crop_scales=None,
    name="dataset",
):
    """Turns a `Samples` table into a `tf.data.Dataset` of `(clips, labels)`.

    Args:
        samples: the `Samples` table (frame folders or video files).
        num_segments: `T`, frames per clip.
        image_size: output height and width.
        training: random segment frames, multi-scale crops, optional flips,
            shuffling, and whole batches only; otherwise evaluation sampling
            and centre (or three) crops.
        batch_size: clips per batch, or `None` for unbatched clips.
        num_clips: evaluation clips per video (`K`, evenly spread offsets).
        num_crops: evaluation crops per clip, 1 (centre) or 3.
        crop_fraction: side of the evaluation crops relative to the frame's
            shorter side: 224/256 (TSN's centre crop, the default), or 1 for
            the whole shorter side (the official test scripts' 256² crops
            with `image_size=256`).
        flip: random horizontal flips of whole clips when training.
        on_error: `"skip"` drops (and counts) unreadable samples, `"raise"`
            stops with an error naming the file; `None` skips when training
            and raises otherwise.
        shuffle: shuffle each pass (`None`: when training).
        seed: makes shuffling and augmentation reproducible.
        dtype: `"uint8"` or `"float32"` pixels, both in [0, 255].
        min_decodable_fraction: see `keras_action.data.decode.count_frames`.
        frame_stride: `None` for TSN sampling (one frame per segment of the
            whole video), or an int for dense sampling: T consecutive frames
            `frame_stride` apart, from a random start when training, centred
            otherwise (`keras_action.data.sampling.dense_indices`). Streaming
            models need dense sampling at the stride they will be fed at.
        crop_area: where training crops may lie: "frame" (anywhere, as TSN)
            or "centre" (in the frame's centred square, which the
            evaluation crops come from; see
            `keras_action.data.multiscale_crop_window`).
        crop_scales: training crop sizes as fractions of the frame's shorter
            side; `None`: TSN's `(1, 0.875, 0.75, 0.66)`.
        name: name used in skip warnings.

    Returns:
        A `tf.data.Dataset` of `(clips, labels)`: clips `(B, T, S, S, 3)` (or
        `(B, K·C, T, S, S, 3)` when evaluating several views per video) and
        int32 labels `(B,)`; with attributes `class_names` (list of str),
        `skipped` (a `SkipReport`) and `config` (the `ClipConfig`).
    """
    config = ClipConfig(
        num_segments=num_segments,
        image_size=image_size,
        training=training,
        num_clips=num_clips,
        num_crops=num_crops,
        crop_fraction=crop_fraction,
        flip=flip,
        dtype=dtype,
        frame_stride=frame_stride,
        crop_area=crop_area,
        scales=tuple(crop_scales or augment.SCALES),
    )
    on_error = resolve_on_error(on_error, training)
    diagnose = undecodable_frame if samples.kind == "frames" else None
    report = SkipReport(name, diagnose) if on_error == "skip" else None
    builder = ClipBuilder(config, report)
    if samples.kind == "frames":
        load = frames_loader(builder, samples.pattern)
    else:
        load = video_loader(builder, min_decodable_fraction)
    elements = tf.data.Dataset.from_tensor_slices(
        (
            tf.constant(samples.sources, tf.string),
            tf.constant(samples.first_frames, tf.int64),
            tf.constant(samples.num_frames, tf.int64),
            tf.constant(samples.labels, tf.int32),
        )
    )
    return assemble(
        elements,
        load,
        config,
        report=report,
        class_names=samples.class_names,
        batch_size=batch_size,
        shuffle=training if shuffle is None else shuffle,
        seed=seed,
        shuffle_buffer=max(len(samples), 1),  # file names: all fit
    )


def load_split(samples, dataset, split, *, training=None, **options):
    """The one path from a dataset's split to its `tf.data.Dataset`.

    Every dataset's `load_*` entry point lists its split's `Samples` (how a
    dataset is laid out is all that differs) and hands them here.

    Args:
        samples: the split's `Samples`.
        dataset: the dataset's name; skip warnings name `<dataset>/<split>`.
        split: the split's name.
        training: training sampling and augmentation (default: for "train").
        **options: the other arguments of `build_dataset`.

    Returns:
        The dataset of `build_dataset`: `(clips (B, T, S, S, 3), labels (B,))`
        with `class_names`, `skipped` and `config` attributes.
    """
    training = split == "train" if training is None else training
    return build_dataset(
        samples, training=training, name=f"{dataset}/{split}", **options
    )
