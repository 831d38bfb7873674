"""Fixtures shared by the data tests: real videos and small synthetic layouts."""

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from keras_action import data

#: Frames OpenCV decodes from each real file (from the folder's README).
DECODED_FRAMES = {
    "nasa_cleanroom.mp4": 325,
    "bbb_720p_h264.mp4": 132,
    "bbb_opening_h264.mp4": 48,
    "sintel_480p_h264.mp4": 48,
    "bbb_vp8.webm": 24,
    "alpha_vp9.webm": 150,
    "counter_hevc.mp4": 10,
    "testsrc_h264_10bit.mp4": 30,
    "unordered_pts.mov": 4,
    "keyboard_rot0.mov": 3,
    "keyboard_rot90.mov": 3,
    "keyboard_rot180.mov": 3,
    "keyboard_rot270.mov": 3,
}
#: Files every OpenCV build fails on: random stream bytes, and a damaged stream
#: that decodes 28 of its 50 frames. (Whether `testsrc_av1.mkv` decodes depends
#: on the build, so no test counts on it either way.)
UNDECODABLE = ("garbage_stream.mp4", "corrupted.mp4")


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """A small synthetic Jester-layout dataset (8 classes, 6 clips each, 2 test)."""
    root = tmp_path_factory.mktemp("synthetic")
    return data.write_synthetic_jester(
        root, clips_per_class=6, num_frames=(5, 12), image_size=(40, 56), test_clips=2
    )


def write_frames(folder, frames, digits=5, first=1):
    """Writes BGR uint8 frames as numbered JPEGs; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, start=first):
        cv2.imwrite(str(folder / f"{number:0{digits}d}.jpg"), frame)
    return folder


def solid_frames(values, height=32, width=48):
    """One flat grey frame per value: lets tests read back which frame was used."""
    return [np.full((height, width, 3), value, np.uint8) for value in values]


def make_jester(root, clips, labels=("Swiping Right", "Swiping Left")):
    """A Jester layout from `{id: (label, frames)}`; returns `root`."""
    root = Path(root)
    (root / "jester-v1-labels.csv").write_text("\n".join(labels) + "\n")
    lines = []
    for clip_id, (label, frames) in clips.items():
        if frames is not None:
            write_frames(root / "20bn-jester-v1" / str(clip_id), frames)
        lines.append(f"{clip_id};{label}\n")
    (root / "jester-v1-train.csv").write_text("".join(lines))
    (root / "jester-v1-validation.csv").write_text("".join(lines))
    return root


def copy_video(videos, name, destination):
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(videos / name, destination)
    return destination
