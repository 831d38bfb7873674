"""The sample table every loader builds before the shared pipeline takes over."""

import dataclasses
import re
from pathlib import Path

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

    @classmethod
    def detect(cls, folder):
        """Infers the pattern, first frame number and frame count of `folder`.

        Returns:
            `(pattern, first_number, count)`.

        Raises:
            FileNotFoundError: when `folder` holds no numbered JPEG file.
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
        count = sum(f[:3] == (prefix, digits, suffix) for f in found)
        return cls(prefix, digits, suffix), first, count


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
