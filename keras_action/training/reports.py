"""What a run leaves behind: metrics.json, the pictures, the console table."""

import csv
import io
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

#: Classes up to which every cell of the confusion matrix gets its count.
MAX_ANNOTATED_CLASSES = 40

from keras_action.utils import atomic  # noqa: E402


def read_history(path):
    """Per-epoch logs from an `EpochCSVLogger` file (epochs from 1), one row each.

    A run killed between writing its CSV row and its backup repeats that epoch
    on resume; the last row of each epoch wins.
    """
    rows = {}
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            rows[int(row["epoch"])] = {
                key: float(value) for key, value in row.items() if key != "epoch"
            }
    return [{"epoch": epoch, **rows[epoch]} for epoch in sorted(rows)]


def truncate_history(path, epochs):
    """Keeps the rows of the first `epochs` epochs of a `CSVLogger` file.

    A resumed run trains again the epochs after its backup; their rows from
    the killed run (and a row torn by the kill) are removed, atomically, so
    that each epoch has one row. With no row left, the file is removed.
    """
    path = Path(path)
    if not path.exists():
        return
    with open(path, newline="") as file:
        header, *rows = list(csv.reader(file)) or [[]]
    kept = {}
    for row in rows:
        # Epochs count from 1 (`EpochCSVLogger`).
        if len(row) == len(header) and row[0].isdigit() and 1 <= int(row[0]) <= epochs:
            kept[int(row[0])] = row
    if not kept:
        path.unlink()
        return
    if list(kept.values()) == rows:
        return
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *kept.values()])
    atomic.write_text(path, text.getvalue())


def best_value(history, key="val_top1"):
    values = [row[key] for row in history if key in row and math.isfinite(row[key])]
    return max(values) if values else None


def write_json(path, content):
    atomic.write_text(path, json.dumps(content, indent=2) + "\n")


def plot_training_curves(history, path):
    epochs = [row["epoch"] for row in history]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ("loss", "val_loss"):
        loss_axis.plot(epochs, [row.get(key, np.nan) for row in history], label=key)
    for key in ("top1", "val_top1", "val_top5"):
        values = [100 * row.get(key, np.nan) for row in history]
        accuracy_axis.plot(epochs, values, label=key)
    loss_axis.set(xlabel="epoch", ylabel="loss", title="Loss")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for axis in (loss_axis, accuracy_axis):
        axis.legend()
        axis.grid(alpha=0.3)
    _save_figure(figure, path)


def plot_confusion_matrix(confusion, class_names, path, title="Confusion matrix"):
    """Rows: true class, columns: predicted; each cell shows its clip count.

    The colour is the share of the true class, so rare and common classes
    read alike; counts are written in every non-zero cell (all cells up to
    `MAX_ANNOTATED_CLASSES` classes, beyond which they would not fit).
    """
    confusion = np.asarray(confusion)
    size = max(5, 0.35 * len(class_names) + 3)
    figure, axis = plt.subplots(figsize=(size, size))
    totals = np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    shares = confusion / totals
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    if len(class_names) <= MAX_ANNOTATED_CLASSES:
        for (row, column), count in np.ndenumerate(confusion):
            if count:
                colour = "white" if shares[row, column] > 0.5 else "black"
                axis.text(
                    column, row, str(count), ha="center", va="center",
                    fontsize=7, color=colour,
                )  # fmt: skip
    ticks = np.arange(len(class_names))
    axis.set_xticks(ticks, class_names, rotation=90, fontsize=7)
    axis.set_yticks(ticks, class_names, fontsize=7)
    axis.set(xlabel="predicted", ylabel="true", title=title)
    figure.colorbar(image, ax=axis, fraction=0.046, label="fraction of the true class")
    _save_figure(figure, path)


def _save_figure(figure, path):
    figure.tight_layout()
    with atomic.atomic_path(path) as partial:
        figure.savefig(partial, dpi=100)
    plt.close(figure)


def format_table(rows, columns):
    """A plain-text table of dicts; `columns` maps key -> header."""
    cells = [[str(row.get(key, "")) for key in columns] for row in rows]
    widths = [
        max(len(header), *(len(line[i]) for line in cells))
        for i, header in enumerate(columns.values())
    ]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(columns.values(), widths, strict=True))
    ]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
        for line in cells
    ]
    return "\n".join(lines)
