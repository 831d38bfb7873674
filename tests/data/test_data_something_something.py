import json

import numpy as np
import pytest

from keras_action import data
from keras_action.data import AnnotationError
from tests.data.conftest import copy_video, solid_frames, write_frames

LABELS = {
    "Pushing [something] from left to right": "0",
    "Pushing [something] from right to left": "1",
}


def entry(clip_id, template):
    return {"id": clip_id, "label": "x", "template": template, "placeholders": ["x"]}


def make_ssv2(root, videos, labels=LABELS, brackets=True):
    """Two WebM clips in the official layout (annotations in `labels/`)."""
    video_dir = root / "20bn-something-something-v2"
    copy_video(videos, "bbb_vp8.webm", video_dir / "101.webm")
    copy_video(videos, "alpha_vp9.webm", video_dir / "102.webm")
    annotations = root / "labels"
    annotations.mkdir(parents=True)
    if not brackets:
        labels = {k.replace("[", "").replace("]", ""): v for k, v in labels.items()}
    (annotations / "labels.json").write_text(json.dumps(labels, indent=1))
    templates = list(LABELS)
    train = [entry("101", templates[1]), entry("102", templates[0])]
    (annotations / "train.json").write_text(json.dumps(train, indent=1))
    (annotations / "validation.json").write_text(json.dumps(train[:1], indent=1))
    (annotations / "test.json").write_text(json.dumps([{"id": "102"}], indent=1))
    return root


@pytest.mark.parametrize("brackets", [True, False])
def test_loads_webm_clips_with_template_classes(videos, tmp_path, brackets):
    root = make_ssv2(tmp_path, videos, brackets=brackets)
    dataset = data.load_something_something_v2(
        root,
        "train",
        num_segments=4,
        image_size=16,
        training=True,
        batch_size=2,
        seed=0,
    )
    assert (
        dataset.class_names[0].startswith("Pushing") and len(dataset.class_names) == 2
    )
    ((clips, labels),) = [(c.numpy(), y.numpy()) for c, y in dataset]
    assert clips.shape == (2, 4, 16, 16, 3) and clips.max() > 0
    assert sorted(labels.tolist()) == [0, 1]
    samples = data.list_something_something_v2(root, "train")
    assert samples.kind == "video" and samples.labels == [1, 0]
    assert samples.sources[0].endswith("20bn-something-something-v2/101.webm")


def test_test_split_and_validation(videos, tmp_path):
    root = make_ssv2(tmp_path, videos)
    assert data.list_something_something_v2(root, "test").labels == [-1]
    dataset = data.load_something_something_v2(
        root, "validation", num_segments=2, image_size=8
    )
    assert [y.numpy().tolist() for _, y in dataset] == [[1]]


def test_frame_folders_instead_of_videos(videos, tmp_path):
    root = make_ssv2(tmp_path, videos)
    frames = tmp_path / "frames"
    write_frames(frames / "101", solid_frames([40, 80, 120, 160, 200, 240]))
    write_frames(frames / "102", solid_frames([50] * 3))
    dataset = data.load_something_something_v2(
        root, "train", num_segments=3, image_size=8, training=False, frames_dir=frames
    )
    clips, labels = next(iter(dataset))
    np.testing.assert_allclose(
        clips[0].numpy().reshape(3, -1).mean(1), [80, 160, 240], atol=2
    )
    assert labels.numpy().tolist() == [1, 0]


def test_unknown_template_names_file_and_line(videos, tmp_path):
    root = make_ssv2(tmp_path, videos)
    train = [entry("101", list(LABELS)[0]), entry("555", "Dropping [something]")]
    (root / "labels" / "train.json").write_text(json.dumps(train, indent=1))
    with pytest.raises(
        AnnotationError, match=r"train.json:10: class 'Dropping something'"
    ):
        data.list_something_something_v2(root, "train")


def test_malformed_json_and_entries_name_file_and_line(videos, tmp_path):
    root = make_ssv2(tmp_path, videos)
    (root / "labels" / "validation.json").write_text(
        '[\n{"id": "1",\n "template" "x"}\n]'
    )
    with pytest.raises(AnnotationError, match=r"validation.json:3: invalid JSON"):
        data.list_something_something_v2(root, "validation")
    (root / "labels" / "validation.json").write_text('[\n{"label": "no id"}\n]')
    with pytest.raises(AnnotationError, match="validation.json:2: entry 0 lacks 'id'"):
        data.list_something_something_v2(root, "validation")
    (root / "labels" / "labels.json").write_text('{\n"A": "0",\n"B": "one"\n}')
    with pytest.raises(AnnotationError, match=r"labels.json:3: index 'one'"):
        data.something_something_v2_class_names(root)


def test_a_missing_split_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "labels.json").write_text('{"Pushing something": "0"}')
    with pytest.raises(AnnotationError, match="test.json: annotation file not found"):
        data.list_something_something_v2(tmp_path, "test")
