import numpy as np
import pytest

from keras_action.data import VideoDecodeError, count_frames, decode, read_frames
from tests.data.conftest import DECODED_FRAMES, UNDECODABLE


@pytest.mark.parametrize("name, expected", sorted(DECODED_FRAMES.items()))
def test_frame_counts_come_from_decoding(videos, name, expected):
    assert count_frames(videos / name) == expected


@pytest.mark.parametrize("name", sorted(DECODED_FRAMES))
def test_reads_sampled_frames_of_every_container_and_codec(videos, name):
    last = DECODED_FRAMES[name] - 1
    frames = read_frames(videos / name, [0, last // 2, last])
    assert frames.dtype == np.uint8 and frames.ndim == 4 and frames.shape[-1] == 3
    assert frames.shape[0] == 3
    assert frames.max() > 0  # decoded pixels, not a clip of zeros


def test_reads_indices_in_any_order_with_repeats(videos):
    path = videos / "counter_hevc.mp4"
    every = read_frames(path, range(10))
    # Each frame shows its own number, so consecutive frames differ.
    assert all(
        np.abs(every[i].astype(int) - every[i + 1]).mean() > 0.5 for i in range(9)
    )
    picked = read_frames(path, [7, 2, 7, 0])
    np.testing.assert_array_equal(picked, every[[7, 2, 7, 0]])


def test_frames_are_rgb(videos):
    import cv2

    capture = cv2.VideoCapture(str(videos / "sintel_480p_h264.mp4"))
    _, bgr = capture.read()
    capture.release()
    np.testing.assert_array_equal(
        read_frames(videos / "sintel_480p_h264.mp4", [0])[0], bgr[..., ::-1]
    )


@pytest.mark.parametrize(
    "name, shape",
    [
        ("keyboard_rot0.mov", (320, 568)),
        ("keyboard_rot90.mov", (568, 320)),
        ("keyboard_rot180.mov", (320, 568)),
        ("keyboard_rot270.mov", (568, 320)),
    ],
)
def test_rotation_metadata_is_applied(videos, name, shape):
    assert read_frames(videos / name, [0]).shape[1:3] == shape


def test_a_stream_that_decodes_to_nothing_is_an_error_naming_the_file(videos):
    path = videos / "garbage_stream.mp4"
    assert decode.header_frame_count(path) == 30  # the header lies
    with pytest.raises(VideoDecodeError, match="garbage_stream.mp4.*no frame"):
        count_frames(path)
    with pytest.raises(VideoDecodeError, match="garbage_stream.mp4"):
        read_frames(path, [0])


def test_the_undecodable_files_fail_on_this_opencv_build(videos):
    """Guards the premise of every "undecodable" test: whatever the codecs of the
    installed OpenCV, these files never give all their frames."""
    import cv2

    for name in UNDECODABLE:
        capture = cv2.VideoCapture(str(videos / name))
        announced = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        decoded = 0
        while capture.grab():
            decoded += 1
        capture.release()
        assert decoded < announced, f"{name} decodes on OpenCV {cv2.__version__}"


def test_av1_decodes_correctly_or_fails_clearly(videos):
    """Whether AV1 decodes depends on the OpenCV build (5.0 no, 5.1 yes); either
    way the result is all 125 real frames or an error naming the file."""
    path = videos / "testsrc_av1.mkv"
    try:
        frames = count_frames(path)
    except VideoDecodeError as error:
        assert "testsrc_av1.mkv" in str(error) and "no frame" in str(error)
        return
    assert frames == 125
    clip = read_frames(path, [0, 62, 124])
    assert clip.shape == (3, 360, 640, 3) and clip.std() > 10


def test_damaged_stream_is_an_error_unless_tolerated(videos):
    path = videos / "corrupted.mp4"
    with pytest.raises(VideoDecodeError, match=r"corrupted.mp4.*28 of the 50"):
        count_frames(path)
    assert count_frames(path, min_decodable_fraction=0) == 28


def test_reading_past_the_end_is_an_error_not_zeros(videos):
    with pytest.raises(VideoDecodeError, match="counter_hevc.mp4.*ends after 10"):
        read_frames(videos / "counter_hevc.mp4", [3, 10])


def test_missing_and_non_video_files_are_errors(videos, tmp_path):
    with pytest.raises(VideoDecodeError, match="no such file"):
        count_frames(tmp_path / "missing.mp4")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(VideoDecodeError, match="notes.mp4"):
        count_frames(text)


def test_frame_count_cache_decodes_once_and_remembers_failures(videos, monkeypatch):
    cache = decode.FrameCountCache()
    calls = []
    real = decode.count_frames
    monkeypatch.setattr(
        decode, "count_frames", lambda *a: calls.append(a[0]) or real(*a)
    )
    assert cache(videos / "counter_hevc.mp4") == 10
    assert cache(videos / "counter_hevc.mp4") == 10
    for _ in range(2):
        with pytest.raises(VideoDecodeError):
            cache(videos / "garbage_stream.mp4")
    assert len(calls) == 2
