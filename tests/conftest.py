from pathlib import Path

import keras
import pytest

#: The real test videos, beside the project (read-only).
VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"


@pytest.fixture(scope="session")
def videos():
    """The real test videos folder, or skip when it is absent."""
    if not (VIDEOS / "README.md").is_file():
        pytest.skip(f"real test videos not found at {VIDEOS}")
    return VIDEOS


@pytest.fixture(autouse=True)
def _float32_policy_and_seed():
    """Each test starts from float32 and a fixed seed, whatever the last one set."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    yield
    keras.config.set_dtype_policy("float32")


def pytest_ignore_collect(collection_path):
    """Here only `test_*.py` files are collected. `--doctest-modules` (`make
    test`) would otherwise import every module, and some are scripts that
    tests run in a subprocess (`training/killed_run.py`)."""
    if collection_path.suffix == ".py" and not collection_path.name.startswith("test_"):
        return True
    return None
