"""The sample table every loader builds before the shared pipeline takes over."""

import dataclasses
import os
import re
from pathlib import Path

from keras_action.data.errors import DataError

VIDEO_EXTENSIONS = (
    ".mp4",
    ".webm",
    ".mkv",
    ".avi",
    ".mov",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".wmv",
    ".flv",
    ".3gp",
)
JPEG_EXTENSIONS = (".jpg", ".jpeg")


@dataclasses.dataclass(frozen=True)
class FramePattern:
    """How numbered frame files are named: `prefix + zero-padded number + suffix`.

    Jester uses `FramePattern("", 5, ".jpg")` (`00001.jpg`), EgoGesture
    `FramePattern("", 6, ".jpg")`.
    """

    prefix: str = ""
    digits: int = 5
    suffix: str = ".jpg"

    def name(self, number):
        """File name of frame `number`."""
        return f"{self.prefix}{number:0{self.digits}d}{self.suffix}"

    def count(self, folder, first=1, listdir=os.listdir):
        """Number of frames `first, first + 1, …` in `folder`.

        Only files named exactly as this pattern names them count (not a
        stray `thumb.jpg`, nor `1.jpg` beside `00001.jpg`), and the folder's
        name is never read as a glob (ids may hold `[`).

        Args:
            folder: the frame folder.
            first: the number of the first frame.
            listdir: lists a folder's names (e.g. `tf.io.gfile.listdir` for
                remote storage).

        Raises:
            DataError: no such folder, no frame, or a frame missing between
                the first and the last, naming the folder or file.
        """
        where = f"{folder}/{self.name(first)}…"
        try:
            names = listdir(folder)
        except Exception as error:  # OSError, or tf.errors.* from tf.io.gfile
            raise DataError(f"no JPEG frames (or no folder): {where}") from error
        regex = re.compile(
            re.escape(self.prefix) + r"([0-9]+)" + re.escape(self.suffix) + r"\Z"
        )
        numbers = {
            int(match.group(1))
            for match in map(regex.match, names)
            if match and self.name(int(match.group(1))) == match.group(0)
        }
        numbers = sorted(n for n in numbers if n >= first)
        if not numbers:
            raise DataError(f"no JPEG frames (or no folder): {where}")
        if numbers[-1] != first + len(numbers) - 1:
            missing = next(n for n, m in enumerate(numbers, first) if n != m)
            raise DataError(
                f"frame missing: {folder}/{self.name(missing)} "
                f"(the folder goes up to {self.name(numbers[-1])})"
            )
        return len(numbers)

    @classmethod
    def detect(cls, folder):
        """Infers the pattern, first frame number and frame count of `folder`.

        Returns:
            `(pattern, first_number, count)`.

        Raises:
            FileNotFoundError: when `folder` holds no numbered JPEG file.
            DataError: a frame missing between the first and the last.
        """
        regex = re.compile(r"^(.*?)(\d+)(\.jpe?g)$", re.IGNORECASE)
        found = sorted(
            (m.group(1), len(m.group(2)), m.group(3), int(m.group(2)))
            for m in map(regex.match, (p.name for p in Path(folder).iterdir()))
            if m
        )
        if not found:
            raise FileNotFoundError(f"{folder}: no numbered JPEG frames (00001.jpg...)")
        prefix, digits, suffix, first = min(found, key=lambda f: f[3])
        pattern = cls(prefix, digits, suffix)
        return pattern, first, pattern.count(folder, first)


@dataclasses.dataclass
class Samples:
    """A list of clips to load, and the class names their labels index.

    Attributes:
        sources: per sample, a frame folder (`kind="frames"`) or a video file
            (`kind="video"`).
        labels: per sample, the class index (-1 when unknown, e.g. test splits).
        class_names: names of the classes, in index order.
        kind: `"frames"` or `"video"`.
        first_frames: per sample, the number of its first frame file (frames only).
        num_frames: per sample, its frame count, or -1 to count the files when read.
        pattern: frame file naming (frames only).
    """

    sources: list
    labels: list
    class_names: list
    kind: str = "frames"
    first_frames: list = None
    num_frames: list = None
    pattern: FramePattern = dataclasses.field(default_factory=FramePattern)

    def __post_init__(self):
        if self.kind not in ("frames", "video"):
            raise ValueError(f"kind must be 'frames' or 'video', got {self.kind!r}")
        self.sources = [str(s) for s in self.sources]
        count = len(self.sources)
        if self.first_frames is None:
            self.first_frames = [1] * count
        if self.num_frames is None:
            self.num_frames = [-1] * count
        if not len(self.labels) == len(self.first_frames) == len(self.num_frames):
            raise ValueError(
                "sources, labels, first_frames and num_frames differ in length"
            )

    def __len__(self):
        return len(self.sources)
