import shutil

import numpy as np
import pytest
import tensorflow as tf

from keras_action import data
from keras_action.data import AnnotationError
from tests.data.conftest import make_jester, solid_frames


def collect(dataset):
    clips, labels = zip(*[(c.numpy(), y.numpy()) for c, y in dataset], strict=True)
    return np.concatenate(clips), np.concatenate(labels)


def test_loads_the_synthetic_dataset_for_training_and_validation(synthetic_root):
    train = data.load_jester(
        synthetic_root,
        "train",
        num_segments=4,
        image_size=32,
        training=True,
        batch_size=4,
    )
    assert train.element_spec[0].shape.as_list() == [4, 4, 32, 32, 3]
    assert train.element_spec[1].dtype == tf.int32
    clips, labels = collect(train)
    assert clips.dtype == np.uint8 and clips.shape[1:] == (4, 32, 32, 3)
    assert len(labels) == 32  # 8 classes x 4 train clips, whole batches
    assert sorted(set(labels.tolist())) == list(range(8))
    assert train.class_names == list(data.synthetic.CLASS_NAMES)
    assert train.skipped.count == 0
    val = data.load_jester(
        synthetic_root, "validation", num_segments=4, image_size=32, batch_size=5
    )
    clips, labels = collect(val)
    assert len(labels) == 16  # 8 x 2, the last batch kept
    # Evaluation is deterministic: two passes give the same clips.
    np.testing.assert_array_equal(clips, collect(val)[0])


def test_class_indices_follow_the_labels_file_not_the_alphabet(tmp_path):
    clip = solid_frames([100] * 3)
    root = make_jester(
        tmp_path, {1: ("Zoom", clip), 2: ("Alpha", clip)}, labels=("Zoom", "Alpha")
    )
    dataset = data.load_jester(root, "validation", num_segments=2, image_size=8)
    assert dataset.class_names == ["Zoom", "Alpha"]
    assert collect(dataset)[1].tolist() == [0, 1]


def test_validation_samples_segment_centres(tmp_path):
    values = list(range(0, 240, 20))  # frame i is grey 20·i
    root = make_jester(tmp_path, {7: ("Swiping Left", solid_frames(values))})
    clips, _ = collect(
        data.load_jester(root, "validation", num_segments=4, image_size=8)
    )
    means = clips[0].reshape(4, -1).mean(axis=1)
    np.testing.assert_allclose(means, [20, 80, 140, 200], atol=2)  # frames 1, 4, 7, 10


def test_test_split_has_unknown_labels(synthetic_root):
    dataset = data.load_jester(synthetic_root, "test", num_segments=2, image_size=8)
    clips, labels = collect(dataset)
    assert labels.tolist() == [-1, -1] and clips.shape[0] == 2


def test_several_clips_and_three_crops(synthetic_root):
    dataset = data.load_jester(
        synthetic_root,
        "validation",
        num_segments=2,
        image_size=16,
        num_clips=2,
        num_crops=3,
    )
    clips, _ = collect(dataset)
    assert clips.shape == (16, 6, 2, 16, 16, 3)
    assert not np.array_equal(clips[:, 0], clips[:, 1])  # the crops differ


@pytest.mark.parametrize(
    "crop_fraction, side, starts", [(1.0, 48, (0, 8, 16)), (0.5, 24, (0, 20, 40))]
)
def test_three_crops_of_a_fraction_of_the_shorter_side(
    tmp_path, crop_fraction, side, starts
):
    """The official test scripts' view (`crop_fraction=1`): three squares of the
    whole shorter side, left, centre and right along the longer one. Columns
    of the 48×64 frame hold 4·x, so each crop's mean tells where it starts."""
    frame = np.broadcast_to(
        4 * np.arange(64, dtype=np.uint8)[None, :, None], (48, 64, 3)
    )
    root = make_jester(tmp_path, {0: ("Swiping Left", [frame] * 4)})
    dataset = data.load_jester(
        root,
        "validation",
        num_segments=2,
        image_size=side,
        num_crops=3,
        crop_fraction=crop_fraction,
    )
    clips, _ = collect(dataset)
    assert clips.shape == (1, 3, 2, side, side, 3)
    expected = [4 * (start + (side - 1) / 2) for start in starts]
    np.testing.assert_allclose(clips[0].mean(axis=(1, 2, 3, 4)), expected, atol=2)


