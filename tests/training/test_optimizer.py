import keras
import numpy as np

from keras_action.training import LayerwiseSGD


def _variables():
    classifier = keras.Variable(np.ones((2, 2), "float32"), name="kernel")
    classifier._path = "classifier/kernel"
    other = keras.Variable(np.ones((3,), "float32"), name="bias")
    other._path = "backbone/bias"
    return classifier, other


def test_multiplier_equals_a_larger_learning_rate_for_that_layer():
    classifier, other = _variables()
    grads = [np.full((2, 2), 0.1, "float32"), np.full((3,), 0.1, "float32")]
    optimizer = LayerwiseSGD(
        0.01, global_clipnorm=None, lr_multipliers={"classifier": 5.0}
    )
    for _ in range(3):  # momentum makes later steps differ from the first
        optimizer.apply(grads, [classifier, other])
    reference_classifier, reference_other = _variables()
    for lr, variable in ((0.05, reference_classifier), (0.01, reference_other)):
        reference = keras.optimizers.SGD(lr, momentum=0.9)
        grad = grads[0] if variable is reference_classifier else grads[1]
        for _ in range(3):
            reference.apply([grad], [variable])
    np.testing.assert_allclose(
        classifier.numpy(), reference_classifier.numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(other.numpy(), reference_other.numpy(), rtol=1e-6)


def test_raw_gradients_are_clipped_to_the_global_norm_before_multipliers():
    classifier, other = _variables()
    grads = [np.full((2, 2), 30.0, "float32"), np.full((3,), 40.0, "float32")]
    norm = np.sqrt(4 * 30.0**2 + 3 * 40.0**2)
    optimizer = LayerwiseSGD(
        1.0, momentum=0.0, global_clipnorm=20.0, lr_multipliers={"classifier": 2.0}
    )
    optimizer.apply(grads, [classifier, other])
    np.testing.assert_allclose(classifier.numpy(), 1 - 2 * 30.0 * 20 / norm, rtol=1e-5)
    np.testing.assert_allclose(other.numpy(), 1 - 40.0 * 20 / norm, rtol=1e-5)


def test_biases_that_no_prefix_matches_get_the_bias_multiplier():
    classifier, other = _variables()
    optimizer = LayerwiseSGD(
        1.0,
        momentum=0.0,
        global_clipnorm=None,
        lr_multipliers={"classifier": 5.0},
        bias_multiplier=2.0,
    )
    optimizer.apply(
        [np.full((2, 2), 0.1, "float32"), np.full((3,), 0.1, "float32")],
        [classifier, other],
    )
    np.testing.assert_allclose(classifier.numpy(), 1 - 0.5, rtol=1e-6)
    np.testing.assert_allclose(other.numpy(), 1 - 0.2, rtol=1e-6)  # backbone/bias


def test_config_round_trip():
    optimizer = LayerwiseSGD(
        0.02,
        global_clipnorm=10.0,
        lr_multipliers={"classifier": 5.0},
        bias_multiplier=2,
    )
    restored = LayerwiseSGD.from_config(optimizer.get_config())
    assert restored.lr_multipliers == {"classifier": 5.0}
    assert restored.bias_multiplier == 2.0
    assert restored.raw_clipnorm == 10.0
    assert float(restored.learning_rate.numpy()) == np.float32(0.02)
