import numpy as np
import pytest

from keras_action import data
from keras_action.data import AnnotationError, egogesture
from tests.data.conftest import solid_frames, write_frames


def make_egogesture(root, subjects=(1, 3, 2), rows="4,2,5\n83,7,9\n"):
    """Subjects with one scene and group of 10 frames (frame i is grey 20·i)."""
    for subject in subjects:
        scene = root / f"Subject{subject:02d}" / "Scene1" / "Color" / "rgb1"
        write_frames(scene, solid_frames(range(20, 220, 20)), digits=6)
        labels = root / "labels-final-revised1" / f"subject{subject:02d}" / "Scene1"
        labels.mkdir(parents=True)
        (labels / "Group1.csv").write_text(rows)
    return root


def test_standard_subject_split():
    splits = egogesture.SPLITS
    assert len(splits["train"]) == 30 and len(splits["validation"]) == 10
    assert (
        len(splits["test"]) == 10 and 2 in splits["test"] and 1 in splits["validation"]
    )
    assert sorted(sum(map(list, splits.values()), [])) == list(range(1, 51))


def test_each_row_is_a_sample_within_its_frame_range(tmp_path):
    root = make_egogesture(tmp_path)
    samples = data.list_egogesture(root, "train")  # subject 3 only
    assert len(samples) == 2 and samples.labels == [3, 82]
    assert samples.first_frames == [2, 7] and samples.num_frames == [4, 3]
    assert samples.sources[0].endswith("Subject03/Scene1/Color/rgb1")
    dataset = data.load_egogesture(
        root, "train", num_segments=4, image_size=8, training=False, batch_size=2
    )
    assert len(dataset.class_names) == 83
    clips, labels = next(iter(dataset))
    means = clips.numpy().reshape(2, 4, -1).mean(-1)
    # Frames 2..5 (grey 40..100) and 7..9 (140..180) only: never outside the row.
    np.testing.assert_allclose(means[0], [40, 60, 80, 100], atol=2)
    np.testing.assert_allclose(means[1], [140, 160, 160, 180], atol=2)
    assert labels.numpy().tolist() == [3, 82]


def test_validation_test_and_custom_subjects(tmp_path):
    root = make_egogesture(tmp_path)
    assert len(data.list_egogesture(root, "validation")) == 2  # subject 1
    assert len(data.list_egogesture(root, "test")) == 2  # subject 2
    assert len(data.list_egogesture(root, subjects=[1, 2, 3])) == 6
    with pytest.raises(AnnotationError, match="no annotations"):
        data.list_egogesture(root, subjects=[40])


def test_frames_under_images_folder_and_class_names(tmp_path):
    make_egogesture(tmp_path / "images_320-240", subjects=(3,))
    (tmp_path / "images_320-240" / "labels-final-revised1").rename(
        tmp_path / "labels-final-revised1"
    )
    names = [f"g{i}" for i in range(83)]
    samples = data.list_egogesture(tmp_path, "train", class_names=names)
    assert "images_320-240/Subject03" in samples.sources[0]
    assert samples.class_names == names


@pytest.mark.parametrize(
    "rows, line, reason",
    [
        ("1,2,5\n1,2\n", 2, "expected 'class,start,end'"),
        ("1,2,5\nx,2,5\n", 2, "expected 'class,start,end'"),
        ("84,2,5\n", 1, "class 84 is not in 1..83"),
        ("5,6,2\n", 1, "bad frame range"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, rows, line, reason):
    root = make_egogesture(tmp_path, subjects=(3,), rows=rows)
    with pytest.raises(AnnotationError, match=f"Group1.csv:{line}: {reason}"):
        data.list_egogesture(root, "train")


def test_header_row_is_accepted(tmp_path):
    root = make_egogesture(tmp_path, subjects=(3,), rows="class,start,end\n1,1,3\n")
    assert data.list_egogesture(root, "train").labels == [0]
