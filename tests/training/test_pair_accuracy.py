import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "pair_accuracy.py"


@pytest.fixture(scope="module")
def pair_accuracy():
    spec = importlib.util.spec_from_file_location("pair_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pair_accuracy


def test_within_pair_accuracy_counts_only_clips_predicted_in_their_pair(
    pair_accuracy,
):
    names = ["Moving right", "Moving left", "Moving down", "Moving up"]
    confusion = [
        [6, 4, 0, 0],  # right: 6 right, 4 reversed
        [5, 5, 0, 0],
        [0, 0, 8, 2],
        [8, 0, 2, 0],  # up: 2 reversed, 8 in the other pair
    ]
    pair, within = pair_accuracy(confusion, names)
    assert pair == pytest.approx(32 / 40)  # 10 + 10 + 10 + 2 in the right pair
    assert within == pytest.approx(19 / 32)  # 6 + 5 + 8 + 0 exactly right


def test_pairs_follow_the_class_names_not_their_order(pair_accuracy):
    # A labels file may list the classes in another order.
    names = ["Moving left", "Growing", "Moving right", "Shrinking"]
    confusion = [
        [0, 0, 10, 0],  # every "left" clip called "right": the right pair
        [0, 10, 0, 0],
        [0, 0, 10, 0],
        [0, 10, 0, 0],
    ]
    pair, within = pair_accuracy(confusion, names)
    assert (pair, within) == (1.0, 0.5)
