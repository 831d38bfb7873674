"""Something-Something V2: one VP9 `.webm` per clip and JSON annotations.

Layout (annotation files in `DATA/` or `DATA/labels/`)::

    DATA/20bn-something-something-v2/<id>.webm   (or DATA/<id>.webm)
    DATA/labels.json        {"Template text": "index", ...}
    DATA/train.json         [{"id", "label", "template", "placeholders"}, ...]
    DATA/validation.json
    DATA/test.json          [{"id"}, ...]

A sample's class is its `template`, e.g. "Putting [something] on a surface",
matched to `labels.json` with or without the square brackets (releases
differ). Class indices are the values in `labels.json`. Frame folders
extracted from the videos (`<frames_dir>/<id>/00001.jpg…`, see
`python -m keras_action.data.extract_frames`) are read instead of the videos
when `frames_dir` is given.
"""

from pathlib import Path

from keras_action.data.annotations import (
    check_unique,
    class_index,
    parse_index,
    read_json_entries,
)
from keras_action.data.errors import AnnotationError
from keras_action.data.pipeline import build_dataset
from keras_action.data.samples import FramePattern, Samples

VIDEO_DIR = "20bn-something-something-v2"
SPLITS = ("train", "validation", "test")


def something_something_v2_class_names(root):
    """The 174 class templates (those of `labels.json`), in index order."""
    path = _annotation_file(root, "labels")
    names, lines = {}, {}
    for line, template, index in read_json_entries(path, dict):
        if not template.strip():
            raise AnnotationError(path, line, "empty template")
        whole = type(index) is int and index >= 0
        number = index if whole else parse_index(index)
        if number is None:
            raise AnnotationError(
                path, line, f"index {index!r} is not a whole number 0, 1, 2…"
            )
        if number in names:
            raise AnnotationError(
                path, line, f"index {number} twice (also line {lines[number]})"
            )
        names[number], lines[number] = template, line
    check_unique(path, ((lines[i], _plain(t), i) for i, t in names.items()))
    if not names:
        raise AnnotationError(path, None, "no class listed")
    if sorted(names) != list(range(len(names))):
        raise AnnotationError(path, None, "indices are not 0 to N-1")
    return [names[i] for i in range(len(names))]


def list_something_something_v2(root, split="train", video_dir=None, frames_dir=None):
    """The `Samples` of one Something-Something V2 split.

    Args:
        root: the dataset folder.
        split: "train", "validation" or "test" (test labels are -1).
        video_dir: folder of `<id>.webm`, default `root/20bn-something-something-v2`
            if it exists, else `root`.
        frames_dir: if given, read frame folders `<frames_dir>/<id>/00001.jpg…`
            instead of videos.

    Raises:
        AnnotationError: an entry without id or template, a template not in
            `labels.json`, or an id listed twice, naming the file and line.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(root)
    class_names = something_something_v2_class_names(root)
    lookup = {_plain(name): index for index, name in enumerate(class_names)}
    path = _annotation_file(root, split)
    if frames_dir is None:
        default = root / VIDEO_DIR if (root / VIDEO_DIR).is_dir() else root
        folder, kind, suffix = Path(video_dir or default), "video", ".webm"
    else:
        folder, kind, suffix = Path(frames_dir), "frames", ""
    entries = [
        _entry(path, line, position, entry, lookup, split)
        for position, (line, entry) in enumerate(read_json_entries(path, list))
    ]
    check_unique(path, entries)
    sources = [folder / f"{clip_id}{suffix}" for _, clip_id, _ in entries]
    labels = [label for _, _, label in entries]
    return Samples(sources, labels, class_names, kind=kind, pattern=FramePattern())


def _entry(path, line, position, entry, lookup, split):
    """`(line, id, label)` of one clip entry."""
    wanted = ("id",) if split == "test" else ("id", "template")
    if not isinstance(entry, dict) or any(key not in entry for key in wanted):
        what = " and ".join(repr(key) for key in wanted)
        raise AnnotationError(path, line, f"entry {position} lacks {what}")
    clip_id = entry["id"]
    if type(clip_id) is int:
        clip_id = str(clip_id)
    if not isinstance(clip_id, str) or not clip_id.strip():
        raise AnnotationError(path, line, f"id {clip_id!r} is not a clip name")
    if split == "test":
        return line, clip_id, -1
    template = entry["template"]
    if not isinstance(template, str):
        raise AnnotationError(path, line, f"template {template!r} is not a string")
    return line, clip_id, class_index(lookup, _plain(template), path, line)


def load_something_something_v2(
    root,
    split="train",
    *,
    num_segments=8,
    image_size=224,
    training=None,
    batch_size=32,
    flip=False,
    video_dir=None,
    frames_dir=None,
    **options,
):
    """A `tf.data.Dataset` of Something-Something V2 clips and labels.

    Args:
        root: the dataset folder.
        split: "train", "validation" or "test".
        num_segments: frames per clip (`T`).
        image_size: output height and width.
        training: training sampling and augmentation (default: `split == "train"`).
        batch_size: clips per batch (`None`: unbatched).
        flip: random horizontal flips; off by default because flipping turns
            e.g. "Pushing something from left to right" into its opposite.
        video_dir, frames_dir: see `list_something_something_v2`.
        **options: `num_clips`, `num_crops`, `on_error`, `shuffle`, `seed`,
            `dtype`, `min_decodable_fraction`, `frame_stride`; see
            `keras_action.data.build_dataset`.

    Returns:
        Dataset of `(clips (B, T, S, S, 3), labels (B,) int32)` with
        `class_names` and `skipped` attributes.
    """
    training = split == "train" if training is None else training
    samples = list_something_something_v2(root, split, video_dir, frames_dir)
    return build_dataset(
        samples,
        num_segments=num_segments,
        image_size=image_size,
        training=training,
        batch_size=batch_size,
        flip=flip,
        name=f"something-something-v2/{split}",
        **options,
    )


def _plain(template):
    """Template without the square brackets, the form all releases agree on."""
    return template.replace("[", "").replace("]", "").strip()


def _annotation_file(root, name):
    """`root/<name>.json`, `root/labels/<name>.json` or the official file name."""
    root = Path(root)
    candidates = [
        folder / file
        for folder in (root, root / "labels")
        for file in (f"{name}.json", f"something-something-v2-{name}.json")
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise AnnotationError(candidates[0], None, "annotation file not found")
