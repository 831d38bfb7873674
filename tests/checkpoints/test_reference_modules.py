"""keras-action against the PyTorch re-implementation of the official code:
starts, placements and modules that checkpoints alone do not cover."""

import keras
import numpy as np
import pytest

from keras_action.layers import GateShift, TemporalShift
from keras_action.models.backbones import resnet_insertion_points
from tests.layers import reference_relatives


@pytest.fixture(scope="module")
def reference():
    pytest.importorskip("torch")
    from tests.checkpoints import pytorch_reference

    return pytorch_reference


@pytest.mark.parametrize("channels, shift_div", [(24, 8), (64, 8), (40, 4)])
def test_the_learnable_shift_starts_as_the_official_action_shift(
    reference, channels, shift_div
):
    import torch

    official = reference.Action(torch.nn.Conv2d(channels, 8, 1), 4, shift_div)
    layer = TemporalShift(4, shift_div, learnable=True)
    layer.build((None, 6, 6, channels))
    # The documented layout: the Keras kernel is the official (C, 1, 3) transposed.
    kernel = keras.ops.convert_to_numpy(layer.kernel).transpose(1, 2, 0)
    np.testing.assert_array_equal(kernel, official.action_shift.weight.detach().numpy())


@pytest.mark.parametrize(
    "depth, constructor",
    [(101, keras.applications.ResNet101), (152, keras.applications.ResNet152)],
)
def test_deep_resnets_place_modules_where_the_official_code_does(
    reference, depth, constructor
):
    """The blocks wrapped by the reference's `n_round` rule, as Keras names them
    (torchvision's `layerS.B` is Keras' `conv{S+1}_block{B+1}`)."""
    import torch

    network = reference.ResNet50(depth=depth)
    reference.wrap_residual_convs(network, lambda conv: torch.nn.Sequential(conv))
    wrapped = [
        f"conv{int(name[5]) + 1}_block{int(name.split('.')[1]) + 1}_1_conv"
        for name, module in network.named_modules()
        if name.endswith(".conv1") and isinstance(module, torch.nn.Sequential)
    ]
    backbone = constructor(include_top=False, weights=None, input_shape=(32, 32, 3))
    assert resnet_insertion_points(backbone) == wrapped
    assert len(wrapped) == {101: 18, 152: 26}[depth]


def _randomised_gate_shift(reference, channels, segments, rng):
    """A Keras GateShift and the reference's with the same random weights."""
    import torch

    layer = GateShift(segments)
    layer.build((None, 5, 5, channels))
    official = reference.GateShift(channels, segments).eval()
    norm = layer.batch_norm
    values = {
        "weight": rng.uniform(0.5, 1.5, channels),
        "bias": rng.normal(size=channels),
        "running_mean": rng.normal(size=channels),
        "running_var": rng.uniform(0.5, 2.0, channels),
    }
    for variable, name in zip(
        (norm.gamma, norm.beta, norm.moving_mean, norm.moving_variance),
        values,
        strict=True,
    ):
        variable.assign(values[name])
        getattr(official.bn, name).data = torch.tensor(
            values[name], dtype=torch.float32
        )
    kernel = rng.normal(0, 0.3, (2, channels // 2, 3, 3, 3)).astype("float32")
    bias = rng.normal(size=2).astype("float32")
    # Documented layout: Keras (3, 3, 3, C/2, 2) is the official (2, C/2, 3, 3, 3).
    layer.gate_kernel.assign(kernel.transpose(2, 3, 4, 1, 0))
    layer.gate_bias.assign(bias)
    official.conv3D.weight.data = torch.from_numpy(kernel)
    official.conv3D.bias.data = torch.from_numpy(bias)
    return layer, official


def test_gate_shift_computes_the_official_gsm(reference):
    import torch

    rng = np.random.default_rng(3)
    layer, official = _randomised_gate_shift(reference, 16, 4, rng)
    frames = rng.normal(size=(8, 5, 5, 16)).astype("float32")
    with torch.no_grad():
        expected = official(torch.from_numpy(frames.transpose(0, 3, 1, 2)))
    actual = keras.ops.convert_to_numpy(layer(frames, training=False))
    np.testing.assert_allclose(
        actual, expected.numpy().transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-5
    )
    # The gates are open: the output is not the closed gates' permutation.
    assert (
        np.abs(
            actual - frames[..., reference_relatives.gsm_closed_permutation(16)]
        ).max()
        > 0.1
    )
