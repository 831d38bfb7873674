"""Classifying a video or camera frame by frame with a streaming `.tflite` file.

What `keras-action stream` runs: frames are read one by one with OpenCV,
every `frame_stride`-th one is cropped as validation does (a centre square,
resized to the model's size) and fed to a `StreamingRunner`; an annotated
copy of the video can be written. Only NumPy and OpenCV are used, so
streaming runs without TensorFlow.
"""

import dataclasses
import itertools
from pathlib import Path

import cv2
import numpy as np

from keras_action.data.decode import iter_frames
from keras_action.data.errors import VideoDecodeError
from keras_action.export.predict import (
    IMAGE_SUFFIXES,
    TEXT_COLOUR,
    TOP_COLOUR,
    centre_crop,
    draw_text,
)
from keras_action.utils import atomic

#: Codes of the video formats `AnnotatedVideo` writes, by file ending.
FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}


@dataclasses.dataclass
class Step:
    """One camera frame of a stream, and the prediction standing after it.

    `fed` says whether this frame went through the model (every
    `frame_stride`-th does); the others show the last prediction.
    """

    index: int
    frame: np.ndarray  # BGR, as decoded
    fed: bool
    probabilities: np.ndarray
    latency: float  # seconds, of the last model call


def camera_index(source):
    """The camera index `source` names (`"0"`, `"1"`…), or `None` for a path."""
    text = str(source)
    return int(text) if text.isdigit() else None


def read_frames(source):
    """Yields BGR frames one by one from a video file or a camera index.

    A file that OpenCV cannot open, that decodes no frame or whose stream is
    damaged raises `VideoDecodeError` naming it (the pipelines' policy,
    `keras_action.data.decode`), after the frames that did decode.
    """
    index = camera_index(source)
    if index is None:
        yield from iter_frames(source)
        return
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        raise VideoDecodeError(f"camera {index}", "OpenCV cannot open this camera")
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def frames_at_stride(source, frame_stride, image_size):
    """Every `frame_stride`-th frame of a video file or frame folder, cropped as
    validation does (a centre square resized to `image_size`), RGB uint8.

    Returns:
        `(F, image_size, image_size, 3)`: what a streaming model is fed.
    """
    source = Path(source)
    if source.is_dir():
        names = sorted(
            p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )
        frames = (cv2.imread(str(name), cv2.IMREAD_COLOR) for name in names)
    else:
        frames = read_frames(source)
    kept = [
        centre_crop(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), image_size)
        for frame in itertools.islice(frames, 0, None, frame_stride)
    ]
    if not kept:
        raise VideoDecodeError(source, "no frame")
    return np.stack(kept)


def stream(runner, frames, frame_stride=1, name="<frames>"):
    """Feeds every `frame_stride`-th frame to `runner`; yields a `Step` per frame.

    Args:
        runner: a `StreamingRunner` (reset by the caller for a new stream).
        frames: BGR frames, e.g. `read_frames(source)`.
        frame_stride: feed one frame in this many, the stride the model was
            trained with (`--frame-stride`).
        name: what the frames come from, for errors.

    Raises:
        VideoDecodeError: the source decodes no frame at all.
    """
    if frame_stride < 1:
        raise ValueError(f"frame_stride must be 1 or more, got {frame_stride}.")
    probabilities = np.full(runner.num_classes, 1 / runner.num_classes, np.float32)
    latency, count = 0.0, 0
    for index, frame in enumerate(frames):
        fed = index % frame_stride == 0
        if fed:
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            probabilities = runner.step(centre_crop(rgb, runner.image_size))
            latency = runner.latency
        count += 1
        yield Step(index, frame, fed, probabilities, latency)
    if count == 0:
        raise VideoDecodeError(name, "no frame to stream")


def annotate(frame, name, probability, latency):
    """A copy of `frame` with the class, a confidence bar and the latency on top."""
    image = frame.copy()
    width = image.shape[1]
    banner_height = 44
    banner = np.full((banner_height, width, 3), 255, np.uint8)
    draw_text(banner, f"{probability:6.1%}  {name}", (6, 18), TOP_COLOUR)
    draw_text(banner, f"{latency * 1000:.1f} ms/frame", (6, 38), TEXT_COLOUR, 0.45)
    left, right = width // 2, width - 8
    cv2.rectangle(banner, (left, 24), (right, 36), TEXT_COLOUR, 1)
    filled = left + int(round((right - left) * probability))
    cv2.rectangle(banner, (left, 24), (filled, 36), TOP_COLOUR, -1)
    return np.concatenate([banner, image], axis=0)


class AnnotatedVideo:
    """Writes annotated frames to a video file, atomically (context manager).

    The file appears complete when the `with` block ends without error, and
    not at all otherwise: a failed or interrupted stream leaves no half file.

    Args:
        path: `.mp4` (MPEG-4 Part 2) or `.avi` (Motion JPEG).
        fps: frames per second of the output.

    Example:

    >>> frame = np.zeros((120, 160, 3), np.uint8)  # BGR, as OpenCV reads it
    >>> with AnnotatedVideo("annotated.mp4", fps=30) as video:
    ...     video.write(annotate(frame, "Swiping left", 0.93, 0.004))
    """

    def __init__(self, path, fps):
        self.path, self.fps = str(path), fps or 30
        suffix = self.path[self.path.rfind(".") :].lower()
        if suffix not in FOURCC:
            raise ValueError(
                f"{path}: cannot write this video format; use one of {sorted(FOURCC)}."
            )
        self._fourcc = cv2.VideoWriter_fourcc(*FOURCC[suffix])
        self._writer = None

    def __enter__(self):
        self._context = atomic.atomic_path(self.path)
        self._partial = self._context.__enter__()
        return self

    def write(self, image):
        if self._writer is None:
            height, width = image.shape[:2]
            self._writer = cv2.VideoWriter(
                str(self._partial), self._fourcc, self.fps, (width, height)
            )
            if not self._writer.isOpened():
                raise OSError(f"{self.path}: OpenCV cannot write this video file")
        self._writer.write(image)

    def __exit__(self, *error):
        if self._writer is not None:
            self._writer.release()
        return self._context.__exit__(*error)


def frame_rate(source):
    """The frames per second a video file declares (`None` when unknown)."""
    if camera_index(source) is not None:
        return None
    capture = cv2.VideoCapture(str(source))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    return fps if fps and np.isfinite(fps) and fps > 0 else None
