"""20BN-Jester V1: JPEG frame folders and `;`-separated split files.

Layout::

    DATA/20bn-jester-v1/<id>/00001.jpg …
    DATA/jester-v1-labels.csv        one class name per line
    DATA/jester-v1-train.csv         <id>;<label>   (no header)
    DATA/jester-v1-validation.csv    <id>;<label>
    DATA/jester-v1-test.csv          <id>

Class indices follow the order of `jester-v1-labels.csv` (not alphabetical,
as some tools sort them).
"""

from pathlib import Path

from keras_action.data.annotations import (
    check_unique,
    class_index,
    read_class_list,
    read_rows,
)
from keras_action.data.errors import AnnotationError
from keras_action.data.pipeline import load_split
from keras_action.data.samples import FramePattern, Samples

FRAMES_DIR = "20bn-jester-v1"
LABELS_FILE = "jester-v1-labels.csv"
SPLITS = ("train", "validation", "test")


def jester_class_names(root):
    """The 27 Jester classes (or those of `root`'s labels file), in file order."""
    return read_class_list(Path(root) / LABELS_FILE)


def list_jester(root, split="train", frames_dir=None):
    """The `Samples` of one Jester split.

    Args:
        root: the dataset folder (holding the CSV files).
        split: "train", "validation" or "test" (test labels are -1).
        frames_dir: frame folders' parent, default `root/20bn-jester-v1`.

    Returns:
        `Samples` of frame folders, frame counts found when read.

    Raises:
        AnnotationError: a line that does not parse or names an unknown class,
            with the file and line number.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(root)
    class_names = jester_class_names(root)
    lookup = {name: index for index, name in enumerate(class_names)}
    frames_dir = Path(frames_dir) if frames_dir else root / FRAMES_DIR
    path = root / f"jester-v1-{split}.csv"
    expected = "'<id>'" if split == "test" else "'<id>;<label>'"
    entries = []
    for line, fields in read_rows(path, delimiter=";"):
        if len(fields) != (1 if split == "test" else 2) or not fields[0]:
            raise AnnotationError(path, line, f"expected {expected}, got {fields!r}")
        label = -1 if split == "test" else class_index(lookup, fields[1], path, line)
        entries.append((line, fields[0], label))
    check_unique(path, entries)
    sources = [frames_dir / clip_id for _, clip_id, _ in entries]
    labels = [label for _, _, label in entries]
    return Samples(sources, labels, class_names, pattern=FramePattern("", 5, ".jpg"))


def load_jester(root, split="train", *, frames_dir=None, flip=False, **options):
    """A `tf.data.Dataset` of Jester clips and labels (see `load_split`).

    Args:
        root: the dataset folder.
        split: "train", "validation" or "test".
        frames_dir: frame folders' parent, default `root/20bn-jester-v1`.
        flip: random horizontal flips; off by default because flipping swaps
            classes such as "Swiping Left" and "Swiping Right".
        **options: `num_segments`, `image_size`, `batch_size` and the other
            arguments of `keras_action.data.build_dataset`.

    Example:
        >>> from keras_action.data import write_synthetic_jester
        >>> root = write_synthetic_jester("jester")  # Jester's layout
        >>> train = load_jester(root, "train", num_segments=8, batch_size=4)
        >>> clips, labels = next(iter(train))
        >>> tuple(clips.shape), tuple(labels.shape)
        ((4, 8, 224, 224, 3), (4,))
    """
    samples = list_jester(root, split, frames_dir)
    return load_split(samples, "jester", split, flip=flip, **options)
