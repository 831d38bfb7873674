"""What the project's commands print: no library noise, plain logs when piped.

TensorFlow 2.21 writes its start-up messages (oneDNN, CUDA drivers, CPU
features, "All log messages before absl::InitializeLog()") from C++ before its
logging is configured, so `TF_CPP_MIN_LOG_LEVEL` does not hide them; they are
hidden by pointing the process' stderr at /dev/null while TensorFlow imports.
Commands call `quiet_tensorflow()` before anything imports TensorFlow; the
library itself never does this, so programs that import keras-action keep
their own logging.
"""

import argparse
import contextlib
import os
import sys

from keras_action.utils.lazy import missing_dependency_hint

#: C++ log level of TensorFlow and XLA: errors reach Python as exceptions, so
#: the commands hide every C++ log line. Set `TF_CPP_MIN_LOG_LEVEL=0` to see them.
QUIET_LOG_LEVEL = "3"


@contextlib.contextmanager
def silenced_stderr():
    """Sends file descriptor 2 (C and C++ writes included) to /dev/null.

    Python exceptions raised inside still propagate; only what libraries print
    is lost, so keep the block to a library call whose output is noise.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def quiet_tensorflow():
    """Imports TensorFlow (and Keras) without its log noise; idempotent."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_LOG_LEVEL)
    if "tensorflow" in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        return
    with silenced_stderr():
        try:
            import tensorflow  # noqa: F401
        except ModuleNotFoundError:
            return  # the command names the missing extra when it needs it
    from absl import logging

    logging.set_verbosity(logging.ERROR)


def is_terminal(stream=None):
    """Whether `stream` (default: stdout) is an interactive terminal."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class LiveLine:
    """One line of progress that updates in place on a terminal, sparsely elsewhere.

    On a terminal each update rewrites the line (`\\r`); in a log or a pipe,
    where `\\r` would pile up, an update is printed as a line of its own
    only when its `key` changes (e.g. the top class) or every `every`
    updates, so the output stays readable.

    Args:
        stream: where to write (default: stdout).
        every: in a log, print at least one update in this many.

    Example:

    In a log (not a terminal), a line is printed when the key changes:

    >>> line = LiveLine()
    >>> for name, probability in [("wave", 0.62), ("wave", 0.81), ("clap", 0.7)]:
    ...     line.update(f"{name} {probability:.0%}", key=name)
    wave 62%
    clap 70%
    >>> line.close()
    """

    def __init__(self, stream=None, every=25):
        self.stream = sys.stdout if stream is None else stream
        self.every, self.tty = every, is_terminal(self.stream)
        self._count, self._key, self._width = 0, object(), 0

    def update(self, text, key=None):
        if self.tty:
            padding = " " * max(self._width - len(text), 0)
            self.stream.write(f"\r{text}{padding}")
            self.stream.flush()
            self._width = len(text)
        elif key != self._key or self._count % self.every == 0:
            print(text, file=self.stream)
        self._count += 1
        self._key = key

    def close(self):
        """Ends the line on a terminal, so that what follows starts on its own."""
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def run_reporting_errors(prog, run, *arguments):
    """Runs a command; a known mistake becomes one line on stderr and status 1.

    Known mistakes are bad input (`ValueError`, which the data errors are),
    files (`OSError`, e.g. an existing run or missing weights) and missing
    optional dependencies, which get the extra that installs them.
    """
    try:
        return run(*arguments) or 0
    except ModuleNotFoundError as error:
        hint = missing_dependency_hint(error)
        if hint is None:
            raise
        print(f"{prog}: error: {hint}", file=sys.stderr)
    except (ValueError, OSError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
    return 1


def positive_int(text):
    """`argparse` type of counts that must be 1 or more (`--top`, `--threads`)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except `None`: there the help says what applies."""

    def _get_help_string(self, action):
        if action.default is None:
            return action.help
        return super()._get_help_string(action)
