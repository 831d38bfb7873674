"""Fine-tuning: start from a trained model's weights, and freeze the backbone."""

import dataclasses
from pathlib import Path

import keras


@dataclasses.dataclass(frozen=True)
class InitReport:
    """What `load_matching_weights` did.

    Attributes:
        source: the model file the weights came from.
        loaded: paths of the weights copied from it.
        reinitialized: `{path: reason}` for the weights left as initialised.
        unused: paths of the source's weights that matched nothing.
    """

    source: str
    loaded: tuple
    reinitialized: dict
    unused: tuple

    def lines(self):
        """A short human-readable account (one line per re-initialised weight)."""
        total = len(self.loaded) + len(self.reinitialized)
        lines = [
            f"--init-from {self.source}: loaded {len(self.loaded)} of {total} weights"
        ]
        lines += [
            f"  re-initialised {path} ({why})"
            for path, why in self.reinitialized.items()
        ]
        if self.unused:
            lines.append(f"  unused from the source: {', '.join(self.unused)}")
        return lines


def load_matching_weights(model, source):
    """Copies every weight of `source` whose path and shape match one of `model`'s.

    Weights are matched by their path (e.g. `block_3_expand/kernel`,
    `classifier/kernel`), so the two models must share a backbone layout; a
    classifier for another number of classes has another shape and keeps its
    fresh initialisation. BatchNorm moving statistics are weights too and
    come along.

    Args:
        model: the freshly built model (modified in place).
        source: a `.keras` file (a previous run's `model.keras`, or an
            official checkpoint converted by `conversion/from_pytorch.py`).

    Returns:
        An `InitReport`.

    Raises:
        ValueError: if `source` does not exist or no weight matches (e.g.
            another backbone).
    """
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"--init-from: no such model file: {path}")
    trained = keras.saving.load_model(path, compile=False)
    available = {weight.path: weight for weight in trained.weights}
    loaded, reinitialized = [], {}
    for weight in model.weights:
        match = available.pop(weight.path, None)
        if match is None:
            reinitialized[weight.path] = "not in the source"
        elif tuple(match.shape) != tuple(weight.shape):
            reinitialized[weight.path] = (
                f"shape {tuple(weight.shape)}, source {tuple(match.shape)}"
            )
        else:
            weight.assign(match)
            loaded.append(weight.path)
    if not loaded:
        raise ValueError(
            f"--init-from: no weight of {path} matches this model by name and "
            "shape; was it built with the same --backbone?"
        )
    return InitReport(str(path), tuple(loaded), reinitialized, tuple(available))


def freeze_backbone(model, head=("classifier",)):
    """Freezes every layer but the `head` ones (the classifier).

    Frozen BatchNorm layers run in inference mode, with their moving
    statistics, as Keras does for non-trainable BatchNorm.

    Returns:
        The number of layers frozen.
    """
    frozen = [layer for layer in model.layers if layer.name not in head]
    for layer in frozen:
        layer.trainable = False
    return len(frozen)
