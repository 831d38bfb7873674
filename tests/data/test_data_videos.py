import cv2
import numpy as np
import pytest

from keras_action import data
from tests.data.conftest import (
    DECODED_FRAMES,
    UNDECODABLE,
    copy_video,
    solid_frames,
    write_frames,
)


def test_class_folders_of_every_container_and_codec(videos, tmp_path):
    names = sorted(DECODED_FRAMES)
    for i, name in enumerate(names):
        copy_video(videos, name, tmp_path / ("b_class" if i % 2 else "a_class") / name)
    dataset = data.load_videos(tmp_path, num_segments=4, image_size=16, batch_size=4)
    assert dataset.class_names == ["a_class", "b_class"]
    clips, labels = zip(*[(c.numpy(), y.numpy()) for c, y in dataset], strict=True)
    clips, labels = np.concatenate(clips), np.concatenate(labels)
    assert clips.shape == (len(names), 4, 16, 16, 3)
    assert labels.tolist() == [0] * 7 + [1] * 6  # folder order, then file order
    assert all(clip.max() > 0 for clip in clips)
    assert dataset.skipped.count == 0


def test_frame_folders_with_their_own_naming(tmp_path):
    for name in ("wave", "clap"):
        folder = tmp_path / name / "clip1"
        folder.mkdir(parents=True)
        for i, frame in enumerate(solid_frames([30, 90, 150, 210])):
            cv2.imwrite(str(folder / f"img_{i:04d}.jpg"), frame)
    samples = data.list_videos(tmp_path)
    assert samples.kind == "frames" and samples.pattern == data.FramePattern(
        "img_", 4, ".jpg"
    )
    assert samples.first_frames == [0, 0] and samples.num_frames == [4, 4]
    dataset = data.load_videos(tmp_path, num_segments=2, image_size=8, batch_size=2)
    clips, labels = next(iter(dataset))
    assert labels.numpy().tolist() == [0, 1]  # clap, wave
    np.testing.assert_allclose(
        clips.numpy()[0].reshape(2, -1).mean(1), [90, 210], atol=2
    )


def test_csv_of_paths_and_labels(videos, tmp_path):
    copy_video(videos, "counter_hevc.mp4", tmp_path / "clips" / "a.mp4")
    copy_video(videos, "sintel_480p_h264.mp4", tmp_path / "clips" / "b.mp4")
    csv = tmp_path / "list.csv"
    csv.write_text("path,label\nclips/a.mp4,wave\nclips/b.mp4,clap\n")
    samples = data.list_videos(csv)
    assert samples.class_names == ["clap", "wave"] and samples.labels == [1, 0]
    csv.write_text("clips/a.mp4,2\nclips/b.mp4,0\n")
    samples = data.list_videos(csv)
    assert samples.class_names == ["0", "1", "2"] and samples.labels == [2, 0]
    samples = data.list_videos(csv, class_names=["0", "1", "2", "3"])
    assert samples.labels == [2, 0]


def test_csv_errors_name_file_and_line(tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text("a.mp4,wave\nb.mp4\n")
    with pytest.raises(
        data.AnnotationError, match=r"list.csv:2: expected 'path,label'"
    ):
        data.list_videos(csv)
    csv.write_text("a.mp4,wave\nb.mp4,jump\n")
    with pytest.raises(data.AnnotationError, match=r"list.csv:2: class 'jump'"):
        data.list_videos(csv, class_names=["wave"])


def test_mixed_kinds_and_empty_folders_are_errors(videos, tmp_path):
    with pytest.raises(ValueError, match="no videos"):
        data.list_videos(tmp_path)
    copy_video(videos, "counter_hevc.mp4", tmp_path / "a" / "x.mp4")
    write_frames(tmp_path / "a" / "y", solid_frames([1]))
    with pytest.raises(ValueError, match="mixes video files and frame folders"):
        data.list_videos(tmp_path)


def test_flipping_is_on_by_default_for_own_videos(tmp_path):
    ramp = np.tile(np.linspace(0, 250, 64).astype(np.uint8)[None, :, None], (48, 1, 3))
    for i in range(16):
        write_frames(tmp_path / "c" / f"{i:02d}", [ramp] * 2)
    dataset = data.load_videos(
        tmp_path, num_segments=2, image_size=16, training=True, batch_size=16, seed=1
    )
    clips = next(iter(dataset))[0].numpy()[:, 0, 8, :, 0].astype(int)
    flipped = np.sum(clips[:, :4].mean(1) > clips[:, -4:].mean(1))
    assert 2 < flipped < 14


@pytest.mark.slow
def test_every_real_video_at_full_size_with_bad_ones_skipped(videos, tmp_path):
    names = sorted(DECODED_FRAMES) + list(UNDECODABLE)
    for name in names:
        copy_video(videos, name, tmp_path / "all" / name)
    dataset = data.load_videos(tmp_path, training=True, num_segments=8, batch_size=5)
    clips = [c.numpy() for c, _ in dataset]
    assert all(c.shape == (5, 8, 224, 224, 3) and c.max() > 0 for c in clips)
    assert sum(len(c) for c in clips) == 10  # 13 readable, last partial batch dropped
    assert dataset.skipped.count == 2
