"""Mutation check of the temporal layers: which plausible bugs do the tests catch?

    python tests/mutations/mutate.py --output docs/mutations.json [--only NAME]

Applies each mutation below, one at a time, to a copy of the package, runs the
layer tests against it (`tests/layers` and the PyTorch-reference tests,
stopping at the first failure) and reports the mutation as caught (a test
failed) or survived. Run on request, not in CI: about 10 minutes on 2 cores.
The unmutated copy must pass first.
"""

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ["tests/layers", "tests/checkpoints/test_reference_modules.py"]


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    path: str  # inside keras_action/layers
    original: str
    mutated: str


MUTATIONS = [
    Mutation(
        "reversed taps of every temporal convolution",
        "temporal.py",
        "kernel = ops.expand_dims(kernel, 1)\n",
        "kernel = ops.expand_dims(ops.flip(kernel, 0), 1)\n",
    ),
    Mutation(
        "causal padding on the wrong side",
        "temporal.py",
        "padding[1] = (length, 0)",
        "padding[1] = (0, length)",
    ),
    Mutation(
        "swapped operands of the motion difference",
        "temporal.py",
        "difference = following[:, 1:] - current[:, :-1]",
        "difference = current[:, :-1] - following[:, 1:]",
    ),
    Mutation(
        "the zero motion frame at the start, not the end",
        "temporal.py",
        "padding[1] = (0, 1)\n    return ops.pad(difference, padding)",
        "padding[1] = (1, 0)\n    return ops.pad(difference, padding)",
    ),
    Mutation(
        "STE taps summed in reverse order",
        "temporal.py",
        "float(channel == 3 * group + tap)",
        "float(channel == 3 * group + 2 - tap)",
    ),
    Mutation(
        "a missing xs + term in ActionBlock",
        "action_block.py",
        "scale = float(len(self.excitations))",
        "scale = float(len(self.excitations) - 1)",
    ),
    Mutation(
        "a missing x + term in an excitation path",
        "base.py",
        "outputs = gate if return_gate else inputs + inputs * gate",
        "outputs = gate if return_gate else inputs * gate",
    ),
    Mutation(
        "TSM shift directions swapped",
        "temporal_shift.py",
        "temporal.shift_frames(frames[..., :fold], 1),\n"
        "                temporal.shift_frames(frames[..., fold : 2 * fold], -1),",
        "temporal.shift_frames(frames[..., :fold], -1),\n"
        "                temporal.shift_frames(frames[..., fold : 2 * fold], 1),",
    ),
    Mutation(
        "a wrong channel slice in the shift (half the fold)",
        "temporal_shift.py",
        "fold = frames.shape[-1] // self.shift_div\n        return ops.concatenate(",
        "fold = frames.shape[-1] // (2 * self.shift_div)\n"
        "        return ops.concatenate(",
    ),
    Mutation(
        "the learnable shift started with reversed taps",
        "temporal_shift.py",
        "kernel[2, :fold] = 1.0\n    kernel[0, fold : 2 * fold] = 1.0",
        "kernel[0, :fold] = 1.0\n    kernel[2, fold : 2 * fold] = 1.0",
    ),
    Mutation(
        "ME pooling moved in front of the depthwise convolution",
        "motion_excitation.py",
        "ops.mean(self.depthwise(reduced), axis=(1, 2), keepdims=True)",
        "self.depthwise(ops.mean(reduced, axis=(1, 2), keepdims=True))",
    ),
    Mutation(
        "ME BatchNorm always in training mode",
        "motion_excitation.py",
        "self.batch_norm(self.squeeze(inputs), training=training)",
        "self.batch_norm(self.squeeze(inputs), training=True)",
    ),
    Mutation(
        "CE without its ReLU",
        "channel_excitation.py",
        "fold_segments(ops.relu(mixed), pooled)",
        "fold_segments(mixed, pooled)",
    ),
    Mutation(
        "STE kernel read with H and W swapped",
        "spatio_temporal_excitation.py",
        "(3, 3, 3)), (1, 2, 0)",
        "(3, 3, 3)), (2, 1, 0)",
    ),
    Mutation(
        "CE/ME squeeze and expand started as Glorot",
        "base.py",
        "kernel_initializer=self.kernel_initializer_or(\n"
        "                torch_default_uniform(input_shape[-1])\n"
        "            ),",
        'kernel_initializer=self.kernel_initializer_or("glorot_uniform"),',
    ),
    Mutation(
        "STE started with the fan-in of a 3×3 kernel",
        "spatio_temporal_excitation.py",
        "torch_default_uniform(27)",
        "torch_default_uniform(9)",
    ),
    Mutation(
        "ME depthwise started with Keras' fan-in (9·C/r)",
        "motion_excitation.py",
        "torch_default_uniform(9)",
        'keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform")',
    ),
    Mutation(
        "CE temporal convolution started with the fan-in of one tap",
        "channel_excitation.py",
        "torch_default_uniform(3 * reduced)",
        "torch_default_uniform(reduced)",
    ),
]


def copy_project(destination):
    for name in ("keras_action", "tests"):
        shutil.copytree(
            ROOT / name,
            destination / name,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, destination / name)


def apply(mutation, project):
    path = project / "keras_action" / "layers" / mutation.path
    text = path.read_text()
    if text.count(mutation.original) != 1:
        raise ValueError(
            f"{mutation.path}: the code of mutation {mutation.name!r} is found "
            f"{text.count(mutation.original)} times, not once; update the mutation"
        )
    path.write_text(text.replace(mutation.original, mutation.mutated))


def run_tests(project):
    """`(passed, first failing test or None)`."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project)},
    )
    failed = [
        line.split(" ", 1)[1].split(" - ")[0]
        for line in result.stdout.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    return result.returncode == 0, (failed[0] if failed else None)


def check(mutation):
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        copy_project(project)
        if mutation is not None:
            apply(mutation, project)
        started = time.perf_counter()
        passed, failure = run_tests(project)
        seconds = time.perf_counter() - started
    return passed, failure, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="the JSON of the results")
    parser.add_argument("--only", help="run the mutations whose name contains this")
    arguments = parser.parse_args(argv)
    from keras_action.training import reports
    from keras_action.utils.console import run_reporting_errors

    def run():
        chosen = [m for m in MUTATIONS if (arguments.only or "") in m.name]
        if not chosen:
            raise ValueError(f"no mutation's name contains {arguments.only!r}")
        passed, failure, _ = check(None)
        if not passed:
            raise ValueError(f"the unmutated tests fail ({failure}); fix them first")
        rows = []
        for index, mutation in enumerate(chosen, start=1):
            print(f"[{index}/{len(chosen)}] {mutation.name}", flush=True)
            passed, failure, seconds = check(mutation)
            rows.append(
                {
                    "mutation": mutation.name,
                    "file": f"keras_action/layers/{mutation.path}",
                    "result": "survived" if passed else "caught",
                    "caught by": failure or "",
                    "seconds": round(seconds, 1),
                }
            )
        columns = {key: key for key in ("mutation", "result", "caught by")}
        print(reports.format_table(rows, columns))
        caught = sum(row["result"] == "caught" for row in rows)
        reports.write_json(
            arguments.output,
            {"tests": TESTS, "caught": caught, "mutations": len(rows), "rows": rows},
        )
        print(f"{caught} of {len(rows)} mutations caught. Wrote {arguments.output}")

    return run_reporting_errors(parser.prog, run)


if __name__ == "__main__":
    raise SystemExit(main())
