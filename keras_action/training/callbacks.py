"""Callbacks of the training loop that Keras does not have."""

import math
import os
import sys
import time
from pathlib import Path

import keras


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
            partial = self.path.with_name(f"{self.path.stem}.partial.keras")
            self.model.save(partial)
            os.replace(partial, self.path)
