"""Jester-layout datasets of rendered clips, for the demo, tests and benchmarks.

Classes come in time-reversed pairs: every clip of the second class of a pair
is a clip of the first class played backwards (an object moving right vs
left, down vs up, growing vs shrinking, turning clockwise vs
counterclockwise). Single frames of the two classes therefore have the same
distribution, and only a model that uses time order can tell them apart.

Two kinds of clips: the *plain* set (`difficulty=None`), a bright shape on a
uniform noisy background that any temporal model learns; and the *realistic*
set (`difficulty="easy" | "medium" | "hard"`), a hand-like shape gesturing in
front of a cluttered, textured scene at Jester's frame size (176×100), with
static and moving distractors, camera motion, pauses, blur, lighting changes
and sensor noise (see `keras_action.data.gesture_scene`).
"""

import math
import os
import shutil
import tempfile
import weakref
from pathlib import Path

import cv2
import numpy as np

from keras_action.data import gesture_scene

#: Jester's frame size, `(height, width)`: the realistic set's default.
JESTER_SIZE = (100, 176)

#: Class names, in label-file order: pairs (forward, backward).
CLASS_NAMES = (
    "Moving right",
    "Moving left",
    "Moving down",
    "Moving up",
    "Growing",
    "Shrinking",
    "Turning clockwise",
    "Turning counterclockwise",
)
_MOTIONS = ("move_x", "move_y", "grow", "turn")


