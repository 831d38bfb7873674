import errno
import logging

import keras
import numpy as np
import pytest

from keras_action.training.backup import (
    BackupError,
    SettingsChanged,
    TrainingBackup,
    changed_settings,
    check_settings,
)

SETTINGS = {"image_size": 32, "epochs": 2, "output": "a", "class_names": ["x", "y"]}


def _model(value):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights([np.full((3, 2), value), np.full((2,), value)])
    return model


def _restored(snapshot):
    model = _model(0.0)
    snapshot.restore(model)
    return float(model.get_weights()[1][0])


def test_the_newest_backups_are_kept_and_restored(tmp_path):
    backup = TrainingBackup(tmp_path)
    for epoch in (1, 2, 3):
        backup.save(_model(float(epoch)), epoch, SETTINGS)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "epoch-0002",
        "epoch-0003",
    ]
    snapshot = backup.latest()
    assert (snapshot.epoch, snapshot.settings) == (3, SETTINGS)
    assert _restored(snapshot) == 3.0


@pytest.mark.parametrize("damage", ["truncate", "flip", "no_state"])
def test_a_damaged_backup_falls_back_to_the_previous_one(tmp_path, caplog, damage):
    backup = TrainingBackup(tmp_path)
    backup.save(_model(1.0), 1, SETTINGS)
    backup.save(_model(2.0), 2, SETTINGS)
    weights = tmp_path / "epoch-0002" / "weights.weights.h5"
    content = weights.read_bytes()
    if damage == "truncate":
        weights.write_bytes(content[: len(content) // 2])
    elif damage == "flip":  # still a readable HDF5 file, with other numbers
        weights.write_bytes(content[:-200] + bytes(b ^ 1 for b in content[-200:]))
    else:
        (tmp_path / "epoch-0002" / "state.json").unlink()
    with caplog.at_level(logging.WARNING, "keras_action.training"):
        snapshot = backup.latest()
    assert snapshot.epoch == 1 and _restored(snapshot) == 1.0
    assert "epoch-0002 is damaged" in caplog.text
    assert "Resuming from the backup" in caplog.text and "epoch-0001" in caplog.text


def test_no_readable_backup_is_an_error_naming_them(tmp_path):
    backup = TrainingBackup(tmp_path)
    backup.save(_model(1.0), 1, SETTINGS)
    (tmp_path / "epoch-0001" / "weights.weights.h5").write_bytes(b"")
    with pytest.raises(BackupError, match="epoch-0001.*--overwrite"):
        backup.latest()


def test_a_failed_write_keeps_the_previous_backup(tmp_path, monkeypatch):
    backup = TrainingBackup(tmp_path)
    backup.save(_model(1.0), 1, SETTINGS)
    save_weights = keras.Model.save_weights

    def disk_full(model, path, *args, **kwargs):
        save_weights(model, path, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(keras.Model, "save_weights", disk_full)
    with pytest.raises(OSError, match="No space left"):
        backup.save(_model(2.0), 2, SETTINGS)
    monkeypatch.undo()
    # Space freed: the run resumes from the last complete backup.
    snapshot = backup.latest()
    assert snapshot.epoch == 1 and _restored(snapshot) == 1.0
    backup.save(_model(2.0), 2, SETTINGS)
    assert backup.latest().epoch == 2
    assert not list(tmp_path.glob(".partial-*"))


def test_changed_settings_are_named_but_where_the_run_goes_may_change(tmp_path):
    changed = {**SETTINGS, "image_size": 48, "output": "b", "class_names": ["x"]}
    assert changed_settings(SETTINGS, changed) == {
        "class_names": (["x", "y"], ["x"]),
        "image_size": (32, 48),
    }
    assert changed_settings(SETTINGS, {**SETTINGS, "new": 1}) == {
        "new": ("(absent)", 1)
    }
    backup = TrainingBackup(tmp_path)
    backup.save(_model(1.0), 1, SETTINGS)
    with pytest.raises(SettingsChanged, match=r"RUN .*--image-size 32 → 48"):
        check_settings(backup.latest(), changed, "RUN")
    check_settings(backup.latest(), {**SETTINGS, "output": "b"}, "RUN")
