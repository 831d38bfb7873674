"""Files written completely or not at all, even if the process is killed."""

import contextlib
import os
from pathlib import Path

#: Prefix of the temporary files beside their targets; leftovers of a killed
#: process can be recognised (and removed) by it.
PARTIAL_PREFIX = ".partial-"


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it over `path` on success.

    Whatever is written to the temporary path (by any library: Keras, h5py,
    Matplotlib) is flushed to disk and then renamed over `path`, so a reader
    sees either the old file or the complete new one; a kill or an error (disk
    full) leaves the old file untouched. The temporary name keeps `path`'s
    ending, which some writers use to choose a format.

    Example:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> with atomic_path("model.keras") as partial:
        ...     model.save(partial)
    """
    path = Path(path)
    partial = path.with_name(f"{PARTIAL_PREFIX}{os.getpid()}-{path.name}")
    try:
        yield partial
        fsync_file(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    fsync_directory(path.parent)


def write_text(path, text):
    """Writes `text` to `path` atomically (see `atomic_path`)."""
    with atomic_path(path) as partial:
        partial.write_text(text)


def write_bytes(path, content):
    """Writes `content` to `path` atomically (see `atomic_path`)."""
    with atomic_path(path) as partial:
        partial.write_bytes(content)


def fsync_file(path):
    """Flushes a file's content to disk."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def fsync_directory(path):
    """Flushes a folder's entries (a rename, a new file) to disk, where supported."""
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
