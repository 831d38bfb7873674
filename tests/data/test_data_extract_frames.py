import pytest

from keras_action import data
from keras_action.data import extract_frames
from tests.data.conftest import copy_video


def test_cli_extracts_jester_folders_and_reports_failures(videos, tmp_path, capsys):
    for name in ("counter_hevc.mp4", "unordered_pts.mov", "garbage_stream.mp4"):
        copy_video(videos, name, tmp_path / "in" / name)
    status = extract_frames.main([str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert status == 1
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["counter_hevc", "unordered_pts"]
    assert len(list((out / "counter_hevc").glob("*.jpg"))) == 10
    assert (out / "unordered_pts" / "00004.jpg").is_file()
    captured = capsys.readouterr()
    assert "extracted 2 video(s), 14 frames" in captured.out
    assert "garbage_stream.mp4" in captured.err
    # The frames load like Jester folders.
    samples = data.Samples([out / "counter_hevc"], [0], ["counter"])
    ((clip, _),) = list(
        data.build_dataset(samples, num_segments=4, image_size=8, batch_size=None)
    )
    assert clip.shape == (4, 8, 8, 3) and clip.numpy().max() > 0


def test_resize_and_overwrite(videos, tmp_path):
    video = copy_video(videos, "keyboard_rot90.mov", tmp_path / "rot.mov")
    out = tmp_path / "out"
    assert extract_frames.main([str(video), "-o", str(out), "--short-side", "32"]) == 0
    import cv2

    frame = cv2.imread(str(out / "rot" / "00001.jpg"))
    assert frame.shape[:2] == (57, 32)  # portrait after rotation, shorter side 32
    assert extract_frames.main([str(video), "-o", str(out)]) == 1  # exists
    assert extract_frames.main([str(video), "-o", str(out), "--overwrite"]) == 0
    assert cv2.imread(str(out / "rot" / "00001.jpg")).shape[:2] == (568, 320)


def test_damaged_video_leaves_no_folder(videos, tmp_path):
    video = copy_video(videos, "corrupted.mp4", tmp_path / "corrupted.mp4")
    with pytest.raises(data.VideoDecodeError, match="damaged"):
        extract_frames.extract_video(video, tmp_path / "out" / "corrupted")
    assert not (tmp_path / "out" / "corrupted").exists()


def test_name_collisions_stop_before_any_work(videos, tmp_path, capsys):
    first = copy_video(videos, "counter_hevc.mp4", tmp_path / "a" / "x.mp4")
    second = copy_video(videos, "unordered_pts.mov", tmp_path / "b" / "X.mov")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        extract_frames.main([str(first), str(second), "-o", str(out)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "would share an output folder" in err
    assert str(first) in err and str(second) in err
    assert not out.exists()  # nothing extracted
    with pytest.raises(data.DataError, match="share an output folder"):
        extract_frames.extract_all([first, second], out)
    # The same file named twice (directly and through its folder) is one video.
    assert extract_frames.main([str(first), str(first.parent), "-o", str(out)]) == 0
    assert len(list((out / "x").glob("*.jpg"))) == 10
