"""Official checkpoints of the papers, imported into keras-action models.

`convert_checkpoint` reads an official PyTorch ACTION-Net or TSM checkpoint
(needs `pip install "keras-action[tensorflow,torch]"`) into a model from
`keras_action.build_model` with the same logits.
"""

from keras_action.checkpoints.pytorch import (
    BACKBONES,
    convert_checkpoint,
    infer_module,
    load_state_dict,
    read_checkpoint,
)

__all__ = [
    "BACKBONES",
    "convert_checkpoint",
    "infer_module",
    "load_state_dict",
    "read_checkpoint",
]
