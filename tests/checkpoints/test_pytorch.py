import argparse
import importlib.util
import pathlib
import sys

import keras
import numpy as np
import pytest

from keras_action.checkpoints.pytorch import (
    convert_checkpoint,
    infer_module,
    load_state_dict,
    read_checkpoint,
)
from keras_action.models import build_model
from keras_action.models.mobilenet_v2_torch import MobileNetV2Torch

NUM_CLASSES, SEGMENTS = 5, 4
# 33² takes BN-Inception's pool1 through an odd side (no ceil-mode window),
# the later poolings through even ones (one window over the edge).
SIZES = {"mobilenet_v2": 64, "resnet50": 32, "bninception": 33}
CLI = pathlib.Path(__file__).parents[2] / "conversion" / "from_pytorch.py"


@pytest.fixture(scope="module")
def reference():
    pytest.importorskip("torch")
    from tests.checkpoints import pytorch_reference

    return pytorch_reference


def _clips(size, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (2, SEGMENTS, size, size, 3)).astype("float32")


def _official(reference, backbone, module, path, data_parallel=True):
    """Saves a random official network; returns its logits on `_clips(size, 0)`."""
    import torch

    size = SIZES[backbone]
    network = reference.TSN(backbone, module, NUM_CLASSES, SEGMENTS)
    reference.randomize(network, _clips(size, seed=1))
    reference.save_official_checkpoint(network, path, data_parallel)
    with torch.no_grad():
        return network(torch.from_numpy(_clips(size, seed=0))).numpy()


def _assert_same_logits(actual, expected):
    """Within 1e-4 relative, the scale being the largest logit."""
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize(
    "backbone, module, data_parallel",
    [
        ("mobilenet_v2", "action", True),
        ("resnet50", "action", False),
        ("resnet50", "tsm", True),
    ],
)
def test_converted_model_gives_the_official_logits(
    reference, tmp_path, backbone, module, data_parallel
):
    path = tmp_path / "ckpt.pth.tar"
    expected = _official(reference, backbone, module, path, data_parallel)
    assert any(key.endswith(".num_batches_tracked") for key in read_checkpoint(path))

    model = convert_checkpoint(
        path, backbone, NUM_CLASSES, SEGMENTS, image_size=SIZES[backbone]
    )

    assert model.name == f"{module}_{backbone}_torch"  # the module was inferred
    _assert_same_logits(model.predict(_clips(SIZES[backbone], 0), verbose=0), expected)


@pytest.fixture(scope="module")
def tsm_checkpoint(reference, tmp_path_factory):
    """MobileNetV2 TSM, saved without DataParallel: the fourth case of the above."""
    path = tmp_path_factory.mktemp("tsm") / "tsm.pth.tar"
    logits = _official(reference, "mobilenet_v2", "tsm", path, data_parallel=False)
    return path, logits


def _tiny(module):
    return build_model(
        "mobilenet_v2_torch",
        module,
        num_classes=NUM_CLASSES,
        num_segments=SEGMENTS,
        image_size=SIZES["mobilenet_v2"],
        normalization="imagenet",
    )


