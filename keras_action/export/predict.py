"""Classifying one video (or frame folder) with an exported `.tflite` model.

Frames are sampled and cropped as validation does (`keras_action.data.views`):
the centre frame of each of T equal segments, a centre square of 224/256 of the
shorter side, resized to `image_size`. Only NumPy and OpenCV are used, so
prediction runs without TensorFlow.
"""

from pathlib import Path

import cv2
import numpy as np

from keras_action.data.decode import count_frames, read_frames
from keras_action.data.errors import VideoDecodeError
from keras_action.data.views import centre_crop_window, centre_indices
from keras_action.utils.numerics import softmax

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def read_clip(source, num_segments, image_size):
    """Decodes and samples one clip from a video file or a folder of images.

    Args:
        source: video file, or folder of frames (sorted by name).
        num_segments: frames in the clip (T).
        image_size: output frame height and width.

    Returns:
        uint8 RGB pixels `(T, image_size, image_size, 3)`.

    Raises:
        VideoDecodeError: the video or folder cannot be read, or the video's
            stream is damaged (`keras_action.data.decode`); names the file.
    """
    source = Path(source)
    if source.is_dir():
        frames = _read_folder(source, num_segments)
    else:
        # The pipelines' policy: a damaged stream is an error, not a clip.
        indices = centre_indices(count_frames(source), num_segments)
        frames = read_frames(source, indices)
    return np.stack([centre_crop(frame, image_size) for frame in frames])


def _read_folder(folder, num_segments):
    names = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not names:
        raise VideoDecodeError(folder, f"no image file ({', '.join(IMAGE_SUFFIXES)})")
    frames = []
    for index in centre_indices(len(names), num_segments):
        frame = cv2.imread(str(names[index]), cv2.IMREAD_COLOR)
        if frame is None:
            raise VideoDecodeError(names[index], "OpenCV cannot decode this image")
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    if len({frame.shape for frame in frames}) > 1:
        raise VideoDecodeError(folder, "frames have different sizes")
    return frames


def centre_crop(frame, image_size):
    """The validation view of one frame: a centre square resized to `image_size`."""
    top, left, side = centre_crop_window(*frame.shape[:2])
    crop = frame[top : top + side, left : left + side]
    interpolation = cv2.INTER_AREA if side > image_size else cv2.INTER_LINEAR
    return cv2.resize(crop, (image_size, image_size), interpolation=interpolation)


def top_classes(logits, class_names, k=5):
    """The `k` most probable classes as `(name, probability)`, best first."""
    if k < 1:
        raise ValueError(f"k must be 1 or more, got {k}.")
    logits = np.asarray(logits, np.float64).reshape(-1)
    if len(class_names) != logits.size:
        raise ValueError(
            f"The model has {logits.size} classes but the labels file names "
            f"{len(class_names)}."
        )
    probabilities = softmax(logits)
    order = np.argsort(-probabilities)[:k]
    return [(class_names[i], float(probabilities[i])) for i in order]


def classify(runner, source, class_names, k=5):
    """Samples a clip from `source`, runs `runner` and returns `(clip, top-k)`."""
    clip = read_clip(source, runner.num_segments, runner.image_size)
    return clip, top_classes(runner(clip)[0], class_names, k)


def check_image_path(path):
    """Raises `ValueError` unless OpenCV can write an image at `path`."""
    if not cv2.haveImageWriter(str(path)):
        raise ValueError(
            f"{path}: OpenCV cannot write this image format; use .png or .jpg."
        )


#: BGR colours of the drawings: the top class in red, the rest in black.
TOP_COLOUR, TEXT_COLOUR = (0, 0, 200), (0, 0, 0)


def draw_text(image, text, origin, colour, scale=0.55):
    """Writes one line of `text` on `image` (in place) at `origin`, its baseline."""
    cv2.putText(
        image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA
    )


def draw_prediction(clip, top, path):
    """Writes the sampled frames side by side, with the top classes, as an image."""
    check_image_path(path)
    strip = cv2.cvtColor(np.concatenate(list(clip), axis=1), cv2.COLOR_RGB2BGR)
    scale = max(1, 160 // clip.shape[1])
    strip = cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    line_height = 22
    banner = np.full((line_height * len(top) + 8, strip.shape[1], 3), 255, np.uint8)
    for row, (name, probability) in enumerate(top):
        draw_text(
            banner,
            f"{probability:6.1%}  {name}",
            (6, line_height * (row + 1)),
            TEXT_COLOUR if row else TOP_COLOUR,
        )
    image = np.concatenate([strip, banner], axis=0)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"{path}: OpenCV cannot write this image file")
    return image
