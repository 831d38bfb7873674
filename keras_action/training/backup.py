"""Backups of a training run's state, from which a killed run resumes.

A backup is a folder `epoch-NNNN/` holding the model's and optimizer's weights
(`weights.weights.h5`) and `state.json` (the epoch, the run's settings and the
weights' SHA-256). It is written under a temporary name, flushed to disk and
renamed into place, so a kill or a full disk never leaves a half-written
backup under a real name; the previous backup is deleted only once the new
one is complete. A backup that fails its checksum is skipped for the one
before it, with a warning.
"""

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import keras

from keras_action.utils import atomic

logger = logging.getLogger("keras_action.training")

WEIGHTS, STATE = "weights.weights.h5", "state.json"

#: Settings a resumed run may change: where and how it runs, not what it trains.
RESUMABLE_CHANGES = frozenset(
    {
        "output",
        "overwrite",
        "verbose",
        "strategy",
        "cpu_replicas",
        "jit_compile",
        "max_skipped",
    }
)


class BackupError(OSError):
    """A run's backups exist but none of them can be read."""


class SettingsChanged(ValueError):
    """A run is resumed with settings other than those it started with."""


class Snapshot:
    """One complete backup: `epoch` epochs done, with these `settings`."""

    def __init__(self, folder, epoch, settings):
        self.folder = Path(folder)
        self.epoch = epoch
        self.settings = settings

    def restore(self, model):
        """Loads the backed-up weights into `model` (and its optimizer)."""
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(self.folder / WEIGHTS)


class TrainingBackup:
    """The backups of one run, kept in `folder`.

    Args:
        folder: the backup folder, e.g. `RUN/backup`.
        keep: how many complete backups to keep (the newest ones); two, so
            that one damaged by the disk still leaves one to resume from.
    """

    def __init__(self, folder, keep=2):
        self.folder = Path(folder)
        self.keep = keep

    def save(self, model, epoch, settings):
        """Backs up `model` after `epoch` completed epochs."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"epoch-{epoch:04d}"
        partial = self.folder / f"{atomic.PARTIAL_PREFIX}{os.getpid()}-{target.name}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        try:
            _write(partial, model, epoch, settings)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)  # e.g. frees a full disk
            raise
        # A damaged backup of this epoch (one the run fell back from) is replaced.
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
        atomic.fsync_directory(self.folder)
        for old in self._folders()[self.keep :]:
            shutil.rmtree(old, ignore_errors=True)

    def latest(self):
        """The newest intact backup, or `None` when there is none.

        Damaged backups are skipped with a warning naming them.

        Raises:
            BackupError: there are backups but none is intact.
        """
        problems = []
        for folder in self._folders():
            try:
                snapshot = _read(folder)
            except (OSError, ValueError, KeyError, TypeError) as error:
                problems.append(f"{folder}: {error}")
                logger.warning(
                    "The backup %s is damaged (%s); trying the previous one.",
                    folder,
                    error,
                )
                continue
            if problems:
                logger.warning("Resuming from the backup %s instead.", folder)
            return snapshot
        if problems:
            raise BackupError(
                f"No backup in {self.folder} can be read: {'; '.join(problems)}. "
                "Pass --overwrite to start this run over."
            )
        return None

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def _folders(self):
        """Complete backups, newest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("epoch-*"), reverse=True)


def _write(folder, model, epoch, settings):
    model.save_weights(folder / WEIGHTS)
    state = {"epoch": epoch, "sha256": _sha256(folder / WEIGHTS)}
    (folder / STATE).write_text(json.dumps({**state, "settings": settings}))
    for name in (WEIGHTS, STATE):
        atomic.fsync_file(folder / name)
    atomic.fsync_directory(folder)


def _read(folder):
    state = json.loads((folder / STATE).read_text())
    digest = _sha256(folder / WEIGHTS)
    if digest != state["sha256"]:
        raise ValueError(f"{WEIGHTS} does not match its checksum")
    return Snapshot(folder, int(state["epoch"]), state["settings"])


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def changed_settings(saved, current):
    """`{name: (saved, current)}` for every setting that differs, but those in
    `RESUMABLE_CHANGES`; a setting absent on one side differs too."""
    missing = "(absent)"
    return {
        name: (saved.get(name, missing), current.get(name, missing))
        for name in sorted(set(saved) | set(current))
        if name not in RESUMABLE_CHANGES
        and saved.get(name, missing) != current.get(name, missing)
    }


def check_settings(snapshot, current, run):
    """Raises `SettingsChanged` naming each setting `current` changes."""
    changes = changed_settings(snapshot.settings, current)
    if changes:
        listed = ", ".join(
            f"{_flag(name)} {before!r} → {now!r}"
            for name, (before, now) in changes.items()
        )
        raise SettingsChanged(
            f"{run} holds an unfinished run with other settings ({listed}). "
            "Resume it with its own settings, choose another --output, or pass "
            "--overwrite to start it over."
        )


def _flag(name):
    return name if name == "class_names" else f"--{name.replace('_', '-')}"


class BackupEachEpoch(keras.callbacks.Callback):
    """Restores a backup when training begins, and backs up after every epoch.

    Unlike `keras.callbacks.BackupAndRestore`, each backup is atomic (see
    `TrainingBackup`) and is kept when `fit` ends: the run removes it only once
    its report is written, so a kill during the report does not train again.

    Args:
        backup: the `TrainingBackup`.
        settings: the run's settings (JSON-serialisable), stored with each backup.
        snapshot: the `Snapshot` to resume from, or `None`.
    """

    def __init__(self, backup, settings, snapshot=None):
        super().__init__()
        self.backup = backup
        self.settings = settings
        self.snapshot = snapshot

    def on_train_begin(self, logs=None):
        if self.snapshot is not None:
            self.snapshot.restore(self.model)
            self.model._initial_epoch = self.snapshot.epoch

    def on_epoch_end(self, epoch, logs=None):
        self.backup.save(self.model, epoch + 1, self.settings)