@pytest.fixture(scope="module")
def cli():
    spec = importlib.util.spec_from_file_location("from_pytorch", CLI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_command_line_writes_a_keras_file_with_the_official_logits(
    cli, tsm_checkpoint, tmp_path
):
    checkpoint, expected = tsm_checkpoint
    output = tmp_path / "tsm.keras"

    cli.main(
        [
            f"--checkpoint={checkpoint}",
            "--backbone=mobilenet_v2",
            f"--num-classes={NUM_CLASSES}",
            f"--segments={SEGMENTS}",
            f"--image-size={SIZES['mobilenet_v2']}",
            f"--output={output}",
        ]
    )

    model = keras.saving.load_model(output)
    assert model.name == "tsm_mobilenet_v2_torch"
    clips = _clips(SIZES["mobilenet_v2"], 0)
    _assert_same_logits(model.predict(clips, verbose=0), expected)


def test_command_line_reports_a_bad_checkpoint_without_a_traceback(
    cli, reference, tmp_path
):
    missing = tmp_path / "missing.pth.tar"
    arguments = ["--backbone=resnet50", "--num-classes=5", "--segments=4"]

    with pytest.raises(SystemExit, match=r"^error: .*missing\.pth\.tar"):
        cli.main([f"--checkpoint={missing}", *arguments, "--output=x.keras"])


def test_missing_and_unexpected_tensors_are_listed_and_nothing_is_set(
    tsm_checkpoint,
):
    state_dict = read_checkpoint(tsm_checkpoint[0])
    # features.3 is Keras' block_2, the first block with a residual connection.
    del state_dict["base_model.features.3.conv.0.net.weight"]
    state_dict["base_model.features.3.conv.0.extra.weight"] = np.zeros(3)
    model = _tiny("tsm")
    before = model.get_weights()

    with pytest.raises(ValueError) as error:
        load_state_dict(model, state_dict, "mobilenet_v2", source="tsm.pth.tar")

    message = str(error.value)
    assert "tsm.pth.tar" in message
    assert (
        "missing from the checkpoint (1): base_model.features.3.conv.0.net.weight"
        in message
    )
    assert (
        "unexpected in the checkpoint (1): base_model.features.3.conv.0.extra.weight"
        in message
    )
    for weight, original in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(weight, original)


def test_a_checkpoint_of_another_module_is_refused(tsm_checkpoint):
    state_dict = read_checkpoint(tsm_checkpoint[0])

    with pytest.raises(ValueError) as error:
        load_state_dict(_tiny("action"), state_dict, "mobilenet_v2_torch")

    message = str(error.value)
    assert "missing from the checkpoint (120)" in message  # 12 tensors × 10 blocks
    assert "base_model.features.3.conv.0.action_p3_bn1.running_var," in message
    assert "unexpected" not in message


def test_a_shape_mismatch_names_the_tensor_and_both_shapes(tsm_checkpoint):
    state_dict = read_checkpoint(tsm_checkpoint[0])
    state_dict["new_fc.weight"] = np.zeros((NUM_CLASSES + 1, 1280), "float32")

    with pytest.raises(
        ValueError, match=r"'new_fc.weight' has shape \(6, 1280\)"
    ) as error:
        load_state_dict(_tiny("tsm"), state_dict, "mobilenet_v2")

    assert "classifier/kernel has shape (1280, 5)" in str(error.value)


@pytest.mark.parametrize("module", ["action", "gsm", "tsm", "tsn"])
def test_bn_inception_checkpoints_give_the_official_logits(reference, tmp_path, module):
    path = tmp_path / "ckpt.pth.tar"
    expected = _official(reference, "bninception", module, path)
    # TSM's BN-Inception shifts have no weights: its names are TSN's.
    named = module if module in ("tsm", "tsn") else None

    model = convert_checkpoint(
        path, "bninception", NUM_CLASSES, SEGMENTS, module=named, image_size=33
    )

    assert model.name == f"{module}_bninception"
    _assert_same_logits(model.predict(_clips(33, 0), verbose=0), expected)


@pytest.fixture(scope="module")
def bn_inception_action(reference, tmp_path_factory):
    """An official-format BN-Inception ACTION-Net checkpoint and its logits."""
    path = tmp_path_factory.mktemp("bninception") / "action.pth.tar"
    return path, _official(reference, "bninception", "action", path)


def test_action_nets_repeated_convs_must_equal_the_convs(bn_inception_action):
    """ACTION-Net registers the conv after each module twice (`shift_2.net` is
    `inception_3a_1x1`): the repeats are accepted when equal, refused otherwise."""
    state_dict = read_checkpoint(bn_inception_action[0])
    assert np.array_equal(
        state_dict["base_model.shift_2.net.weight"],
        state_dict["base_model.inception_3a_1x1.weight"],
    )
    model = build_model("bninception", "action", NUM_CLASSES, SEGMENTS, 33)
    load_state_dict(model, state_dict, "bninception")

    state_dict["base_model.shift_4d.net.bias"] = np.zeros(128, "float32")
    with pytest.raises(ValueError) as error:
        load_state_dict(model, state_dict, "bninception")
    assert (
        "repeats that differ from the tensor they repeat (1): "
        "base_model.shift_4d.net.bias (of base_model.inception_4e_3x3_reduce.bias)"
    ) in str(error.value)


def test_a_bn_inception_checkpoint_without_module_tensors_must_say_which(
    reference, tmp_path
):
    path = tmp_path / "tsm.pth.tar"
    _official(reference, "bninception", "tsm", path)
    with pytest.raises(ValueError, match=r"tsm\.pth\.tar: .*TSN or TSM.*--module"):
        convert_checkpoint(path, "bninception", NUM_CLASSES, SEGMENTS, image_size=33)


def test_bn_inception_multiply_adds_match_the_official_network(reference):
    """Multiply-adds of every convolution of the reference at 224², counted with
    forward hooks, against `model_stats` of the Keras backbone."""
    import torch

    from keras_action.models import model_stats
    from keras_action.models.bn_inception import BNInception

    network = reference.BNInception().eval()
    counted = []

    def count(conv, inputs, output):
        per_output = conv.weight[0].numel()
        counted.append(output[0].numel() * per_output)

    for module in network.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(count)
    with torch.no_grad():
        network(torch.zeros(1, 3, 224, 224))
    keras_backbone = BNInception(input_shape=(224, 224, 3))
    assert model_stats(keras_backbone)["flops"] == sum(counted)


def test_infer_module_from_names():
    assert (
        infer_module({"base_model.layer1.0.conv1.action_shift.weight": 0}) == "action"
    )
    assert infer_module({"base_model.gsm_inception_3a_1x1.conv3D.bias": 0}) == "gsm"
    assert infer_module({"base_model.layer1.0.conv1.net.weight": 0}) == "tsm"
    assert infer_module({"base_model.layer1.0.conv1.weight": 0}) == "tsn"


def test_unknown_backbone_is_refused():
    with pytest.raises(ValueError, match="'resnet101'.*'mobilenet_v2', 'resnet50'"):
        load_state_dict(_tiny("tsm"), {}, "resnet101")


@pytest.mark.parametrize(
    "content, message",
    [
        ({"state_dict": {"weight": 1.0}}, "expected a dict with a 'state_dict'"),
        ({"args": argparse.Namespace(lr=0.01)}, r"torch.load\(weights_only=True\)"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_refused(
    reference, tmp_path, content, message
):
    import torch

    path = tmp_path / "not_a_checkpoint.pth"
    torch.save(content, path)

    with pytest.raises(ValueError, match=f"not_a_checkpoint.pth: .*{message}"):
        read_checkpoint(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"hello world\n", "not a PyTorch checkpoint, or a truncated one"),
        (b"PK\x03\x04 truncated zip", "not a PyTorch checkpoint, or a truncated one"),
    ],
)
def test_text_empty_and_truncated_files_are_named(
    cli, reference, tmp_path, content, message
):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    arguments = ["--backbone=resnet50", "--num-classes=5", "--segments=4"]
    with pytest.raises(SystemExit, match=f"^error: .*bad.pth: {message}"):
        cli.main([f"--checkpoint={path}", *arguments, "--output=x.keras"])


def test_missing_torch_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)

    with pytest.raises(ImportError, match=r'pip install "keras-action\[torch\]"'):
        read_checkpoint("ckpt.pth.tar")


def test_mobilenet_v2_torch_has_the_weights_of_keras_mobilenet_v2():
    """Same names and shapes: official weights map to the Keras layer names."""
    shape = (64, 64, 3)
    ours = MobileNetV2Torch(input_shape=shape)
    theirs = keras.applications.MobileNetV2(
        input_shape=shape, include_top=False, weights=None, pooling="avg"
    )

    assert [(w.path, w.shape) for w in ours.weights] == [
        (w.path, w.shape) for w in theirs.weights
    ]
    batch_norms = [
        layer
        for layer in ours.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert {layer.epsilon for layer in batch_norms} == {1e-5}


@pytest.mark.parametrize(
    "checkpoint_fixture, backbone",
    [
        pytest.param("tsm_checkpoint", "mobilenet_v2", marks=pytest.mark.slow),
        # BGR input, ceil-mode and padded pooling on LiteRT.
        ("bn_inception_action", "bninception"),
    ],
)
def test_converted_model_exports_to_litert_with_the_official_logits(
    request, tmp_path, checkpoint_fixture, backbone
):
    """Through a saved `.keras` file (the layers deserialise) to a float32
    `.tflite`."""
    from keras_action.export.tflite import to_tflite
    from keras_action.runtime import LiteRTRunner

    checkpoint, expected = request.getfixturevalue(checkpoint_fixture)
    size = SIZES[backbone]
    model = convert_checkpoint(
        checkpoint, backbone, NUM_CLASSES, SEGMENTS, image_size=size
    )
    model.save(tmp_path / "converted.keras")
    runner = LiteRTRunner(
        to_tflite(keras.saving.load_model(tmp_path / "converted.keras"))
    )

    logits = np.concatenate([runner(clip) for clip in _clips(size, 0)])
    _assert_same_logits(logits, expected)
