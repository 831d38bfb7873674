import subprocess
import sys

import pytest

import keras_action
from keras_action.utils.lazy import lazy_attributes, missing_dependency_hint


def test_names_load_from_their_submodule_on_first_use():
    getattr_, dir_ = lazy_attributes(
        "keras_action.export", {"to_tflite": "tflite", "tflite": "tflite"}
    )
    from keras_action.export import tflite

    assert getattr_("to_tflite") is tflite.to_tflite
    assert getattr_("tflite") is tflite
    assert dir_() == ["tflite", "to_tflite"]


def test_names_of_another_package_are_re_exported():
    getattr_, _ = lazy_attributes(
        "keras_action.export", {"LiteRTRunner": "keras_action.runtime"}
    )
    from keras_action.runtime import LiteRTRunner

    assert getattr_("LiteRTRunner") is LiteRTRunner
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        getattr_("nothing")


def test_public_names_resolve():
    for package in (keras_action, keras_action.data, keras_action.export):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"


def test_a_missing_optional_dependency_names_its_extra():
    error = ModuleNotFoundError(
        "No module named 'ai_edge_litert'", name="ai_edge_litert"
    )
    assert missing_dependency_hint(error) == (
        "ai_edge_litert is missing; install it with "
        '`pip install "keras-action[litert]"`.'
    )
    unknown = ModuleNotFoundError("No module named 'nope'", name="nope")
    assert missing_dependency_hint(unknown) is None


def test_a_lazy_name_whose_dependency_is_missing_says_what_to_install(monkeypatch):
    for module in ("keras_action.runtime", "keras_action.runtime.litert"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    for module in ("ai_edge_litert", "ai_edge_litert.interpreter"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    getattr_, _ = lazy_attributes(
        "keras_action.export", {"LiteRTRunner": "keras_action.runtime"}
    )
    with pytest.raises(ModuleNotFoundError) as error:
        getattr_("LiteRTRunner")
    assert str(error.value) == (
        "keras_action.export.LiteRTRunner: ai_edge_litert is missing; "
        'install it with `pip install "keras-action[litert]"`.'
    )


@pytest.mark.parametrize(
    "imports",
    [
        "import keras, keras_action",
        # The package imports no Keras; its classes register when Keras comes.
        "import keras_action, sys\nassert 'keras' not in sys.modules\nimport keras",
        "import tensorflow, keras_action, keras",
    ],
)
def test_importing_the_package_registers_what_saved_models_name(imports):
    script = (
        f"{imports}\n"
        "for name in ('ActionBlock', 'LayerwiseSGD', 'ReplicaL2'):\n"
        "    assert keras.saving.get_registered_object(f'keras_action>{name}'), name\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
