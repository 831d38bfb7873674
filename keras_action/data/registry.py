"""The annotated datasets that the training and evaluation tools know by name."""

from typing import NamedTuple

from keras_action.data.egogesture import list_egogesture
from keras_action.data.jester import list_jester
from keras_action.data.something_something import list_something_something_v2


class DatasetSpec(NamedTuple):
    """How to list a dataset's split, and whether flipping suits its classes.

    Attributes:
        list_samples: `(root, split) -> Samples`.
        flip: random horizontal flips by default in training (off for these:
            flipping turns "Swiping Left" into "Swiping Right").
    """

    list_samples: object
    flip: bool


DATASETS = {
    "jester": DatasetSpec(list_jester, flip=False),
    "something_something_v2": DatasetSpec(list_something_something_v2, flip=False),
    "egogesture": DatasetSpec(list_egogesture, flip=False),
}
