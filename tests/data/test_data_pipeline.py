"""Bad input and skip accounting, shared by every loader."""

import logging

import numpy as np
import pytest
import tensorflow as tf

from keras_action import data
from tests.data.conftest import copy_video, make_jester, solid_frames, write_frames

GOOD = solid_frames([60, 120, 180, 240])


def corrupt(root, clip_id, name, content):
    (root / "20bn-jester-v1" / str(clip_id) / name).write_bytes(content)


def bad_jester(tmp_path, case):
    """Two good clips and one bad one of the given kind."""
    root = make_jester(
        tmp_path, {1: ("Swiping Left", GOOD), 2: ("Swiping Right", GOOD)}
    )
    with (root / "jester-v1-train.csv").open("a") as annotations:
        annotations.write("3;Swiping Left\n")
    if case != "missing folder":
        write_frames(root / "20bn-jester-v1" / "3", GOOD)
    jpeg = (root / "20bn-jester-v1/1/00001.jpg").read_bytes()
    if case == "empty jpeg":
        corrupt(root, 3, "00002.jpg", b"")
    elif case == "truncated jpeg":
        corrupt(root, 3, "00002.jpg", jpeg[: len(jpeg) // 2])
    elif case == "not a jpeg":
        corrupt(root, 3, "00002.jpg", b"<html>404</html>")
    elif case == "missing frame":
        (root / "20bn-jester-v1/3/00002.jpg").unlink()
    return root


CASES = {
    "missing folder": "20bn-jester-v1/3/",
    "empty jpeg": "20bn-jester-v1/3/00002.jpg",
    "truncated jpeg": "20bn-jester-v1/3/00002.jpg",
    "not a jpeg": "20bn-jester-v1/3/00002.jpg",
    "missing frame": "20bn-jester-v1/3/00002.jpg",
}


def load(root, **options):
    return data.load_jester(root, "train", num_segments=4, image_size=8, **options)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_frames_are_skipped_and_counted_when_training(tmp_path, case, caplog):
    dataset = load(bad_jester(tmp_path, case), training=True, batch_size=1)
    with caplog.at_level(logging.WARNING, logger="keras_action.data"):
        clips = [c.numpy() for c, _ in dataset]
    assert len(clips) == 2
    assert all(clip.max() > 0 for clip in clips)  # never a clip of zeros
    assert dataset.skipped.count == 1
    assert "1 sample(s) skipped" in caplog.text
    # Diagnosed by the pipeline, with the file named (a missing frame when
    # the folder's frames are counted).
    assert CASES[case] in dataset.skipped.messages[0]
    assert CASES[case] in caplog.text
    # The count keeps growing over passes (the file is still bad).
    list(dataset)
    assert dataset.skipped.count == 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_frames_raise_an_error_naming_the_file(tmp_path, case):
    dataset = load(
        bad_jester(tmp_path, case), training=False, batch_size=1, shuffle=False
    )
    assert dataset.skipped.count == 0
    with pytest.raises(tf.errors.OpError, match=CASES[case]):
        list(dataset)


def test_on_error_overrides_the_default(tmp_path):
    root = bad_jester(tmp_path, "empty jpeg")
    with pytest.raises(tf.errors.OpError):
        list(load(root, training=True, on_error="raise"))
    assert len(list(load(root, training=False, on_error="skip", batch_size=1))) == 2
    with pytest.raises(ValueError, match="on_error"):
        load(root, on_error="ignore")


def video_samples(videos, tmp_path, names):
    paths = [copy_video(videos, name, tmp_path / name) for name in names]
    return data.Samples(
        paths, list(range(len(paths))), [n for n in names], kind="video"
    )


@pytest.mark.parametrize("bad", ["garbage_stream.mp4", "corrupted.mp4"])
def test_undecodable_and_damaged_videos_are_skipped_or_raised(videos, tmp_path, bad):
    samples = video_samples(videos, tmp_path, ["counter_hevc.mp4", bad, "bbb_vp8.webm"])
    options = dict(num_segments=4, image_size=8, batch_size=1)
    training = data.build_dataset(samples, training=True, **options)
    labels = sorted(int(y[0]) for _, y in training)
    assert labels == [0, 2]
    assert training.skipped.count == 1 and bad in training.skipped.messages[0]
    evaluation = data.build_dataset(samples, training=False, **options)
    with pytest.raises(tf.errors.OpError, match=bad):
        list(evaluation)


def test_damaged_video_is_read_when_tolerated(videos, tmp_path):
    samples = video_samples(videos, tmp_path, ["corrupted.mp4"])
    dataset = data.build_dataset(
        samples, num_segments=4, image_size=8, min_decodable_fraction=0, batch_size=None
    )
    ((clip, _),) = list(dataset)
    assert clip.shape == (4, 8, 8, 3) and clip.numpy().max() > 0


def test_skip_counts_are_exact_under_parallel_reads(tmp_path):
    clips = {i: ("Swiping Left", GOOD) for i in range(12)}
    root = make_jester(tmp_path, clips)
    for i in range(0, 12, 3):
        corrupt(root, i, "00003.jpg", b"")
    dataset = load(root, training=True, batch_size=2)
    assert sum(int(c.shape[0]) for c, _ in dataset) == 8
    assert dataset.skipped.count == 4
    assert len(dataset.skipped.messages) == 4


def test_config_validation():
    samples = data.Samples(["a"], [0], ["x"])
    with pytest.raises(ValueError, match="evaluation only"):
        data.build_dataset(samples, training=True, num_clips=2)
    with pytest.raises(ValueError, match="num_crops"):
        data.build_dataset(samples, num_crops=2)
    with pytest.raises(ValueError, match="dtype"):
        data.build_dataset(samples, dtype="float16")
    with pytest.raises(ValueError, match=r"crop scales .* \(0, 1\]"):
        data.build_dataset(samples, training=True, crop_scales=(1.0, 1.5))


@pytest.mark.parametrize("crop_scales, one_window", [((1.0,), True), (None, False)])
def test_crop_scales_set_the_training_crops(tmp_path, crop_scales, one_window):
    # A left-to-right ramp: windows of other sizes or places give other pixels.
    ramp = np.tile(np.linspace(0, 255, 48, dtype=np.uint8)[None, :, None], (32, 1, 3))
    root = make_jester(tmp_path, {"1": ("Swiping Right", [ramp] * 4)})
    dataset = data.load_jester(
        root,
        "train",
        num_segments=2,
        image_size=16,
        batch_size=None,
        crop_area="centre",
        crop_scales=crop_scales,
        seed=0,
    )
    clips = [clip.numpy().tobytes() for clip, _ in dataset.repeat().take(12)]
    assert (len(set(clips)) == 1) == one_window


def bogus_huffman_table(jpeg):
    """Valid start and end markers, a header TensorFlow cannot decode."""
    return jpeg.replace(b"\xff\xc4", b"\xff\xc4\xff\xff", 1)


@pytest.mark.parametrize("ids", [("3",), ("1", "10")])
def test_a_corrupt_jpeg_body_is_named_in_the_messages(tmp_path, ids):
    # Only TensorFlow's decoder sees this one, and its error names no file.
    clips = {i: ("Swiping Left", GOOD) for i in ("1", "10", "3")}
    root = make_jester(tmp_path, clips)
    for clip_id in ids:
        frame = root / "20bn-jester-v1" / clip_id / "00002.jpg"
        frame.write_bytes(bogus_huffman_table(frame.read_bytes()))
    dataset = load(root, training=True, batch_size=1)
    assert len(list(dataset)) == 3 - len(ids)
    assert dataset.skipped.count == len(ids)
    messages = sorted(dataset.skipped.messages)
    assert len(messages) == len(ids)  # one per failure, not one per file match
    for clip_id, message in zip(sorted(ids), messages, strict=True):
        assert f"20bn-jester-v1/{clip_id}/00002.jpg" in message
    list(dataset)  # a second pass adds to the count, not to the messages
    assert dataset.skipped.count == 2 * len(ids)
    assert len(dataset.skipped.messages) == len(ids)


def test_frames_of_changing_size_are_an_error_naming_the_file(tmp_path):
    frames = solid_frames([60, 120]) + solid_frames([180, 240], height=40)
    root = make_jester(
        tmp_path, {"1": ("Swiping Left", GOOD), "2": ("Swiping Left", frames)}
    )
    skipping = load(root, training=True, batch_size=1)
    assert len(list(skipping)) == 1 and skipping.skipped.count == 1
    (message,) = skipping.skipped.messages
    assert "frames differ in size: " in message and "2/0000" in message
    assert "is 40x48" in message and "is 32x48" in message
    with pytest.raises(tf.errors.OpError, match="frames differ in size: .*2/0000"):
        list(load(root, training=False, batch_size=1))
