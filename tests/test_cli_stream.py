"""`keras-action stream`: real videos frame by frame, the annotated video, errors."""

import io
import re

import cv2
import numpy as np
import pytest

from keras_action import build_model
from keras_action.cli import main
from keras_action.data.errors import VideoDecodeError
from keras_action.export import to_tflite
from keras_action.export.live import frames_at_stride
from keras_action.utils.console import LiveLine
from tests.test_cli import CLASSES, run_without_backends

#: "frame     2   25.7%  beta    0.7 ms": a prediction line (not a terminal).
PREDICTION = re.compile(r"frame +(\d+) +([\d.]+)% +(\S+) +([\d.]+) ms")


@pytest.fixture(scope="module")
def stream_path(tmp_path_factory):
    model = build_model(
        "mobilenet_v2", "action", len(CLASSES), num_segments=4, image_size=32,
        causal=True,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("stream") / "action_stream.tflite"
    to_tflite(model, path, streaming=True, class_names=CLASSES)
    return path


def count_frames(path):
    capture = cv2.VideoCapture(str(path))
    frames, size = 0, None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames, size = frames + 1, frame.shape
    capture.release()
    return frames, size


@pytest.mark.parametrize(
    "video, stride, output, frames, fed, size",
    [
        ("sintel_480p_h264.mp4", 2, "annotated.mp4", 48, 24, (480 + 44, 854, 3)),
        ("nasa_cleanroom.mp4", 3, "annotated.avi", 325, 109, (180 + 44, 320, 3)),
    ],
)
def test_stream_prints_predictions_and_writes_the_annotated_video(
    stream_path, tmp_path, capsys, videos, video, stride, output, frames, fed, size
):
    annotated = tmp_path / output
    arguments = ["stream", "--model", str(stream_path), str(videos / video)]
    arguments += ["--frame-stride", str(stride), "--output", str(annotated)]
    assert main(arguments) == 0
    *lines, last = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        rf"streamed {frames} frames \({fed} fed, every {stride}\), median [\d.]+ ms "
        rf"per frame; wrote {re.escape(str(annotated))}",
        last,
    )
    # Not a terminal: a line when the top class changes, else every 25 frames.
    assert 1 <= len(lines) <= fed
    for line in lines:
        index, share, name, _ = PREDICTION.fullmatch(line).groups()
        assert int(index) % stride == 0
        assert name in CLASSES and 0 < float(share) <= 100
    assert count_frames(annotated) == (frames, size)
    assert not list(tmp_path.glob(".partial-*"))


def test_stream_names_a_video_that_does_not_decode(
    stream_path, tmp_path, capsys, videos
):
    video = videos / "garbage_stream.mp4"
    annotated = tmp_path / "annotated.mp4"
    arguments = ["stream", "--model", str(stream_path), str(video)]
    assert main([*arguments, "--output", str(annotated)]) == 1
    captured = capsys.readouterr()
    error = captured.err.strip().splitlines()
    assert error == [
        f"keras-action stream: error: {video}: OpenCV decodes no frame "
        "(unsupported codec or broken stream); the header announces 30"
    ]
    assert "streamed" not in captured.out
    assert not annotated.exists() and not list(tmp_path.iterdir())


def test_stream_refuses_clip_files_and_unknown_video_formats(
    stream_path, tmp_path, capsys, videos
):
    clip = tmp_path / "clip.tflite"
    clip.write_bytes(to_tflite(build_model("mobilenet_v2", "tsn", 6, 4, 32)))
    video = str(videos / "sintel_480p_h264.mp4")
    assert main(["stream", "--model", str(clip), video]) == 1
    assert "not a streaming file" in capsys.readouterr().err
    arguments = ["stream", "--model", str(stream_path), video, "--output", "a.gif"]
    assert main(arguments) == 1
    assert "a.gif: cannot write this video format" in capsys.readouterr().err


def test_stream_runs_without_tensorflow(stream_path, videos):
    video = videos / "bbb_opening_h264.mp4"
    result = run_without_backends("stream", "--model", stream_path, video)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("streamed 48 frames (48 fed")


def test_frames_at_stride_reads_videos_and_frame_folders(videos):
    folder = frames_at_stride(videos / "frames_bbb", 2, 24)
    assert folder.shape == (13, 24, 24, 3) and folder.dtype == np.uint8
    video = frames_at_stride(videos / "sintel_480p_h264.mp4", 3, 32)
    assert video.shape == (16, 32, 32, 3)
    with pytest.raises(VideoDecodeError, match="garbage_stream.mp4"):
        frames_at_stride(videos / "garbage_stream.mp4", 1, 32)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_live_line_rewrites_on_a_terminal_and_is_sparse_in_a_log():
    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        line = LiveLine(stream, every=3)
        for index, key in enumerate("aaaaab"):
            line.update(f"{index} {key}", key=key)
        line.close()
    assert terminal.getvalue() == "\r0 a\r1 a\r2 a\r3 a\r4 a\r5 b\n"
    assert log.getvalue().splitlines() == ["0 a", "3 a", "5 b"]
