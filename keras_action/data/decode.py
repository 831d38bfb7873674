"""Video decoding with OpenCV: robust frame counts and sparse frame reads.

Container headers are not trusted for frame counts (they lie for damaged
streams and for codecs OpenCV cannot decode), so a video's frame count is found
by decoding it once, without colour conversion (`VideoCapture.grab`), and cached
by path, size and modification time. Reading a clip then walks the stream once
up to the last frame it needs, converting only the sampled frames.

A stream is *damaged* when it decodes no frame at all, or clearly fewer frames
than its header announces (below `min_decodable_fraction` of it, and at least
two frames short): e.g. `corrupted.mp4` (28 of 50 frames) or an AV1 file that
OpenCV opens but cannot decode (0 of 125). Damaged videos raise
`VideoDecodeError`, which the pipelines skip or re-raise per `on_error`.
"""

import os
import threading

import cv2
import numpy as np

from keras_action.data.errors import VideoDecodeError

#: Default: a stream decoding fewer than 90 % of its header's frames is damaged.
MIN_DECODABLE_FRACTION = 0.9


def open_video(path):
    """Opens `path` with OpenCV, raising `VideoDecodeError` if it cannot."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise VideoDecodeError(path, "no such file")
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        capture.release()
        raise VideoDecodeError(path, "OpenCV cannot open this file")
    return capture


def header_frame_count(path):
    """The frame count the container claims (untrusted; 0 when it says nothing)."""
    capture = open_video(path)
    try:
        return max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    finally:
        capture.release()


def count_frames(path, min_decodable_fraction=MIN_DECODABLE_FRACTION):
    """Counts the frames OpenCV can decode, and checks the stream is not damaged.

    Args:
        path: video file.
        min_decodable_fraction: the stream is damaged if it decodes fewer than
            this fraction of the frames its header announces (and at least two
            fewer). 0 accepts any stream with at least one frame.

    Returns:
        The number of decodable frames (> 0).

    Raises:
        VideoDecodeError: the file cannot be opened, decodes to no frame, or is
            damaged.
    """
    capture = open_video(path)
    try:
        claimed = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        decoded = 0
        while capture.grab():
            decoded += 1
    finally:
        capture.release()
    check_stream(path, decoded, claimed, min_decodable_fraction)
    return decoded


def check_stream(path, decoded, claimed, min_decodable_fraction=MIN_DECODABLE_FRACTION):
    """Raises `VideoDecodeError` if `decoded` frames of `claimed` mean damage."""
    if decoded == 0:
        reason = "OpenCV decodes no frame (unsupported codec or broken stream)"
        if claimed:
            reason += f"; the header announces {claimed}"
        raise VideoDecodeError(path, reason)
    if decoded < min_decodable_fraction * claimed and claimed - decoded >= 2:
        raise VideoDecodeError(
            path, f"damaged stream: {decoded} of the {claimed} frames announced decode"
        )


def iter_frames(path, min_decodable_fraction=MIN_DECODABLE_FRACTION):
    """Yields every frame of a video as a BGR uint8 array, then checks the stream.

    Raises:
        VideoDecodeError: as `count_frames`, after the frames that did decode.
    """
    capture = open_video(path)
    try:
        claimed = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        decoded = 0
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            decoded += 1
            yield frame
    finally:
        capture.release()
    check_stream(path, decoded, claimed, min_decodable_fraction)


class FrameCountCache:
    """Thread-safe memo of `count_frames`, keyed by path, size and mtime.

    Frame counts come from decoding, which costs a pass over the video; the
    cache makes that a first-epoch cost only. Failures are cached too, so a
    damaged file is not decoded again every epoch.
    """

    def __init__(self, min_decodable_fraction=MIN_DECODABLE_FRACTION):
        self.min_decodable_fraction = min_decodable_fraction
        self._counts = {}
        self._lock = threading.Lock()

    def __call__(self, path):
        path = os.fspath(path)
        try:
            stat = os.stat(path)
            key = (path, stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = (path, None, None)
        with self._lock:
            known = self._counts.get(key)
        if known is None:
            try:
                known = count_frames(path, self.min_decodable_fraction)
            except VideoDecodeError as error:
                known = error
            with self._lock:
                self._counts[key] = known
        if isinstance(known, VideoDecodeError):
            raise known
        return known


def read_frames(path, indices):
    """Decodes the frames at `indices` (any order, repeats allowed) as RGB.

    The stream is walked once up to the largest index; frames that are not
    needed are only grabbed, never converted.

    Args:
        path: video file.
        indices: sequence of 0-based frame indices.

    Returns:
        uint8 array `(len(indices), H, W, 3)`, RGB, rotation metadata applied.

    Raises:
        VideoDecodeError: the file cannot be opened, or its stream ends before
            the largest index.
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if indices.size == 0 or indices.min() < 0:
        raise ValueError(f"{path}: frame indices must be non-negative, got {indices}")
    wanted = set(indices.tolist())
    last = int(indices.max())
    frames = {}
    capture = open_video(path)
    try:
        for index in range(last + 1):
            if not capture.grab():
                raise VideoDecodeError(
                    path, f"stream ends after {index} frames; frame {last} was needed"
                )
            if index in wanted:
                ok, frame = capture.retrieve()
                if not ok or frame is None:
                    raise VideoDecodeError(path, f"frame {index} does not decode")
                frames[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
    shapes = {frame.shape for frame in frames.values()}
    if len(shapes) > 1:
        raise VideoDecodeError(path, f"frames change size mid-stream: {sorted(shapes)}")
    return np.stack([frames[i] for i in indices.tolist()])
