"""Settings for every test, and the setting of the docstring examples.

`make test` runs the examples in the package's docstrings (`--doctest-modules`
over `keras_action/`) on the TensorFlow backend.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _docstring_examples(request, doctest_namespace, tmp_path, monkeypatch):
    """An example runs in a fresh folder, seeded, with `np` and `keras` imported."""
    if isinstance(request.node, pytest.DoctestItem):
        doctest_namespace.update(np=np, keras=keras)
        monkeypatch.chdir(tmp_path)
        keras.utils.set_random_seed(0)
