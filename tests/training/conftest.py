import pytest

from keras_action.data import write_synthetic_jester


@pytest.fixture(scope="session")
def tiny_jester(tmp_path_factory):
    """Two time-reversed classes, 8 clips each (6 train, 2 validation), 40 px."""
    root = tmp_path_factory.mktemp("jester")
    return write_synthetic_jester(
        root, clips_per_class=8, num_classes=2, num_frames=(6, 8), image_size=(40, 40)
    )


def tiny_arguments(data_dir, output, *extra):
    """Command-line arguments of a run that takes seconds."""
    return [
        "--data-dir", str(data_dir), "--output", str(output), "--segments", "4",
        "--image-size", "32", "--batch-size", "4", "--epochs", "2", "--lr", "0.01",
        "--quiet", *extra,
    ]  # fmt: skip
