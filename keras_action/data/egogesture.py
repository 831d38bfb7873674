"""EgoGesture: JPEG frames of long recordings, one sample per annotated gesture.

Layout (frames in `DATA/` or `DATA/images_320-240/`)::

    DATA/SubjectNN/SceneN/Color/rgbN/000001.jpg …
    DATA/labels-final-revised1/subjectNN/SceneN/GroupN.csv

Each CSV row `class,start,end` (1-based class, 1-based inclusive frame range)
is one sample from the frames of `rgbN` with the group's number N. Subjects
are split as in the EgoGesture paper (overridable with `subjects=`).
"""

import logging
import re
from pathlib import Path

from keras_action.data.annotations import check_unique, parse_index, read_rows
from keras_action.data.errors import AnnotationError
from keras_action.data.pipeline import build_dataset
from keras_action.data.samples import FramePattern, Samples

logger = logging.getLogger("keras_action.data")

NUM_CLASSES = 83
NUM_SUBJECTS = 50
#: The standard subject split of the EgoGesture paper.
TEST_SUBJECTS = (2, 9, 11, 14, 18, 19, 28, 31, 41, 47)
VALIDATION_SUBJECTS = (1, 7, 12, 13, 24, 29, 33, 34, 35, 37)
TRAIN_SUBJECTS = tuple(
    s
    for s in range(1, NUM_SUBJECTS + 1)
    if s not in TEST_SUBJECTS and s not in VALIDATION_SUBJECTS
)
SPLITS = {
    "train": TRAIN_SUBJECTS,
    "validation": VALIDATION_SUBJECTS,
    "test": TEST_SUBJECTS,
}
LABELS_DIR = "labels-final-revised1"
FRAMES_DIRS = ("images_320-240", "images")
#: The pipeline holds frame indices in 32 bits.
MAX_FRAME = 2**31 - 1
_GROUP = re.compile(r"^group(\d+)\.csv$", re.IGNORECASE)


def egogesture_class_names():
    """Placeholder names "gesture 01" … "gesture 83" for the 1-based CSV classes.

    The annotation files carry only numbers; pass the official names as
    `class_names=` to `load_egogesture` to have them attached instead.
    """
    return [f"gesture {i:02d}" for i in range(1, NUM_CLASSES + 1)]


def list_egogesture(
    root, split="train", subjects=None, frames_dir=None, class_names=None
):
    """The `Samples` of an EgoGesture split.

    Args:
        root: the dataset folder.
        split: "train", "validation" or "test" (ignored when `subjects` is given).
        subjects: subject numbers to use instead of the standard split.
        frames_dir: folder holding `SubjectNN/`, default `root/images_320-240`
            if it exists, else `root`.
        class_names: the 83 class names (default: `egogesture_class_names()`).

    Raises:
        AnnotationError: a row that is not `class,start,end` with a valid class
            and range, naming the CSV file and line.
    """
    if subjects is None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
        subjects = SPLITS[split]
    root = Path(root)
    class_names = list(class_names or egogesture_class_names())
    if len(class_names) != NUM_CLASSES:
        raise ValueError(
            f"EgoGesture has {NUM_CLASSES} classes, got {len(class_names)} names"
        )
    frames_root = Path(frames_dir) if frames_dir else _frames_root(root)
    sources, labels, firsts, counts = [], [], [], []
    missing = []
    for subject in subjects:
        label_dir = root / LABELS_DIR / f"subject{subject:02d}"
        if not label_dir.is_dir():
            missing.append(subject)
            continue
        for csv in sorted(label_dir.glob("*/*.csv")):
            group = _GROUP.match(csv.name)
            if not group:
                continue
            folder = frames_root / f"Subject{subject:02d}" / csv.parent.name / "Color"
            folder = folder / f"rgb{int(group.group(1))}"
            for label, start, end in _read_rows(csv):
                sources.append(folder)
                labels.append(label)
                firsts.append(start)
                counts.append(end - start + 1)
    if missing:
        logger.warning("EgoGesture: no labels for subject(s) %s in %s", missing, root)
    if not sources:
        raise AnnotationError(
            root / LABELS_DIR, None, f"no annotations for subjects {list(subjects)}"
        )
    return Samples(
        sources,
        labels,
        class_names,
        first_frames=firsts,
        num_frames=counts,
        pattern=FramePattern("", 6, ".jpg"),
    )


def load_egogesture(
    root,
    split="train",
    *,
    num_segments=8,
    image_size=224,
    training=None,
    batch_size=32,
    flip=False,
    subjects=None,
    frames_dir=None,
    class_names=None,
    **options,
):
    """A `tf.data.Dataset` of EgoGesture clips and labels.

    Args:
        root: the dataset folder.
        split: "train", "validation" or "test" (standard subject split).
        num_segments: frames per clip (`T`).
        image_size: output height and width.
        training: training sampling and augmentation (default: `split == "train"`).
        batch_size: clips per batch (`None`: unbatched).
        flip: random horizontal flips; off by default because EgoGesture has
            left/right gesture pairs.
        subjects, frames_dir, class_names: see `list_egogesture`.
        **options: `num_clips`, `num_crops`, `on_error`, `shuffle`, `seed`,
            `dtype`, `frame_stride`; see `keras_action.data.build_dataset`.

    Returns:
        Dataset of `(clips (B, T, S, S, 3), labels (B,) int32)` with
        `class_names` and `skipped` attributes.
    """
    training = split == "train" if training is None else training
    samples = list_egogesture(root, split, subjects, frames_dir, class_names)
    return build_dataset(
        samples,
        num_segments=num_segments,
        image_size=image_size,
        training=training,
        batch_size=batch_size,
        flip=flip,
        name=f"egogesture/{split}",
        **options,
    )


def _frames_root(root):
    for name in FRAMES_DIRS:
        if (root / name).is_dir():
            return root / name
    return root


def _read_rows(path):
    """`(label, start, end)` per row: 0-based label, 1-based frames."""
    rows = []
    for line, fields in read_rows(path, header=("class", "start", "end")):
        values = [parse_index(field) for field in fields]
        if len(values) != 3 or None in values:
            raise AnnotationError(
                path, line, f"expected 'class,start,end', got {','.join(fields)!r}"
            )
        number, start, end = values
        if not 1 <= number <= NUM_CLASSES:
            raise AnnotationError(
                path, line, f"class {number} is not in 1..{NUM_CLASSES}"
            )
        if not 1 <= start <= end <= MAX_FRAME:
            raise AnnotationError(
                path,
                line,
                f"bad frame range {start}..{end} (frames are 1..{MAX_FRAME})",
            )
        rows.append((line, (start, end), number - 1))
    check_unique(path, rows)
    return [(label, start, end) for _, (start, end), label in rows]