def render_clip(motion, num_frames, height, width, rng):
    """Renders one forward clip of `motion` as uint8 frames `(N, H, W, 3)` (BGR).

    Args:
        motion: one of "move_x", "move_y", "grow", "turn".
        num_frames: frames in the clip.
        height, width: frame size.
        rng: `numpy.random.Generator` for colours, positions and speeds.
    """
    if motion not in _MOTIONS:
        raise ValueError(f"motion must be one of {_MOTIONS}, got {motion!r}")
    background = rng.integers(0, 120, size=3)
    noise = rng.integers(-25, 25, size=(height, width, 3))
    base = np.clip(background + noise, 0, 255).astype(np.uint8)
    colour = tuple(int(c) for c in rng.integers(140, 256, size=3))
    size = min(height, width)
    centre = np.array([width / 2, height / 2]) + rng.uniform(-0.1, 0.1, 2) * size
    progress = np.linspace(0.0, 1.0, num_frames)
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    for t, p in enumerate(progress):
        frame = base.copy()
        if motion in ("move_x", "move_y"):
            axis = 0 if motion == "move_x" else 1
            position = centre.copy()
            position[axis] = (0.2 + 0.6 * p) * (width if axis == 0 else height)
            half = max(size // 8, 2)
            top_left = (position - half).astype(int)
            cv2.rectangle(
                frame, tuple(top_left), tuple(top_left + 2 * half), colour, -1
            )
        elif motion == "grow":
            radius = max(int((0.08 + 0.3 * p) * size), 1)
            cv2.circle(frame, tuple(centre.astype(int)), radius, colour, -1)
        else:
            angle = 2 * math.pi * 0.75 * p  # clockwise on screen (y points down)
            tip = centre + 0.35 * size * np.array([math.cos(angle), math.sin(angle)])
            thickness = max(size // 12, 1)
            cv2.line(
                frame,
                tuple(centre.astype(int)),
                tuple(tip.astype(int)),
                colour,
                thickness,
            )
            cv2.circle(frame, tuple(tip.astype(int)), thickness + 1, colour, -1)
        frames[t] = frame
    return frames


def write_synthetic_jester(
    root,
    clips_per_class=10,
    num_classes=8,
    num_frames=(12, 20),
    image_size=None,
    validation_fraction=0.25,
    test_clips=0,
    jpeg_quality=90,
    seed=0,
    difficulty=None,
    backgrounds=None,
    num_subjects=None,
):
    """Writes a Jester-layout dataset of time-reversed class pairs.

    Layout: `root/20bn-jester-v1/<id>/00001.jpg…`, `root/jester-v1-labels.csv`,
    `root/jester-v1-train.csv`, `root/jester-v1-validation.csv` (`<id>;<label>`)
    and `root/jester-v1-test.csv` (ids only).

    Args:
        root: output folder (created).
        clips_per_class: clips of each class, split into train and validation.
        num_classes: even number of classes, at most 8 (see `CLASS_NAMES`).
        num_frames: `(min, max)` frames per clip, inclusive.
        image_size: `(height, width)` of the frames; default `(48, 64)` for
            the plain set, Jester's `(100, 176)` for the realistic one.
        validation_fraction: share of each class's clips listed for validation.
        test_clips: extra unlabelled clips listed in the test file.
        jpeg_quality: JPEG quality of the frames.
        seed: random seed; the same seed writes the same dataset.
        difficulty: `None` for the plain set, or a preset name ("easy",
            "medium", "hard") or `gesture_scene.Difficulty` for the realistic
            one.
        backgrounds: realistic set only: a folder of videos or images whose
            frames serve as the background of half of the subjects (the
            others get procedural textures).
        num_subjects: realistic set only: the number of performers, each in
            their own room (`gesture_scene.Subject`); clip `k` of every class
            is performed by subject `k % num_subjects`, and the first
            `round(num_subjects · validation_fraction)` subjects (at least
            one, and one fewer than all) are the validation split, as Jester
            splits by person. Default: one subject per two clips of a class.
            The plain set has no rooms: every clip is its own subject.

    Returns:
        `root` as a `Path`.

    Example:
        >>> from keras_action.data import load_jester
        >>> root = write_synthetic_jester("synthetic", clips_per_class=20)
        >>> train = load_jester(root, split="train", num_segments=4, image_size=32)
        >>> hard = write_synthetic_jester("gestures", difficulty="hard")
    """
    if num_classes % 2 or not 2 <= num_classes <= len(CLASS_NAMES):
        raise ValueError(f"num_classes must be even, 2 to {len(CLASS_NAMES)}")
    num_subjects = _num_subjects(num_subjects, difficulty, clips_per_class)
    root = Path(root)
    video_root = root / "20bn-jester-v1"
    video_root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    render = _renderer(difficulty, backgrounds, image_size, seed)
    names = CLASS_NAMES[:num_classes]
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
    splits = {"train": [], "validation": [], "test": []}
    clip_id = 0
    num_validation = _validation_subjects(num_subjects, validation_fraction)
    for label, name in enumerate(names):
        for k in range(clips_per_class + (test_clips if label == 0 else 0)):
            clip_id += 1
            count = int(rng.integers(num_frames[0], num_frames[1] + 1))
            frames = render(_MOTIONS[label // 2], count, rng, k % num_subjects)
            if label % 2:
                frames = frames[::-1]
            folder = video_root / str(clip_id)
            folder.mkdir(exist_ok=True)
            for t, frame in enumerate(frames, start=1):
                cv2.imwrite(str(folder / f"{t:05d}.jpg"), frame, params)
            if k >= clips_per_class:
                splits["test"].append(f"{clip_id}")
            elif k % num_subjects < num_validation:
                splits["validation"].append(f"{clip_id};{name}")
            else:
                splits["train"].append(f"{clip_id};{name}")
    (root / "jester-v1-labels.csv").write_text("\n".join(names) + "\n")
    for split, lines in splits.items():
        (root / f"jester-v1-{split}.csv").write_text("".join(f"{x}\n" for x in lines))
    return root


def load_synthetic_jester(split="train", *, clips_per_class=10, seed=0, **options):
    """A plain synthetic dataset in a temporary folder, loaded with `load_jester`.

    For when a few real-looking clips are needed and no dataset is at hand
    (int8 calibration, smoke tests). The frames are at least 48×64 and a third
    wider than `image_size`, so the evaluation crop is resized as with real
    videos. The folder is removed with the dataset (at the latest when the
    process exits).

    Args:
        split: "train", "validation" or "test".
        clips_per_class: see `write_synthetic_jester`.
        seed: seeds the clips written and the loader's shuffling and sampling.
        **options: `num_segments`, `image_size`, `training`, `batch_size` and
            the others of `keras_action.data.load_jester`.

    Returns:
        The `tf.data.Dataset` of `load_jester`.
    """
    # Writing needs only NumPy and OpenCV (`keras-action synthetic` runs
    # without TensorFlow); loading needs the tf.data pipeline.
    from keras_action.data.jester import load_jester

    size = options.get("image_size", 224)
    temporary = tempfile.mkdtemp(prefix="keras_action_")
    root = write_synthetic_jester(
        os.path.join(temporary, "synthetic"),
        clips_per_class=clips_per_class,
        image_size=(max(size, 48), max(size * 4 // 3, 64)),
        seed=seed,
    )
    dataset = load_jester(root, split, seed=seed, **options)
    weakref.finalize(dataset, shutil.rmtree, temporary, ignore_errors=True)
    return dataset


def _num_subjects(num_subjects, difficulty, clips_per_class):
    if difficulty is None:
        if num_subjects is not None:
            raise ValueError("num_subjects applies to the realistic set (difficulty=)")
        return clips_per_class
    if num_subjects is None:
        return -(-clips_per_class // 2)
    if num_subjects < 1:
        raise ValueError(f"num_subjects must be at least 1; got {num_subjects}")
    return num_subjects


def _validation_subjects(num_subjects, fraction):
    """At least one validation subject when asked for any, and one for training."""
    count = round(num_subjects * fraction)
    if fraction > 0:
        count = max(count, 1)
    return min(count, num_subjects - 1)


def _renderer(difficulty, backgrounds, image_size, seed):
    """`(motion, num_frames, rng, subject) -> frames` for the plain or realistic set."""
    if difficulty is None:
        if backgrounds is not None:
            raise ValueError("backgrounds apply to the realistic set (difficulty=)")
        height, width = image_size or (48, 64)
        return lambda motion, count, rng, subject: render_clip(
            motion, count, height, width, rng
        )
    difficulty = gesture_scene.get_difficulty(difficulty)
    height, width = image_size or JESTER_SIZE
    scenes = ()
    if backgrounds is not None:
        margin = gesture_scene.scene_margin(difficulty)
        size = (height + 2 * margin, width + 2 * margin)
        scenes = gesture_scene.load_backgrounds(backgrounds, size)
    subjects = {}

    def render(motion, count, rng, subject):
        # Each subject from its own generator: the same seed gives the same
        # subjects whatever the number of classes written.
        if subject not in subjects:
            subjects[subject] = gesture_scene.draw_subject(
                height,
                width,
                difficulty,
                np.random.default_rng([seed, subject]),
                scenes,
            )
        return gesture_scene.render_gesture(
            motion, count, height, width, difficulty, rng, subjects[subject]
        )

    return render
