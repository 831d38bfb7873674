"""Checks that a `.tflite` file runs on phones and headsets as it is.

The rules (see `docs/export.md`): builtin ops only (no Flex `SELECT_TF_OPS`
ops, which LiteRT on Android cannot run, and no custom ops); no `CONV_3D`
(float32 reference kernel only: no int8, XNNPACK or GPU); no tensor of rank
> 4 (GPU delegates reject them); every op delegated to XNNPACK; and no
incompatibility reported by TensorFlow's GPU-delegate analyzer. On a
streaming file (`to_tflite(..., streaming=True)`), also: each state output
has the shape, dtype, scale and zero point of the state input it feeds.
"""

import contextlib
import dataclasses
import io
from pathlib import Path

import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

from keras_action.export.streaming import state_mismatches, state_pairs
from keras_action.runtime import LiteRTModel

FORBIDDEN_OPS = frozenset({"CONV_3D", "CONV_3D_TRANSPOSE"})
MAX_RANK = 4
_GPU_COMPATIBLE = "looks compatible with GPU delegate"
_OP_NAMES = {
    code: name for name, code in vars(schema.BuiltinOperator).items() if name.isupper()
}


@dataclasses.dataclass
class EdgeReport:
    """What `check_edge` found in one `.tflite` file; `problems` empty means fine."""

    name: str
    ops: set
    custom_ops: set
    high_rank_tensors: list
    undelegated_ops: list
    gpu_messages: list
    #: Names of a streaming file's states (empty for a clip file).
    states: list = dataclasses.field(default_factory=list)
    #: One line per state whose output would not loop back as its input as is.
    state_mismatches: list = dataclasses.field(default_factory=list)

    @property
    def problems(self):
        found = []
        flex = sorted(op for op in self.custom_ops if op.startswith("Flex"))
        if flex:
            found.append(f"Flex (SELECT_TF_OPS) ops: {flex}")
        custom = sorted(self.custom_ops.difference(flex))
        if custom:
            found.append(f"custom ops: {custom}")
        forbidden = sorted(self.ops & FORBIDDEN_OPS)
        if forbidden:
            found.append(f"ops without int8/XNNPACK/GPU kernels: {forbidden}")
        if self.high_rank_tensors:
            found.append(f"tensors of rank > {MAX_RANK}: {self.high_rank_tensors}")
        if self.undelegated_ops:
            found.append(f"ops not delegated to XNNPACK: {self.undelegated_ops}")
        found.extend(f"GPU delegate: {message}" for message in self.gpu_messages)
        found.extend(f"state {mismatch}" for mismatch in self.state_mismatches)
        return found

    def verdict(self):
        """The check in one line: what passed, or every problem."""
        problems = self.problems
        if problems:
            return f"edge check FAILED: {'; '.join(problems)}"
        states = (
            f", {len(self.states)} states looping with their input's quantization"
            if self.states
            else ""
        )
        return (
            f"edge check passed: {len(self.ops)} builtin op types, no custom or "
            f"Flex op, no tensor of rank > {MAX_RANK}, every op on XNNPACK, "
            f"GPU delegate compatible{states}"
        )


def check_edge(model):
    """Inspects a `.tflite` file (path or `bytes`) against the edge rules.

    Args:
        model: path of a `.tflite` file, or its content.

    Returns:
        An `EdgeReport`; its `problems` list says what is wrong, if anything.

    Example:

    >>> from keras_action import build_model
    >>> from keras_action.export import to_tflite
    >>> model = build_model("mobilenet_v2", "action", num_classes=5,
    ...                     num_segments=4, image_size=64)
    >>> _ = to_tflite(model, "action.tflite")
    >>> report = check_edge("action.tflite")
    >>> report.problems
    []
    """
    name = "<bytes>" if isinstance(model, bytes) else str(model)
    content = model if isinstance(model, bytes) else Path(model).read_bytes()
    graph = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    ops, custom_ops = set(), set()
    for code in graph.operatorCodes:
        if code.customCode:
            custom_ops.add(code.customCode.decode())
        else:
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            ops.add(_OP_NAMES.get(builtin, str(builtin)))
    high_rank = [
        f"{tensor.name.decode()} {tensor.shape.tolist()}"
        for subgraph in graph.subgraphs
        for tensor in subgraph.tensors
        if tensor.shape is not None and len(tensor.shape) > MAX_RANK
    ]
    undelegated = [] if custom_ops else _undelegated_ops(content)
    return EdgeReport(
        name,
        ops,
        custom_ops,
        high_rank,
        undelegated,
        gpu_messages(content),
        sorted(state_pairs(graph)),
        state_mismatches(graph),
    )


def _undelegated_ops(content):
    """The ops XNNPACK leaves out, or why XNNPACK refuses the whole file."""
    try:
        return LiteRTModel(content).undelegated_ops()
    except ValueError as error:
        # E.g. an int8 CONCATENATION whose inputs' scales differ.
        return [f"the delegate fails to prepare ({error})"]


def gpu_messages(content):
    """GPU-delegate incompatibilities reported by `tf.lite.experimental.Analyzer`."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tf.lite.experimental.Analyzer.analyze(
            model_content=content, gpu_compatibility=True
        )
    text = output.getvalue()
    messages = [
        line.strip()
        for line in text.splitlines()
        if "GPU" in line and ("WARNING" in line or "not supported" in line.lower())
    ]
    if not messages and _GPU_COMPATIBLE not in text:
        messages.append("the analyzer did not report the model as compatible")
    return messages


def assert_edge_compatible(model):
    """Raises `ValueError` listing every edge rule that `model` breaks."""
    report = check_edge(model)
    if report.problems:
        raise ValueError(f"{report.name}: " + "; ".join(report.problems))
    return report
