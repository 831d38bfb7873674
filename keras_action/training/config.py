import dataclasses

from keras_action.training.recipe import SCHEDULES


@dataclasses.dataclass
class TrainConfig:
    """Everything a training run depends on; saved in `metrics.json`.

    Defaults are the ACTION-Net paper's recipe for Jester (`lr_steps` and
    `epochs` follow `dataset` when left as `None`); `recipe` records the
    named recipe the command line chose (`keras_action.training.recipe`).
    `alpha` is the width multiplier of a MobileNet backbone.
    `init_from` is a `.keras` model whose matching weights initialise the
    model; `freeze_backbone` trains the classifier only. `max_skipped` is the largest
    fraction of the training samples an epoch may skip as unreadable.
    `optimizer` is "sgd" (with momentum, as the papers) or "adam";
    `initializer` how random backbone weights start: "keras"
    (`keras.applications`' own) or "torchvision" (see
    `keras_action.models.initialize_like_torchvision`); `zero_init_residual`
    starts random residual branches at zero (`keras_action.models.zero_init_residual`).
    `causal` builds the causal forms of the temporal modules (for
    `keras_action.streaming_model`); `frame_stride` switches from TSN sampling
    to dense sampling, T frames that many frames apart (`None`: TSN).
    `crop_area` is where training crops may lie: "frame" (TSN) or "centre"
    (the frame's centred square; `keras_action.data.multiscale_crop_window`);
    `crop_scales` their sizes as fractions of the shorter side (`None`: TSN's).
    `fc_lr5` (classifier weight lr ×5, bias ×10) and `bias_lr2` (other biases
    lr ×2) are the official code's optimisation policies, SGD only; `None`
    turns them on with SGD and off with Adam.
    """

    data_dir: str = None
    dataset: str = "jester"
    backbone: str = "mobilenet_v2"
    alpha: float = 1.0
    module: str = "action"
    causal: bool = False
    segments: int = 8
    frame_stride: int = None
    crop_area: str = "frame"
    crop_scales: tuple = None
    image_size: int = 224
    epochs: int = None
    batch_size: int = 64
    optimizer: str = "sgd"
    initializer: str = "keras"
    zero_init_residual: bool = False
    lr: float = 0.01
    lr_steps: tuple = None
    momentum: float = 0.9
    weight_decay: float = 5e-4
    clip_gradient: float = 20.0
    dropout: float = 0.5
    bn_momentum: float = 0.9
    partial_bn: bool = False
    fc_lr5: bool = None
    bias_lr2: bool = None
    weights: str = None
    init_from: str = None
    freeze_backbone: bool = False
    recipe: str = None
    normalization: str = None
    strategy: str = "auto"
    cpu_replicas: int = 0
    mixed_precision: str = "none"
    jit_compile: bool = False
    output: str = "runs/train"
    seed: int = 0
    overwrite: bool = False
    flip: bool = None
    max_skipped: float = 0.1
    verbose: int = 1

    def __post_init__(self):
        schedule = SCHEDULES.get(self.dataset)
        if schedule is None:
            raise ValueError(
                f"Unknown dataset {self.dataset!r}; expected one of {list(SCHEDULES)}."
            )
        if self.epochs is None:
            self.epochs = schedule.epochs
        if self.lr_steps is None:
            self.lr_steps = schedule.lr_steps
        self.lr_steps = tuple(int(step) for step in self.lr_steps)
        if self.initializer not in ("keras", "torchvision"):
            raise ValueError(
                "initializer must be 'keras' or 'torchvision'; "
                f"got {self.initializer!r}."
            )
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(
                f"optimizer must be 'sgd' or 'adam'; got {self.optimizer!r}."
            )
        for name in ("fc_lr5", "bias_lr2"):
            if getattr(self, name) is None:
                setattr(self, name, self.optimizer == "sgd")
            elif self.optimizer == "adam" and getattr(self, name):
                raise ValueError(
                    f"{name} multiplies gradients, a learning-rate multiplier for "
                    "SGD only; Adam normalises it away."
                )
        if self.mixed_precision not in ("none", "float16", "bfloat16"):
            raise ValueError(
                "mixed_precision must be 'none', 'float16' or 'bfloat16'; "
                f"got {self.mixed_precision!r}."
            )
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{name} must be at least 1; got {value}.")
        if self.frame_stride is not None and self.frame_stride < 1:
            raise ValueError(
                f"frame_stride must be at least 1; got {self.frame_stride}."
            )
        if not 0 <= self.max_skipped <= 1:
            raise ValueError(f"max_skipped must be in [0, 1]; got {self.max_skipped}.")
