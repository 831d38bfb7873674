"""NumPy numerics shared by training, evaluation and on-device prediction."""

import numpy as np


def softmax(logits):
    """Class probabilities of logits, along the last axis."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
