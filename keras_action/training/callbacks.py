"""Callbacks of the training loop that Keras does not have."""

import math
import sys
import time
from pathlib import Path

import keras

from keras_action.utils import atomic


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class StopOnNaN(keras.callbacks.TerminateOnNaN):
    """`TerminateOnNaN` that stops at once, before any epoch-end saving.

    Keras' `TerminateOnNaN` lets the epoch finish, so a checkpoint callback
    could still save the broken weights; raising here prevents that, and the
    last backup keeps the last good epoch.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise TrainingDiverged(
                f"The training loss became {float(loss)} at batch {batch}. No model "
                "was saved for this epoch; try a lower --lr, or fewer mixed-precision "
                "layers."
            )


class TrainingDataError(ValueError):
    """The training data gave no batch, or too many of its samples were unreadable."""


def check_batches(num_samples, batch_size):
    """Raises `TrainingDataError` when `num_samples` make no whole batch.

    Training keeps whole batches only, so a split smaller than a batch would
    train nothing and still "succeed".
    """
    if num_samples < batch_size:
        raise TrainingDataError(
            f"The training split has {num_samples} sample(s), fewer than a batch "
            f"of {batch_size}: no training step would run. Lower --batch-size or "
            "check the annotations."
        )


class CheckSkippedSamples(keras.callbacks.Callback):
    """Stops training when an epoch trained on nothing or skipped too much.

    Unreadable samples are skipped and counted by the pipeline (`SkipReport`);
    an epoch that skipped more than `max_skipped` of `num_samples`, or that ran
    no training step at all, raises `TrainingDataError` at its end, before
    anything is saved for it (put this callback before those that save).

    Args:
        num_samples: training samples one epoch reads.
        skipped: the training dataset's `SkipReport`.
        max_skipped: the largest tolerated fraction of skipped samples, in
            [0, 1]; 1 tolerates any number (as long as one step runs).
    """

    def __init__(self, num_samples, skipped, max_skipped):
        super().__init__()
        self.num_samples = num_samples
        self.skipped = skipped
        self.max_skipped = max_skipped
        self._steps = self._skipped_before = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._steps = 0
        self._skipped_before = self.skipped.count

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        skipped = self.skipped.count - self._skipped_before
        share = f"{skipped} of its {self.num_samples} training samples"
        if self._steps == 0:
            raise TrainingDataError(
                f"Epoch {epoch + 1} ran no training step: it skipped {share} as "
                "unreadable (see the warnings above for the files)."
            )
        if skipped > self.max_skipped * self.num_samples:
            raise TrainingDataError(
                f"Epoch {epoch + 1} skipped {share} as unreadable "
                f"({100 * skipped / self.num_samples:.1f}%), more than --max-skipped "
                f"{self.max_skipped:g}; nothing was saved for this epoch. Fix or "
                "remove those files (see the warnings above), or raise --max-skipped."
            )


class EpochSummary(keras.callbacks.Callback):
    """Prints one line per epoch: steps, losses, accuracies, learning rate, time.

    The line is plain text (no `\\r`, no colours), so a log file or a pipe
    gets exactly one line per epoch.
    """

    def __init__(self, epochs, print_fn=print):
        super().__init__()
        self.epochs = epochs
        self.print_fn = print_fn
        self._start = None
        self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"epoch {epoch + 1}/{self.epochs}", f"{self._steps} steps"]
        for key in ("loss", "top1", "val_loss", "val_top1", "val_top5"):
            if key in logs:
                value = logs[key]
                parts.append(
                    f"{key} {100 * value:.1f}%"
                    if "top" in key
                    else f"{key} {value:.4f}"
                )
        learning_rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        parts.append(f"lr {float(learning_rate):.2g}")
        parts.append(f"{time.perf_counter() - self._start:.0f}s")
        self.print_fn("  ".join(parts))


class StepProgress(keras.callbacks.ProgbarLogger):
    """Keras' progress bar within an epoch, erased when the epoch ends.

    For terminals only: `EpochSummary` then prints the epoch's one line in its
    place, so each epoch is summarised once. The number of steps is known from
    the first epoch (`steps`), also when the dataset's length is not (datasets
    that skip bad samples); fewer steps just end the bar early.

    Args:
        steps: batches per epoch, or `None` to learn it from the first epoch.
    """

    def __init__(self, steps=None):
        super().__init__()
        self._steps = steps

    def set_params(self, params):
        super().set_params(params)
        self.target = self.target or self._steps

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_end(self, epoch, logs=None):
        if self.target is None:
            self.target = self.seen
        sys.stdout.write("\r\x1b[2K")  # back to the line's start, erase it
        sys.stdout.flush()


class EpochCSVLogger(keras.callbacks.CSVLogger):
    """`CSVLogger` whose epochs count from 1, as the console and `metrics.json`."""

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch + 1, logs)


class SaveBestModel(keras.callbacks.Callback):
    """Saves the model whenever `monitor` reaches a new maximum, atomically.

    The file is written beside the target and renamed over it, so a run killed
    while saving keeps its previous best model intact (Keras' `ModelCheckpoint`
    rewrites the file in place).

    Args:
        path: the `.keras` file to keep the best model in.
        monitor: the log to maximise. Defaults to `"val_top1"`.
        best: the value to beat, e.g. the best of a resumed run.
    """

    def __init__(self, path, monitor="val_top1", best=None):
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        self.best = best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        if self.best is None or value > self.best:
            self.best = float(value)
            with atomic.atomic_path(self.path) as partial:
                self.model.save(partial)
