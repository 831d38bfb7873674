"""A user's own videos: a folder per class, or a CSV of `path,label`.

Either ::

    DATA/<class name>/<clip>.mp4        (any container OpenCV reads)
    DATA/<class name>/<clip>/00001.jpg  (or frame folders)

with classes in alphabetical order of the folder names (as
`keras.utils.image_dataset_from_directory`), or a CSV file of `path,label`
rows (optional `path,label` header, paths relative to the CSV's folder) whose
labels are class names (classes sorted alphabetically) or integer indices.
Pass `class_names=` to fix the order yourself. All samples must be of one
kind, videos or frame folders.
"""

import csv
from pathlib import Path

from keras_action.data.annotations import class_index
from keras_action.data.errors import AnnotationError
from keras_action.data.pipeline import build_dataset
from keras_action.data.samples import (
    JPEG_EXTENSIONS,
    VIDEO_EXTENSIONS,
    FramePattern,
    Samples,
)


def list_videos(source, class_names=None):
    """The `Samples` of a class-folder tree or a `path,label` CSV file.

    Args:
        source: a folder with one sub-folder per class, or a CSV file.
        class_names: class order to use (default: sorted names, or for integer
            CSV labels, "0" … "N-1").

    Raises:
        AnnotationError: CSV rows that do not parse or name unknown classes.
        ValueError: no samples, or videos mixed with frame folders.
    """
    source = Path(source)
    if source.is_dir():
        paths, names, class_names = _from_folders(source, class_names)
    else:
        paths, names, class_names = _from_csv(source, class_names)
    if not paths:
        raise ValueError(f"{source}: no videos or frame folders found")
    kinds = {_kind(path) for path in paths}
    if len(kinds) > 1:
        raise ValueError(
            f"{source}: mixes video files and frame folders; extract the videos with "
            "`python -m keras_action.data.extract_frames` or list them separately"
        )
    if kinds.pop() == "video":
        return Samples(paths, names, class_names, kind="video")
    return _frame_samples(paths, names, class_names)


def load_videos(
    source,
    *,
    num_segments=8,
    image_size=224,
    training=False,
    batch_size=32,
    flip=True,
    class_names=None,
    **options,
):
    """A `tf.data.Dataset` of clips from a user's own videos or frame folders.

    Args:
        source: a folder with one sub-folder per class, or a `path,label` CSV.
        num_segments: frames per clip (`T`).
        image_size: output height and width.
        training: training sampling and augmentation.
        batch_size: clips per batch (`None`: unbatched).
        flip: random horizontal flips when training (on by default; turn it
            off when left and right are different classes).
        class_names: see `list_videos`.
        **options: `num_clips`, `num_crops`, `on_error`, `shuffle`, `seed`,
            `dtype`, `min_decodable_fraction`; see `keras_action.data.build_dataset`.

    Returns:
        Dataset of `(clips (B, T, S, S, 3), labels (B,) int32)` with
        `class_names` and `skipped` attributes.

    Example:
        >>> train = load_videos("my_clips/", training=True, num_segments=8)
        >>> train.class_names
        ['clap', 'wave']
    """
    samples = list_videos(source, class_names)
    return build_dataset(
        samples,
        num_segments=num_segments,
        image_size=image_size,
        training=training,
        batch_size=batch_size,
        flip=flip,
        name=f"videos:{Path(source).name}",
        **options,
    )


def _frame_samples(paths, labels, class_names):
    """Frame folders, each listed once here for its first frame and count."""
    firsts, counts, patterns = [], [], set()
    for path in paths:
        pattern, first, count = FramePattern.detect(path)
        patterns.add(pattern)
        if len(patterns) > 1:
            raise ValueError(
                f"{path}: frames named unlike the other folders ({patterns})"
            )
        firsts.append(first)
        counts.append(count)
    return Samples(paths, labels, class_names, "frames", firsts, counts, patterns.pop())


def _kind(path):
    if path.is_dir():
        return "frames"
    if path.suffix.lower() in JPEG_EXTENSIONS:
        raise ValueError(f"{path}: a single image, not a video or frame folder")
    return "video"


def _from_folders(root, class_names):
    folders = sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    found = [p.name for p in folders]
    if class_names is None:
        class_names = found
    unknown = sorted(set(found) - set(class_names))
    if unknown:
        raise ValueError(f"{root}: class folders {unknown} are not in class_names")
    paths, labels = [], []
    for folder in folders:
        label = class_names.index(folder.name)
        for item in sorted(folder.iterdir()):
            is_video = item.is_file() and item.suffix.lower() in VIDEO_EXTENSIONS
            if is_video or (item.is_dir() and not item.name.startswith(".")):
                paths.append(item)
                labels.append(label)
    return paths, labels, list(class_names)


def _from_csv(path, class_names):
    if not path.is_file():
        raise AnnotationError(path, None, "no such folder or CSV file")
    rows = []
    with open(path, newline="", encoding="utf-8") as file:
        for line, row in enumerate(csv.reader(file), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise AnnotationError(path, line, f"expected 'path,label', got {row!r}")
            if line == 1 and [c.strip().lower() for c in row] == ["path", "label"]:
                continue
            rows.append((line, path.parent / row[0].strip(), row[1].strip()))
    labels = [label for _, _, label in rows]
    numeric = (
        class_names is None and labels and all(label.isdigit() for label in labels)
    )
    if numeric:
        class_names = [str(i) for i in range(max(int(label) for label in labels) + 1)]
        return [p for _, p, _ in rows], [int(label) for label in labels], class_names
    if class_names is None:
        class_names = sorted(set(labels))
    lookup = {name: index for index, name in enumerate(class_names)}
    indices = [class_index(lookup, label, path, line) for line, _, label in rows]
    return [p for _, p, _ in rows], indices, list(class_names)
