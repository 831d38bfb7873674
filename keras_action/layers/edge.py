"""Rules of edge runtimes that the layers' graphs follow, each in one place.

The math of a layer does not need these; they keep an exported `.tflite` on
the fast kernels of LiteRT's XNNPACK delegate. (ActionBlock's int8 ADD rule is
explained where it adds.)
"""

from keras import ops

#: The most inputs of one CONCATENATION that LiteRT's XNNPACK delegate runs;
#: larger ones fall back to LiteRT's slower reference kernel.
XNNPACK_MAX_CONCAT_INPUTS = 5


def concatenate_channels(groups):
    """`ops.concatenate(groups, axis=-1)` in steps of at most 5 inputs."""
    while len(groups) > XNNPACK_MAX_CONCAT_INPUTS:
        head = XNNPACK_MAX_CONCAT_INPUTS - 1
        groups = [ops.concatenate(groups[:head], axis=-1), *groups[head:]]
    return ops.concatenate(groups, axis=-1)
