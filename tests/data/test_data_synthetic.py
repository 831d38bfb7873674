import time

import numpy as np

from keras_action import data
from keras_action.data import synthetic


def centroid_x(frame):
    bright = frame.max(axis=-1) > 135
    return np.nonzero(bright)[1].mean()


def test_render_moves_the_object_in_the_named_direction():
    rng = np.random.default_rng(0)
    frames = synthetic.render_clip("move_x", 8, 48, 64, rng)
    xs = [centroid_x(f) for f in frames]
    assert np.all(np.diff(xs) > 0)
    sizes = [
        (f.max(-1) > 135).sum() for f in synthetic.render_clip("grow", 8, 48, 64, rng)
    ]
    assert np.all(np.diff(sizes) >= 0) and sizes[-1] > 4 * sizes[0]


def test_layout_and_time_reversed_pairs(tmp_path):
    root = data.write_synthetic_jester(
        tmp_path, clips_per_class=4, num_classes=4, num_frames=(6, 6), test_clips=1
    )
    assert data.jester_class_names(root) == list(synthetic.CLASS_NAMES[:4])
    train = data.list_jester(root, "train")
    validation = data.list_jester(root, "validation")
    assert (
        len(train) == 12
        and len(validation) == 4
        and len(data.list_jester(root, "test")) == 1
    )
    import cv2

    for source, label in zip(train.sources, train.labels, strict=True):
        frames = [cv2.imread(f"{source}/{i:05d}.jpg") for i in (1, 6)]
        if label in (0, 1):  # moving right / left
            moved = centroid_x(frames[1]) - centroid_x(frames[0])
            assert moved > 0 if label == 0 else moved < 0


def test_same_seed_same_data(tmp_path):
    a = data.write_synthetic_jester(tmp_path / "a", clips_per_class=1, seed=5)
    b = data.write_synthetic_jester(tmp_path / "b", clips_per_class=1, seed=5)
    first = "20bn-jester-v1/3/00002.jpg"
    assert (a / first).read_bytes() == (b / first).read_bytes()


def test_hundreds_of_clips_in_seconds(tmp_path):
    start = time.perf_counter()
    data.write_synthetic_jester(tmp_path, clips_per_class=40, num_frames=(8, 16))
    assert time.perf_counter() - start < 15  # 320 clips; about 2 s on 2 cores
