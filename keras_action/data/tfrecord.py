"""TFRecord shards: write a dataset once, read it fast on many workers.

Each record holds one video: every frame JPEG-encoded (frame folders are
copied byte for byte; videos are decoded once with OpenCV and encoded), its
label and its source path. Reading samples frames per epoch exactly like the
folder pipelines, so training sampling stays random; only the sampled frames
are decoded. Class names are kept in `class_names.json` beside the shards.
"""

import json
import logging
import os
from pathlib import Path

import cv2
import keras
import tensorflow as tf

from keras_action.data import decode
from keras_action.data.errors import DataError
from keras_action.data.pipeline import (
    ClipBuilder,
    ClipConfig,
    assemble,
    resolve_on_error,
)
from keras_action.data.skipping import SkipReport, after
from keras_action.utils import atomic

logger = logging.getLogger("keras_action.data")

CLASS_NAMES_FILE = "class_names.json"
#: `{shard file name: record count}`: what a complete read must find.
MANIFEST_FILE = "shards.json"
_FEATURES = {
    "frames": tf.io.VarLenFeature(tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
    "source": tf.io.FixedLenFeature([], tf.string),
}


def write_tfrecords(
    samples,
    directory,
    num_shards=16,
    short_side=None,
    jpeg_quality=90,
    on_error="raise",
    verbose=1,
):
    """Writes `samples` as TFRecord shards `directory/shard-XXXXX-of-YYYYY.tfrecord`.

    Shards are written under temporary names and renamed when all are
    complete; then `shards.json` (each shard's record count) and
    `class_names.json` are replaced, and shards of an earlier write into the
    same folder are deleted, so that no sample is read twice.

    Args:
        samples: a `Samples` table, e.g. from `list_jester`.
        directory: output folder (created).
        num_shards: number of files; samples are dealt round-robin.
        short_side: if given, frames are resized so their shorter side has
            this many pixels (and re-encoded); otherwise JPEG frames are copied.
        jpeg_quality: quality of frames that are (re-)encoded.
        on_error: "raise" stops at the first unreadable sample, naming it;
            "skip" leaves it out and logs it.
        verbose: 1 shows a progress bar.

    Returns:
        `(shard paths, number of samples skipped)`.
    """
    if on_error not in ("skip", "raise"):
        raise ValueError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
    if num_shards < 1:
        raise ValueError(f"num_shards must be at least 1, got {num_shards}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [
        directory / f"shard-{i:05d}-of-{num_shards:05d}.tfrecord"
        for i in range(num_shards)
    ]
    partials = [path.with_name(f".{path.name}.partial") for path in paths]
    counts = [0] * num_shards
    progress = keras.utils.Progbar(len(samples), unit_name="video") if verbose else None
    skipped = 0
    writers = [tf.io.TFRecordWriter(str(path)) for path in partials]
    try:
        for index in range(len(samples)):
            try:
                frames = _encoded_frames(samples, index, short_side, jpeg_quality)
            except (OSError, DataError) as error:
                if on_error == "raise":
                    raise
                skipped += 1
                logger.warning(
                    "write_tfrecords: skipping %s: %s", samples.sources[index], error
                )
            else:
                record = _example(frames, samples.labels[index], samples.sources[index])
                shard = (index - skipped) % num_shards
                writers[shard].write(record)
                counts[shard] += 1
            if progress:
                progress.add(1)
        for writer in writers:
            writer.close()
    except BaseException:
        for writer, partial in zip(writers, partials, strict=True):
            writer.close()
            partial.unlink(missing_ok=True)
        raise
    for partial, path in zip(partials, paths, strict=True):
        atomic.fsync_file(partial)
        os.replace(partial, path)
    atomic.fsync_directory(directory)
    manifest = {path.name: count for path, count in zip(paths, counts, strict=True)}
    atomic.write_text(directory / MANIFEST_FILE, json.dumps(manifest, indent=1))
    atomic.write_text(
        directory / CLASS_NAMES_FILE, json.dumps(list(samples.class_names))
    )
    for stale in directory.glob("shard-*.tfrecord"):
        if stale.name not in manifest:
            stale.unlink()
    return paths, skipped


def load_tfrecords(
    directory,
    *,
    num_segments=8,
    image_size=224,
    training=False,
    batch_size=32,
    flip=False,
    shuffle_buffer=1024,
    num_workers=1,
    worker_index=0,
    on_error=None,
    shuffle=None,
    seed=None,
    **options,
):
    """A `tf.data.Dataset` of clips read from shards written by `write_tfrecords`.

    The shards read are those `shards.json` lists, each checked against its
    record count: a truncated or corrupt shard is an error naming it, or
    under `on_error="skip"`, its lost records are counted in `skipped`.

    Args:
        directory: the shards' folder.
        num_segments, image_size, training, batch_size, flip: as for the loaders.
        shuffle_buffer: records in the shuffle buffer (shard order is shuffled too).
        num_workers, worker_index: read every `num_workers`-th shard starting at
            `worker_index`, so that each worker of a cluster reads its own.
        on_error, shuffle, seed: see `keras_action.data.build_dataset`.
        **options: `num_clips`, `num_crops`, `dtype`.

    Returns:
        Dataset of `(clips, labels)` with `class_names` and `skipped` attributes.
    """
    directory = Path(directory)
    manifest = _read_manifest(directory)
    class_names = json.loads((directory / CLASS_NAMES_FILE).read_text())
    config = ClipConfig(
        num_segments=num_segments,
        image_size=image_size,
        training=training,
        flip=flip,
        **options,
    )
    on_error = resolve_on_error(on_error, training)
    report = SkipReport(f"tfrecords:{directory.name}") if on_error == "skip" else None
    shuffle = training if shuffle is None else shuffle
    files = sorted(manifest)
    shards = tf.data.Dataset.from_tensor_slices(
        (
            tf.constant([str(directory / name) for name in files]),
            tf.constant([manifest[name] for name in files], tf.int64),
        )
    ).shard(num_workers, worker_index)
    if shuffle:
        shards = shards.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    records = shards.interleave(
        lambda file, count: _checked_records(file, count, report),
        cycle_length=min(len(files), 8),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=seed is not None or not training,
    )
    return assemble(
        records.map(lambda record: (record,)),
        record_loader(ClipBuilder(config, report)),
        config,
        report=report,
        class_names=class_names,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=shuffle_buffer,
        describe=_record_source,
    )


def _read_manifest(directory):
    """`{shard file name: record count}` from `shards.json`, every shard present."""
    path = directory / MANIFEST_FILE
    if not path.is_file():
        found = "shards without " if any(directory.glob("shard-*")) else "no "
        raise FileNotFoundError(
            f"{directory}: {found}{MANIFEST_FILE}; write the shards with "
            "`keras_action.data.write_tfrecords`"
        )
    manifest = json.loads(path.read_text())
    missing = [name for name in sorted(manifest) if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: shard(s) {missing} listed but missing")
    if not manifest:
        raise FileNotFoundError(f"{directory}: {MANIFEST_FILE} lists no shard")
    return manifest


def _record_source(record):
    return tf.io.parse_single_example(record, {"source": _FEATURES["source"]})["source"]


def _checked_records(file, expected, report):
    """The records of one shard, then a check that all `expected` were read.

    TensorFlow stops silently at a truncated record and with an error that
    names no file at a corrupt one; so the shard is read to its first error
    and the records read are compared with the count written.
    """
    records = tf.data.TFRecordDataset(file).ignore_errors()
    marked = records.map(lambda record: (record, False)).concatenate(
        tf.data.Dataset.from_tensors((tf.constant(b""), True))
    )
    counted = marked.scan(
        tf.constant(0, tf.int64),
        lambda seen, element: (seen + 1, (*element, seen)),
    )

    def keep(record, is_end, seen):
        del record
        return tf.cond(
            is_end, lambda: _shard_complete(file, expected, seen, report), lambda: True
        )

    return counted.filter(keep).map(lambda record, is_end, seen: record)


def _shard_complete(file, expected, seen, report):
    """False, after counting (or raising on) the records a shard lost."""
    message = tf.strings.join(
        [
            file,
            ": truncated or corrupt: ",
            tf.strings.as_string(seen),
            " of its ",
            tf.strings.as_string(expected),
            " records read",
        ]
    )
    complete = tf.equal(seen, expected)
    if report is None:
        checked = tf.debugging.Assert(complete, [message])
    else:
        checked = tf.cond(
            complete,
            lambda: tf.constant(True),
            lambda: report.lost(tf.abs(expected - seen), message),
        )
    return after(checked, tf.constant(False))


def record_loader(builder):
    """Per-sample function for serialized records."""

    def load(record, seed):
        index_seed, clip_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2)
        )
        example = tf.io.parse_single_example(record, _FEATURES)
        frames, source = example["frames"].values, example["source"]
        count = tf.size(frames)
        present = builder.require(
            count > 0, tf.strings.join(["record without frames: ", source])
        )
        indices = builder.indices(after(present, count), index_seed)
        contents = tf.gather(frames, indices)
        names = tf.strings.join(
            [source, " (frame ", tf.strings.as_string(indices + 1), ")"]
        )
        clip = builder.jpeg_clip(builder.check_jpegs(contents, names), clip_seed)
        return clip, tf.cast(example["label"], tf.int32)

    return load


