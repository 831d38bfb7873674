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