def test_same_crop_for_every_frame_of_a_clip(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    root = make_jester(tmp_path, {i: ("Swiping Left", [noise] * 6) for i in range(8)})
    dataset = data.load_jester(
        root,
        "train",
        num_segments=4,
        image_size=16,
        training=True,
        batch_size=8,
        seed=3,
    )
    clips, _ = collect(dataset)
    for clip in clips:
        for frame in clip[1:]:
            np.testing.assert_array_equal(frame, clip[0])
    assert len({clip.tobytes() for clip in clips}) > 2  # crops differ between clips


def gradient_root(tmp_path):
    """Frames brightening left to right: a flip shows as a decreasing row."""
    ramp = np.tile(np.linspace(0, 250, 64).astype(np.uint8)[None, :, None], (48, 1, 3))
    return make_jester(tmp_path, {i: ("Swiping Left", [ramp] * 4) for i in range(24)})


def flipped_clips(dataset):
    clips, _ = collect(dataset)
    rows = clips[:, :, 8, :, 0].astype(int)  # (clips, T, width)
    left, right = rows[..., :4].mean(axis=(1, 2)), rows[..., -4:].mean(axis=(1, 2))
    return int(np.sum(left > right))


def test_flipping_is_off_by_default_for_jester(tmp_path):
    root = gradient_root(tmp_path)
    options = dict(num_segments=2, image_size=16, training=True, batch_size=8, seed=0)
    assert flipped_clips(data.load_jester(root, "train", **options)) == 0
    assert 3 < flipped_clips(data.load_jester(root, "train", flip=True, **options)) < 21


def test_float32_output(synthetic_root):
    dataset = data.load_jester(
        synthetic_root, "validation", num_segments=2, image_size=8, dtype="float32"
    )
    clips, _ = collect(dataset)
    assert clips.dtype == np.float32 and clips.min() >= 0 and clips.max() <= 255


def test_real_frame_folder_matches_a_direct_decode(videos, tmp_path):
    root = tmp_path / "jester"
    shutil.copytree(videos / "frames_bbb", root / "20bn-jester-v1" / "bbb")
    (root / "jester-v1-labels.csv").write_text("Bunny\n")
    (root / "jester-v1-validation.csv").write_text("bbb;Bunny\n")
    clips, labels = collect(
        data.load_jester(root, "validation", num_segments=4, image_size=32)
    )
    assert clips.shape == (1, 4, 32, 32, 3) and labels.tolist() == [0]
    # Centre frames of 4 segments of 25 frames: 3, 9, 15, 21 (0-based); shorter
    # side 720 -> centre square of 630 px, resized to 32.
    for t, index in enumerate([3, 9, 15, 21]):
        frame = tf.io.decode_jpeg(
            tf.io.read_file(str(root / f"20bn-jester-v1/bbb/{index + 1:05d}.jpg"))
        )
        crop = frame[45 : 45 + 630, 325 : 325 + 630]
        expected = tf.image.resize(crop, [32, 32]).numpy()
        np.testing.assert_allclose(clips[0, t], expected, atol=2)


@pytest.mark.parametrize(
    "content, line, reason",
    [
        ("1;Swiping Left\n2 Swiping Right\n", 2, "expected '<id>;<label>'"),
        ("1;Swiping Left\n\n3;Swiping Up\n", 3, "'Swiping Up' is not in the labels"),
    ],
)
def test_annotation_errors_name_file_and_line(tmp_path, content, line, reason):
    root = make_jester(tmp_path, {})
    (root / "jester-v1-train.csv").write_text(content)
    with pytest.raises(
        AnnotationError, match=f"jester-v1-train.csv:{line}: .*{reason}"
    ) as error:
        data.list_jester(root, "train")
    assert error.value.line == line


def test_missing_annotation_file_is_an_error(tmp_path):
    with pytest.raises(AnnotationError, match="jester-v1-labels.csv"):
        data.list_jester(tmp_path, "train")


def test_model_fit_accepts_the_dataset_directly(synthetic_root):
    import keras

    train = data.load_jester(
        synthetic_root,
        "train",
        num_segments=2,
        image_size=16,
        training=True,
        batch_size=8,
    )
    model = keras.Sequential(
        [
            keras.Input((2, 16, 16, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.GlobalAveragePooling3D(),
            keras.layers.Dense(len(train.class_names)),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_frames_are_counted_by_their_numbered_names(tmp_path):
    # A stray thumbnail does not add a frame; an id with glob characters is
    # a plain folder name.
    root = make_jester(
        tmp_path,
        {"clip[1]": ("Swiping Left", solid_frames([40, 80, 120, 160]))},
    )
    folder = root / "20bn-jester-v1" / "clip[1]"
    (folder / "thumb.jpg").write_bytes((folder / "00001.jpg").read_bytes())
    (folder / "1.jpg").write_bytes((folder / "00001.jpg").read_bytes())
    dataset = data.load_jester(
        root, "validation", num_segments=4, image_size=8, batch_size=1
    )
    clips, _ = next(iter(dataset))
    np.testing.assert_allclose(
        clips.numpy()[0].reshape(4, -1).mean(1), [40, 80, 120, 160], atol=2
    )


def test_a_gap_in_the_frame_numbers_names_the_missing_frame(tmp_path):
    root = make_jester(tmp_path, {"7": ("Swiping Left", solid_frames([1, 2, 3]))})
    (root / "20bn-jester-v1/7/00002.jpg").unlink()
    dataset = data.load_jester(root, "validation", num_segments=2, image_size=8)
    with pytest.raises(tf.errors.OpError, match=r"frame missing: .*7/00002.jpg"):
        list(dataset)
