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
from keras_action.data.pipeline import build_dataset
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


def load_jester(
    root,
    split="train",
    *,
    num_segments=8,
    image_size=224,
    training=None,
    batch_size=32,
    flip=False,
    frames_dir=None,
    **options,
):
    """A `tf.data.Dataset` of Jester clips and labels.

    Args:
        root: the dataset folder.
        split: "train", "validation" or "test".
        num_segments: frames per clip (`T`).
        image_size: output height and width.
        training: training sampling and augmentation (default: `split == "train"`).
        batch_size: clips per batch (`None`: unbatched).
        flip: random horizontal flips; off by default because flipping swaps
            classes such as "Swiping Left" and "Swiping Right".
        frames_dir: frame folders' parent, default `root/20bn-jester-v1`.
        **options: `num_clips`, `num_crops`, `on_error`, `shuffle`, `seed`,
            `dtype`, `frame_stride`; see `keras_action.data.build_dataset`.

    Returns:
        Dataset of `(clips (B, T, S, S, 3), labels (B,) int32)` with
        `class_names` and `skipped` attributes.

    Example:
        >>> train = load_jester("/data/jester", "train", num_segments=8, training=True)
        >>> model.fit(train, epochs=30)
    """
    training = split == "train" if training is None else training
    samples = list_jester(root, split, frames_dir)
    return build_dataset(
        samples,
        num_segments=num_segments,
        image_size=image_size,
        training=training,
        batch_size=batch_size,
        flip=flip,
        name=f"jester/{split}",
        **options,
    )
