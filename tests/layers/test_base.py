"""The protocol every temporal layer declares (`keras_action.layers.base`)."""

import inspect

import keras
import numpy as np
import pytest

from keras_action import layers
from keras_action.layers.base import ExcitationLayer, TemporalLayer
from tests.layers import common

TEMPORAL_CLASSES = sorted(
    (
        cls
        for cls in vars(layers).values()
        if inspect.isclass(cls) and issubclass(cls, TemporalLayer)
    ),
    key=lambda cls: cls.__name__,
)
EXCITATIONS = [cls for cls in TEMPORAL_CLASSES if issubclass(cls, ExcitationLayer)]
# Layers whose weights an official PyTorch checkpoint holds.
OFFICIAL = {
    "ActionBlock",
    "ChannelExcitation",
    "GateShift",
    "MotionExcitation",
    "SpatioTemporalExcitation",
    "TemporalShift",
}


def test_the_package_exports_every_temporal_layer():
    names = {cls.__name__ for cls in TEMPORAL_CLASSES}
    assert {"ActionBlock", "GateShift", "SMNetBlock", "TemporalShift"} <= names
    assert len(EXCITATIONS) == 4


@pytest.mark.parametrize("cls", TEMPORAL_CLASSES, ids=lambda cls: cls.__name__)
def test_every_temporal_layer_counts_its_multiply_adds(cls):
    layer = cls(num_segments=4)
    frames = common.random_frames(channels=32)
    layer(frames)
    count = layer.count_multiply_adds(frames.shape)
    assert isinstance(count, int) and count >= 0


@pytest.mark.parametrize("cls", TEMPORAL_CLASSES, ids=lambda cls: cls.__name__)
def test_a_layer_created_frozen_keeps_its_sublayers_frozen(cls):
    # As a saved model of a frozen backbone is loaded: the config says
    # `trainable=False`, and `build` makes the sublayers afterwards.
    frames = common.random_frames(channels=32)
    frozen = cls(num_segments=4)
    frozen(frames)
    frozen.trainable = False
    loaded = cls.from_config(frozen.get_config())
    loaded(frames)
    assert not loaded.trainable
    assert all(not part.trainable for part in loaded._flatten_layers())
    assert [w for w in loaded.weights if w.trainable] == []
    assert len(loaded.non_trainable_weights) == len(frozen.non_trainable_weights)


@pytest.mark.parametrize("cls", EXCITATIONS, ids=lambda cls: cls.__name__)
def test_an_excitation_returns_its_gate_on_request(cls):
    frames = common.random_frames(channels=32)
    layer = cls(num_segments=4)
    gate = keras.ops.convert_to_numpy(layer(frames, return_gate=True))
    output = keras.ops.convert_to_numpy(layer(frames))
    np.testing.assert_allclose(output, frames + frames * gate, rtol=1e-6, atol=1e-6)
    n, h, w, c = frames.shape
    expected = (n, h, w, 1) if layer.per_pixel_gate else (n, 1, 1, c)
    assert gate.shape == expected
    symbolic = layer(keras.KerasTensor(frames.shape), return_gate=True)
    assert symbolic.shape == expected


def test_official_layers_name_every_weight_once():
    for layer in (
        layers.ActionBlock(4),
        layers.ActionBlock(4, paths=("me",)),
        layers.TemporalShift(4, learnable=True),
        layers.MotionExcitation(4),
        layers.GateShift(4),
    ):
        layer.build((8, 6, 6, 32))
        named = layer.torch_weights("module")
        variables = [weight.variable for weight in named.values()]
        assert sorted(id(v) for v in variables) == sorted(id(w) for w in layer.weights)
        assert all(name.startswith("module") for name in named)
    assert layers.TemporalShift(4).torch_weights("shift") == {}


@pytest.mark.parametrize(
    "cls",
    [cls for cls in TEMPORAL_CLASSES if cls.__name__ not in OFFICIAL],
    ids=lambda cls: cls.__name__,
)
def test_layers_without_an_official_layout_say_so(cls):
    layer = cls(num_segments=4)
    layer.build((8, 6, 6, 32))
    if not layer.weights:  # nothing to name, e.g. a fixed shift
        assert layer.torch_weights("module") == {}
        return
    with pytest.raises(NotImplementedError, match=cls.__name__):
        layer.torch_weights("module")


#: PyTorch's fan-in of each default-started kernel of the official modules
#: (in_channels · kernel elements per output), for C = 64 and r = 4.
TORCH_FAN_IN = {
    "ChannelExcitation": {"squeeze": 64, "temporal_kernel": 3 * 4, "expand": 4},
    "MotionExcitation": {"squeeze": 64, "depthwise": 9, "expand": 4},
    "SpatioTemporalExcitation": {"kernel": 27},
    "SMNetSpatioTemporalExcitation": {"attention": 2 * 7 * 7},
}


@pytest.mark.parametrize("name", sorted(TORCH_FAN_IN))
def test_default_kernels_start_as_pytorch_starts_them(name):
    """Uniform in ±1/√fan_in with PyTorch's fan-in, as the official modules'
    default `nn.Conv*` starts; Keras' Glorot would give CE's squeeze a 2.4×
    larger bound, Keras' fan-in a depthwise kernel r times a smaller one."""
    layer = getattr(layers, name)(num_segments=4)
    layer(np.zeros((8, 4, 4, 64), "float32"))
    for part, fan_in in TORCH_FAN_IN[name].items():
        (kernel,) = [w for w in layer.weights if part in w.path.split("/")[-2:]]
        largest = np.abs(keras.ops.convert_to_numpy(kernel)).max()
        assert 0.8 / np.sqrt(fan_in) < largest <= 1 / np.sqrt(fan_in), kernel.path


STARTED_AS_PYTORCH = [cls for cls in TEMPORAL_CLASSES if cls.has_default_kernels]


def _designed_start(cls, path):
    """Kernels that keep their designed start: the shift, SMNet's identity fusion."""
    parts = path.split("/")
    smnet_fusion = cls.__name__.startswith("SMNet") and parts[-1] == "temporal_kernel"
    return "shift" in parts[:-1] or smnet_fusion


@pytest.mark.parametrize("cls", STARTED_AS_PYTORCH, ids=lambda c: c.__name__)
def test_kernel_initializer_starts_every_default_kernel_and_round_trips(cls):
    frames = common.random_frames(channels=32)
    layer = cls(num_segments=4, kernel_initializer="ones")
    layer(frames)
    kernels = {w.path: w for w in layer.weights if "kernel" in w.path.split("/")[-1]}
    started = [p for p in kernels if not _designed_start(cls, p)]
    assert started
    for path in started:
        assert np.all(keras.ops.convert_to_numpy(kernels[path]) == 1), path
    for path in set(kernels) - set(started):
        assert not np.all(keras.ops.convert_to_numpy(kernels[path]) == 1), path
    config = layer.get_config()
    assert config["kernel_initializer"]["class_name"] == "Ones"
    restored = cls.from_config(config)
    assert isinstance(restored.kernel_initializer, keras.initializers.Ones)
    assert cls(num_segments=4).get_config()["kernel_initializer"] is None


@pytest.mark.parametrize(
    "cls",
    [cls for cls in TEMPORAL_CLASSES if not cls.has_default_kernels],
    ids=lambda c: c.__name__,
)
def test_layers_without_default_kernels_refuse_a_kernel_initializer(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__} has no kernel"):
        cls(num_segments=4, kernel_initializer="ones")
