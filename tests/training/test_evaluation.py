import numpy as np
import pytest

from keras_action.training import classification_metrics, predict_scores


def test_views_are_averaged_as_probabilities():
    # Two videos, two views each; logits depend on the first pixel of each view.
    clips = np.zeros((2, 2, 1, 1, 1, 3), "float32")
    clips[0, 0, ..., 0] = 2.0
    clips[0, 1, ..., 0] = -2.0
    labels = np.array([0, 1])

    def predict(flat):
        first = flat[:, 0, 0, 0, 0]
        return np.stack([first, -first], axis=1)

    scores, seen = predict_scores(predict, [(clips, labels)])
    np.testing.assert_array_equal(seen, labels)
    np.testing.assert_allclose(scores[0], [0.5, 0.5])  # symmetric views cancel
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)


def test_metrics_from_scores():
    scores = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]
    )
    labels = np.array([0, 1, 1, 0])
    metrics = classification_metrics(scores, labels, ["a", "b", "c"])
    assert metrics["top1"] == 0.5
    assert metrics["top5"] == 1.0
    assert metrics["per_class"] == {"a": 0.5, "b": 0.5, "c": None}
    assert metrics["confusion"] == [[1, 0, 1], [1, 1, 0], [0, 0, 0]]


def test_an_empty_dataset_is_an_error():
    with pytest.raises(ValueError, match="no clips"):
        predict_scores(lambda x: x, [])


def tiny_model(path, num_classes):
    import keras

    model = keras.Sequential(
        [
            keras.Input((4, 32, 32, 3)),
            keras.layers.GlobalAveragePooling3D(),
            keras.layers.Dense(num_classes),
        ]
    )
    model.save(path)
    return path


@pytest.fixture(scope="module")
def four_classes(tmp_path_factory):
    from keras_action.data import write_synthetic_jester

    root = tmp_path_factory.mktemp("four")
    return write_synthetic_jester(
        root,
        clips_per_class=4,
        num_classes=4,
        num_frames=(4, 5),
        image_size=(32, 32),
        test_clips=2,
    )


def test_evaluate_refuses_a_model_of_another_class_count(four_classes, tmp_path):
    from keras_action.training.evaluation import evaluate

    model = tiny_model(tmp_path / "two.keras", 2)
    with pytest.raises(ValueError, match="scores 2 classes but jester .* has 4"):
        evaluate(model, four_classes, split="validation", output=tmp_path / "eval")
    assert not (tmp_path / "eval").exists()
    metrics = evaluate(
        tiny_model(tmp_path / "four.keras", 4),
        four_classes,
        split="validation",
        output=tmp_path / "eval",
    )
    assert metrics["num_samples"] > 0 and len(metrics["per_class"]) == 4


def test_evaluate_refuses_an_unlabelled_split(four_classes, tmp_path):
    from keras_action.training.evaluation import evaluate

    model = tiny_model(tmp_path / "four.keras", 4)
    with pytest.raises(ValueError, match="'test' .* unlabelled.*keras-action predict"):
        evaluate(model, four_classes, split="test", output=tmp_path / "eval")
    assert not (tmp_path / "eval").exists()


def test_metrics_check_classes_and_labels():
    scores = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="scores 3 classes, the dataset has 2"):
        classification_metrics(scores, np.array([0, 1]), ["a", "b"])
    with pytest.raises(ValueError, match="1 of 2 clips have no label"):
        classification_metrics(scores, np.array([0, -1]), ["a", "b", "c"])


def test_evaluate_at_the_official_test_view(four_classes, tmp_path):
    """A .keras model rebuilt at another frame size; three whole-shorter-side
    crops. A .tflite file's frame size is fixed: asking another is an error."""
    from keras_action.training.evaluation import evaluate

    model = tiny_model(tmp_path / "four.keras", 4)
    metrics = evaluate(
        model,
        four_classes,
        num_clips=2,
        num_crops=3,
        image_size=48,
        crop_fraction=1.0,
        output=tmp_path / "eval",
    )
    assert (metrics["image_size"], metrics["crop_fraction"]) == (48, 1.0)
    assert (metrics["clips"], metrics["crops"]) == (2, 3)
    assert metrics["num_samples"] > 0

    from keras_action.export import to_tflite
    from keras_action.models import build_model

    tflite = tmp_path / "four.tflite"
    to_tflite(build_model("mobilenet_v2", "tsn", 4, 4, image_size=32), tflite)
    with pytest.raises(ValueError, match=r"32² frames, fixed in the file.*48²"):
        evaluate(tflite, four_classes, image_size=48, output=tmp_path / "e2")
