import gc
import tempfile
import time

import numpy as np
import pytest

from keras_action import data
from keras_action.data import gesture_scene, synthetic


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


def test_realistic_set_has_jester_frames_and_time_reversed_pairs(tmp_path):
    root = data.write_synthetic_jester(
        tmp_path,
        clips_per_class=4,
        num_classes=4,
        num_frames=(6, 8),
        difficulty="easy",
        num_subjects=4,
    )
    train = data.list_jester(root, "train")
    assert len(train) == 12 and len(data.list_jester(root, "validation")) == 4
    import cv2

    frame = cv2.imread(f"{train.sources[0]}/00001.jpg")
    assert frame.shape == (*synthetic.JESTER_SIZE, 3)


def _similarity(a, b):
    """Correlation of two clips' first-frame corners: the room, not the hand
    (and not the exposure, which changes from clip to clip)."""
    import cv2

    a, b = (cv2.imread(f"{s}/00001.jpg")[:25, :40].ravel() for s in (a, b))
    return np.corrcoef(a.astype(np.float32), b.astype(np.float32))[0, 1]


def test_subjects_share_a_room_across_classes_and_split_by_person(tmp_path):
    root = data.write_synthetic_jester(
        tmp_path,
        clips_per_class=6,
        num_classes=4,
        num_frames=(4, 4),
        difficulty="easy",
        num_subjects=3,
    )
    train, validation = (data.list_jester(root, s) for s in ("train", "validation"))
    # Clip k of each class is subject k % 3; subject 0 is the validation split.
    assert len(validation) == 8 and len(train) == 16
    by_class = [
        [s for s, y in zip(train.sources, train.labels, strict=True) if y == c]
        for c in range(4)
    ]
    same_room = _similarity(by_class[0][0], by_class[3][0])
    other_room = _similarity(by_class[0][0], by_class[0][1])
    seen = max(_similarity(v, t) for v in validation.sources for t in train.sources)
    assert same_room > 0.9 > max(other_room, seen)
    with pytest.raises(ValueError, match="num_subjects must be at least 1"):
        data.write_synthetic_jester(tmp_path / "x", difficulty="easy", num_subjects=0)
    with pytest.raises(ValueError, match="realistic set"):
        data.write_synthetic_jester(tmp_path / "y", num_subjects=2)


def _hand_path(motion, difficulty="medium", seed=0):
    rng = np.random.default_rng(seed)
    return gesture_scene._hand_poses(
        motion, 16, 100, 176, gesture_scene.get_difficulty(difficulty), rng
    )


def test_each_gesture_moves_the_hand_its_own_way_with_pauses():
    x, y, length, angle = _hand_path("move_x").T
    assert x[-1] - x[0] > 0.1 * 176 and abs(y[-1] - y[0]) < 0.05 * 100
    x, y, length, angle = _hand_path("move_y").T
    assert y[-1] - y[0] > 0.1 * 100 and abs(x[-1] - x[0]) < 0.05 * 176
    x, y, length, angle = _hand_path("grow").T
    assert np.all(np.diff(length) >= 0) and length[-1] > 1.5 * length[0]
    x, y, length, angle = _hand_path("turn").T
    assert np.all(np.diff(angle) >= 0) and angle[-1] - angle[0] >= 90
    # The hand holds still at the start or the end of some clips.
    steps = [np.diff(_hand_path("grow", "hard", seed)[:, 2]) for seed in range(5)]
    assert any(s[0] == 0 for s in steps) and any(s[-1] == 0 for s in steps)
    assert all(s.max() > 0 for s in steps)


def test_realistic_clips_are_cluttered_and_noisy():
    rng = np.random.default_rng(1)
    hard = gesture_scene.get_difficulty("hard")
    frames = gesture_scene.render_gesture("move_x", 8, 100, 176, hard, rng)
    assert frames.shape == (8, 100, 176, 3) and frames.dtype == np.uint8
    # Textured background: far from uniform; noise: consecutive frames differ
    # even where nothing moves (the top rows, above the hand).
    assert frames[0].std() > 20
    assert np.abs(frames[1, :10].astype(int) - frames[0, :10]).mean() > 1


def test_difficulty_presets_and_errors(tmp_path):
    assert set(gesture_scene.DIFFICULTIES) == {"easy", "medium", "hard"}
    with pytest.raises(ValueError, match="difficulty must be"):
        data.write_synthetic_jester(tmp_path, difficulty="extreme")
    with pytest.raises(ValueError, match="realistic set"):
        data.write_synthetic_jester(tmp_path, backgrounds=tmp_path)


def test_backgrounds_from_a_folder_of_images_and_videos(tmp_path):
    folder = tmp_path / "backgrounds"
    folder.mkdir()
    import cv2

    cv2.imwrite(str(folder / "a.jpg"), np.full((50, 80, 3), 200, np.uint8))
    (folder / "broken.mp4").write_bytes(b"not a video")
    scenes = gesture_scene.load_backgrounds(folder, (40, 60))
    assert len(scenes) == 1 and scenes[0].shape == (40, 60, 3)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no decodable video or image"):
        gesture_scene.load_backgrounds(tmp_path / "empty", (40, 60))
    root = data.write_synthetic_jester(
        tmp_path / "set",
        clips_per_class=2,
        num_classes=2,
        num_frames=(4, 4),
        difficulty="easy",
        backgrounds=folder,
    )
    assert len(data.list_jester(root, "train")) == 4


def test_realistic_same_seed_same_data(tmp_path):
    options = {"clips_per_class": 1, "num_classes": 2, "difficulty": "hard", "seed": 3}
    a = data.write_synthetic_jester(tmp_path / "a", **options)
    b = data.write_synthetic_jester(tmp_path / "b", **options)
    first = "20bn-jester-v1/2/00003.jpg"
    assert (a / first).read_bytes() == (b / first).read_bytes()


def test_load_synthetic_jester_loads_a_temporary_dataset(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dataset = data.load_synthetic_jester(
        "validation", num_segments=2, image_size=32, batch_size=None
    )
    (folder,) = tmp_path.glob("keras_action_*")
    clip, label = next(iter(dataset))
    assert clip.shape == (2, 32, 32, 3)
    assert dataset.class_names[int(label)] in synthetic.CLASS_NAMES
    assert (folder / "synthetic" / "jester-v1-validation.csv").is_file()
    del dataset
    gc.collect()
    assert not folder.exists()
