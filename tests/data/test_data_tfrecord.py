import numpy as np
import pytest
import tensorflow as tf

from keras_action import data
from tests.data.conftest import copy_video


def collect(dataset):
    clips, labels = zip(*[(c.numpy(), y.numpy()) for c, y in dataset], strict=True)
    return np.concatenate(clips), np.concatenate(labels)


def test_round_trip_matches_the_folder_pipeline(synthetic_root, tmp_path):
    samples = data.list_jester(synthetic_root, "validation")
    shards, skipped = data.write_tfrecords(samples, tmp_path, num_shards=3, verbose=0)
    assert len(shards) == 3 and skipped == 0
    options = dict(num_segments=4, image_size=16, batch_size=4)
    from_records = data.load_tfrecords(tmp_path, **options)
    assert from_records.class_names == samples.class_names
    clips, labels = collect(from_records)
    # Round-robin sharding interleaved back: same clips, order aside.
    expected_clips, expected_labels = collect(
        data.load_jester(synthetic_root, "validation", **options)
    )
    assert sorted(labels.tolist()) == sorted(expected_labels.tolist())
    assert sorted(c.tobytes() for c in clips) == sorted(
        c.tobytes() for c in expected_clips
    )


def test_training_reads_and_workers_split_the_shards(synthetic_root, tmp_path):
    samples = data.list_jester(synthetic_root, "train")
    data.write_tfrecords(samples, tmp_path, num_shards=4, verbose=0)
    options = dict(num_segments=4, image_size=16, training=True, batch_size=None)
    elements = list(data.load_tfrecords(tmp_path, **options))
    clips, labels = zip(*elements, strict=True)
    assert len(labels) == len(samples) and clips[0].shape == (4, 16, 16, 3)
    halves = [
        len(
            list(
                data.load_tfrecords(tmp_path, num_workers=2, worker_index=i, **options)
            )
        )
        for i in range(2)
    ]
    assert halves == [len(samples) // 2] * 2


def test_videos_are_encoded_and_bad_ones_skipped_or_raised(videos, tmp_path):
    paths = [
        copy_video(videos, name, tmp_path / "in" / name)
        for name in ("counter_hevc.mp4", "garbage_stream.mp4")
    ]
    samples = data.Samples(paths, [0, 1], ["a", "b"], kind="video")
    with pytest.raises(data.VideoDecodeError, match="garbage_stream.mp4"):
        data.write_tfrecords(samples, tmp_path / "r1", num_shards=1, verbose=0)
    _, skipped = data.write_tfrecords(
        samples,
        tmp_path / "r2",
        num_shards=1,
        short_side=32,
        on_error="skip",
        verbose=0,
    )
    assert skipped == 1
    dataset = data.load_tfrecords(tmp_path / "r2", num_segments=4, image_size=8)
    clips, labels = collect(dataset)
    assert clips.shape == (1, 4, 8, 8, 3) and labels.tolist() == [0]


def test_missing_shards_are_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="shard"):
        data.load_tfrecords(tmp_path)


def test_fewer_shards_into_the_same_folder_replace_the_old_ones(
    synthetic_root, tmp_path
):
    samples = data.list_jester(synthetic_root, "validation")
    data.write_tfrecords(samples, tmp_path, num_shards=4, verbose=0)
    shards, _ = data.write_tfrecords(samples, tmp_path, num_shards=2, verbose=0)
    assert sorted(tmp_path.glob("shard-*")) == sorted(shards)
    assert not list(tmp_path.glob(".*partial"))
    dataset = data.load_tfrecords(tmp_path, num_segments=2, image_size=8)
    assert len(collect(dataset)[1]) == len(samples)  # each sample once


def damage(shard, how):
    content = shard.read_bytes()
    if how == "truncated":
        shard.write_bytes(content[: len(content) // 2])
    else:  # flip one byte in the middle: a CRC mismatch
        middle = len(content) // 2
        shard.write_bytes(
            content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]
        )


@pytest.mark.parametrize("how", ["truncated", "corrupt"])
def test_damaged_shards_are_counted_or_named(synthetic_root, tmp_path, how):
    samples = data.list_jester(synthetic_root, "validation")
    shards, _ = data.write_tfrecords(samples, tmp_path, num_shards=2, verbose=0)
    damage(shards[1], how)
    options = dict(num_segments=2, image_size=8, batch_size=1)
    skipping = data.load_tfrecords(tmp_path, on_error="skip", **options)
    read = len(collect(skipping)[1])
    assert read < len(samples)
    assert skipping.skipped.count == len(samples) - read  # every lost record
    assert shards[1].name in skipping.skipped.messages[0]
    raising = data.load_tfrecords(tmp_path, on_error="raise", **options)
    with pytest.raises(tf.errors.OpError, match=f"{shards[1].name}: truncated or"):
        collect(raising)


def test_shards_without_their_manifest_are_an_error(synthetic_root, tmp_path):
    samples = data.list_jester(synthetic_root, "validation")
    data.write_tfrecords(samples, tmp_path, num_shards=2, verbose=0)
    (tmp_path / "shards.json").unlink()
    with pytest.raises(FileNotFoundError, match="shards without shards.json"):
        data.load_tfrecords(tmp_path)
