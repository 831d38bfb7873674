"""A training run that SIGKILLs itself at a chosen moment (fault injection).

    python tests/training/killed_run.py KIND NAME N -- <training arguments>

The process kills itself with SIGKILL (no cleanup, no flush, exactly as an
out-of-memory killer or a preempted machine would) at the N-th occurrence
(counted from 1) of the moment KIND concerning a file whose name contains NAME
(`-`: any file):

- `written`: a file's content is complete but not yet renamed into place
  (every atomically written file: model, backup, history, pictures, metrics);
- `torn`: in the middle of writing a weights or model file (the kill comes
  after half of the file reached the disk);
- `renamed`: right after a file was renamed into place;
- `csv_row`: right after an epoch's row was appended to `history.csv`;
- `batch`: after a training batch;
- `report`: when the final evaluation of the finished training begins.

If the moment never comes, the run ends normally.
"""

import os
import signal
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from keras_action.training import callbacks, cli, trainer  # noqa: E402
from keras_action.utils import atomic  # noqa: E402

KIND, NAME, COUNT = sys.argv[1], sys.argv[2], int(sys.argv[3])
_seen = 0


def _is_moment(kind, path=""):
    """Counts the moment; true when it is the chosen one."""
    global _seen
    if kind != KIND or (NAME != "-" and NAME not in Path(str(path)).name):
        return False
    _seen += 1
    return _seen == COUNT


def _kill():
    os.kill(os.getpid(), signal.SIGKILL)


def _after(function, kind, path_of):
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        if _is_moment(kind, path_of(*args, **kwargs)):
            _kill()
        return result

    return wrapped


def _before(function, kind, path_of):
    def wrapped(*args, **kwargs):
        if _is_moment(kind, path_of(*args, **kwargs)):
            _kill()
        return function(*args, **kwargs)

    return wrapped


def _torn(function):
    """At the moment, writes the file, cuts it to half its size and dies."""

    def wrapped(model, path, *args, **kwargs):
        result = function(model, path, *args, **kwargs)
        if _is_moment("torn", path):
            with open(path, "r+b") as file:
                file.truncate(os.path.getsize(path) // 2)
            _kill()
        return result

    return wrapped


atomic.fsync_file = _before(atomic.fsync_file, "written", lambda path: path)
atomic.os.replace = _after(os.replace, "renamed", lambda source, target: target)
keras.Model.save_weights = _torn(keras.Model.save_weights)
keras.Model.save = _torn(keras.Model.save)
keras.callbacks.CSVLogger.on_epoch_end = _after(
    keras.callbacks.CSVLogger.on_epoch_end, "csv_row", lambda *args, **kw: ""
)
callbacks.StopOnNaN.on_train_batch_end = _after(
    callbacks.StopOnNaN.on_train_batch_end, "batch", lambda *args, **kw: ""
)
trainer.predict_scores = _before(
    trainer.predict_scores, "report", lambda *args, **kw: ""
)

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[sys.argv.index("--") + 1 :]))
