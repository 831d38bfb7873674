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

from pathlib import Path

from keras_action.data.annotations import (
    check_unique,
    class_index,
    parse_index,
    read_rows,
)
from keras_action.data.errors import AnnotationError, DataError
from keras_action.data.pipeline import build_dataset
from keras_action.data.samples import (
    JPEG_EXTENSIONS,
    VIDEO_EXTENSIONS,
    FramePattern,
    Samples,
)

#: Integer CSV labels above this are taken for a mistake, not a class.
MAX_CLASSES = 100_000


def list_videos(source, class_names=None):
    """The `Samples` of a class-folder tree or a `path,label` CSV file.

    Args:
        source: a folder with one sub-folder per class, or a CSV file.
        class_names: class order to use (default: sorted names, or for integer
            CSV labels, "0" … "N-1").

    Raises:
        AnnotationError: a CSV that lists nothing, or a row that does not
            parse, names an unknown class or a path of the wrong kind.
        ValueError: no samples, or videos mixed with frame folders.
    """
    source = Path(source)
    if source.is_dir():
        paths, names, class_names = _from_folders(source, class_names)
        if not paths:
            raise ValueError(f"{source}: no videos or frame folders found")
        try:
            return _samples(paths, names, class_names)
        except _PathError as error:
            raise ValueError(str(error)) from None
    lines, paths, names, class_names = _from_csv(source, class_names)
    if not paths:
        raise AnnotationError(source, None, "lists no clips")
    try:
        return _samples(paths, names, class_names)
    except _PathError as error:
        raise AnnotationError(source, lines[error.index], str(error)) from None


def load_videos(source, *, class_names=None, training=False, flip=True, **options):
    """A `tf.data.Dataset` of clips from a user's own videos or frame folders.

    Args:
        source: a folder with one sub-folder per class, or a `path,label` CSV.
        class_names: see `list_videos`.
        training: training sampling and augmentation.
        flip: random horizontal flips when training (on by default; turn it
            off when left and right are different classes).
        **options: `num_segments`, `image_size`, `batch_size` and the other
            arguments of `keras_action.data.build_dataset`.

    Returns:
        The dataset of `keras_action.data.build_dataset`.

    Example:
        (Not run as a test: it needs a folder of videos.)

        >>> train = load_videos(  # doctest: +SKIP
        ...     "my_clips/", training=True, num_segments=8)
        >>> train.class_names  # doctest: +SKIP
        ['clap', 'wave']
    """
    return build_dataset(
        list_videos(source, class_names),
        training=training,
        flip=flip,
        name=f"videos:{Path(source).name}",
        **options,
    )


class _PathError(ValueError):
    """A sample path that cannot be used; `index` says which."""

    def __init__(self, index, reason):
        self.index = index
        super().__init__(reason)


def _samples(paths, labels, class_names):
    """Videos or frame folders (each listed here for its first frame and count)."""
    kinds = [_kind(index, path) for index, path in enumerate(paths)]
    for index, kind in enumerate(kinds):
        if kind != kinds[0]:
            raise _PathError(
                index,
                f"{paths[index]}: mixes video files and frame folders; extract the "
                "videos with `python -m keras_action.data.extract_frames` or list "
                "them separately",
            )
    if kinds[0] == "video":
        return Samples(paths, labels, class_names, kind="video")
    firsts, counts, patterns = [], [], set()
    for index, path in enumerate(paths):
        try:
            pattern, first, count = FramePattern.detect(path)
        except (OSError, DataError) as error:
            raise _PathError(index, str(error)) from None
        patterns.add(pattern)
        if len(patterns) > 1:
            raise _PathError(
                index, f"{path}: frames named unlike the other folders ({patterns})"
            )
        firsts.append(first)
        counts.append(count)
    return Samples(paths, labels, class_names, "frames", firsts, counts, patterns.pop())


def _kind(index, path):
    try:
        is_dir = path.is_dir()
    except OSError as error:
        raise _PathError(index, f"{path}: {error.strerror}") from None
    if is_dir:
        return "frames"
    if path.suffix.lower() in JPEG_EXTENSIONS:
        raise _PathError(index, f"{path}: a single image, not a video or frame folder")
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
    rows = read_rows(path, header=("path", "label"))
    for line, fields in rows:
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise AnnotationError(path, line, f"expected 'path,label', got {fields!r}")
    check_unique(path, [(line, clip, label) for line, (clip, label) in rows])
    labels = [(line, label) for line, (_, label) in rows]
    indices, class_names = _csv_labels(path, labels, class_names)
    clips = [path.parent / clip for _, (clip, _) in rows]
    return [line for line, _ in rows], clips, indices, class_names


def _csv_labels(path, labels, class_names):
    """Class indices of the `(line, label)` CSV labels, and the class names.

    Labels are class names (looked up in `class_names` if given, else sorted)
    or integer indices (numeric order), never a mix: a name among numbers is
    usually a header the reader did not recognise.
    """
    if class_names is not None:
        lookup = {name: index for index, name in enumerate(class_names)}
        if all(label in lookup for _, label in labels):
            return [lookup[label] for _, label in labels], list(class_names)
    if not labels:
        return [], list(class_names or [])
    indices = [parse_index(label) for _, label in labels]
    numeric = indices[0] is not None
    for (line, label), index in zip(labels, indices, strict=True):
        if (index is not None) != numeric:
            kind = "an integer index" if numeric else "a class name"
            raise AnnotationError(
                path,
                line,
                f"label {label!r} mixes class names and integer indices (line "
                f"{labels[0][0]} has {kind}); use one kind, and write a header "
                "row as 'path,label'",
            )
    if not numeric:
        if class_names is None:
            class_names = sorted({label for _, label in labels})
        lookup = {name: index for index, name in enumerate(class_names)}
        indices = [class_index(lookup, name, path, line) for line, name in labels]
        return indices, list(class_names)
    limit = MAX_CLASSES if class_names is None else len(class_names)
    for (line, _), index in zip(labels, indices, strict=True):
        if index >= limit:
            raise AnnotationError(
                path, line, f"class index {index} is not below {limit}"
            )
    if class_names is None:
        class_names = [str(i) for i in range(max(indices) + 1)]
    return indices, list(class_names)
