"""Validation curves of runs side by side, e.g. fine-tuned vs from scratch.

    python benchmarks/finetune_curves.py --run "from scratch=RUN_A" \
        --run "--init-from 4-class model=RUN_B" --output docs/finetune_curves.png

Reads each run's `history.csv`, prints the epochs each needed to reach
`--target` validation top-1, writes the plot and a JSON beside it.
"""

import argparse
from pathlib import Path

from keras_action.training import reports

plt = reports.plt


def first_epoch_reaching(history, target):
    """The (1-based) epoch at which val top-1 first reaches `target`, or `None`."""
    for row in history:
        if row["val_top1"] >= target:
            return row["epoch"]
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, help="LABEL=RUN_DIR")
    parser.add_argument("--target", type=float, default=0.9, help="val top-1 to reach")
    parser.add_argument("--output", required=True, help="the PNG")
    arguments = parser.parse_args(argv)
    figure, axis = plt.subplots(figsize=(6, 4))
    results = {}
    for item in arguments.run:
        label, run = item.split("=", 1)
        history = reports.read_history(Path(run) / "history.csv")
        epochs = [row["epoch"] for row in history]
        axis.plot(epochs, [100 * row["val_top1"] for row in history], "o-", label=label)
        results[label] = {
            "run": run,
            "val_top1": [row["val_top1"] for row in history],
            "epochs_to_target": first_epoch_reaching(history, arguments.target),
        }
        print(
            f"{label}: reaches {arguments.target:.0%} at epoch "
            f"{results[label]['epochs_to_target']}"
        )
    axis.axhline(100 * arguments.target, color="grey", linestyle=":")
    axis.set(xlabel="epoch", ylabel="validation top-1 (%)", ylim=(0, 101))
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(arguments.output, dpi=100)
    output = Path(arguments.output).with_suffix(".json")
    reports.write_json(output, {"target": arguments.target, "runs": results})
    print(f"Wrote {arguments.output} and {output}")


if __name__ == "__main__":
    main()