def _encoded_frames(samples, index, short_side, quality):
    """All frames of sample `index` as JPEG bytes."""
    source = samples.sources[index]
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    if samples.kind == "video":
        images = decode.iter_frames(source)
    else:
        files = _frame_files(samples, index)
        if short_side is None:
            return [Path(file).read_bytes() for file in files]
        images = (_imread(file) for file in files)
    encoded = []
    for image in images:
        if short_side is not None:
            image = _resize_short_side(image, short_side)
        ok, buffer = cv2.imencode(".jpg", image, params)
        if not ok:
            raise DataError(f"{source}: JPEG encoding failed")
        encoded.append(buffer.tobytes())
    return encoded


def _frame_files(samples, index):
    source, pattern = samples.sources[index], samples.pattern
    first, count = samples.first_frames[index], samples.num_frames[index]
    if count < 0:
        count = pattern.count(source, first)
    return [os.path.join(source, pattern.name(first + i)) for i in range(count)]


def _imread(file):
    image = cv2.imread(file, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{file}: not a readable image")
    return image


def _resize_short_side(image, short_side):
    height, width = image.shape[:2]
    scale = short_side / min(height, width)
    size = (max(round(width * scale), 1), max(round(height * scale), 1))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _bytes_feature(values):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))


def _example(frames, label, source):
    features = {
        "frames": _bytes_feature(frames),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        "source": _bytes_feature([str(source).encode()]),
    }
    return tf.train.Example(
        features=tf.train.Features(feature=features)
    ).SerializeToString()
