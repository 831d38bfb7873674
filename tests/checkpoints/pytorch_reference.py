"""PyTorch re-implementation of the official TSM / ACTION-Net / GSM networks, for tests.

Written with plain `torch.nn` from the published definitions (TSM's
`ops/temporal_shift.py`, `archs/mobilenet_v2.py` and `archs/bn_inception.py`,
ACTION-Net's `models/action.py` and `archs/bn_inception_action.py`, GSM's
`gsm.py` and `bn_inception_gsm.yaml`, torchvision's ResNets and TSN's average
consensus; see `../shared/docs/temporal-modules.md` and docs/modules.md), so
that module names, and therefore checkpoint keys, are the official ones. It
shares no code with keras_action.
"""

import torch
from torch import nn
from torch.nn import functional

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BN_INCEPTION_BGR_MEAN = (104.0, 117.0, 128.0)


class TemporalShift(nn.Module):
    """TSM: shifts `C // n_div` channels each way in time, then applies `net`."""

    def __init__(self, net, n_segment, n_div=8):
        super().__init__()
        self.net = net
        self.n_segment = n_segment
        self.fold_div = n_div

    def forward(self, x):
        nt, c, h, w = x.size()
        x = x.view(nt // self.n_segment, self.n_segment, c, h, w)
        fold = c // self.fold_div
        out = torch.zeros_like(x)
        out[:, :-1, :fold] = x[:, 1:, :fold]
        out[:, 1:, fold : 2 * fold] = x[:, :-1, fold : 2 * fold]
        out[:, :, 2 * fold :] = x[:, :, 2 * fold :]
        return self.net(out.view(nt, c, h, w))


class Action(nn.Module):
    """ACTION: learnable shift, then STE, CE and ME paths summed, then `net`.

    BN-Inception's version (`apply_net=False`) registers `net` but never calls
    it: it sits in place between two Inception blocks.
    """

    def __init__(self, net, n_segment, shift_div=8, apply_net=True):
        super().__init__()
        self.net = net
        self.apply_net = apply_net
        self.n_segment = n_segment
        c = net.in_channels
        r = c // 16
        self.action_shift = nn.Conv1d(c, c, 3, padding=1, groups=c, bias=False)
        # Started as TSM's shift: taps (t - 1, t, t + 1) of each channel.
        fold = c // shift_div
        with torch.no_grad():
            self.action_shift.weight.zero_()
            self.action_shift.weight[:fold, 0, 2] = 1  # out[t] = x[t + 1]
            self.action_shift.weight[fold : 2 * fold, 0, 0] = 1  # out[t] = x[t - 1]
            self.action_shift.weight[2 * fold :, 0, 1] = 1  # out[t] = x[t]
        self.action_p1_conv1 = nn.Conv3d(1, 1, 3, padding=1, bias=False)
        self.action_p2_squeeze = nn.Conv2d(c, r, 1, bias=False)
        self.action_p2_conv1 = nn.Conv1d(r, r, 3, padding=1, bias=False)
        self.action_p2_expand = nn.Conv2d(r, c, 1, bias=False)
        self.action_p3_squeeze = nn.Conv2d(c, r, 1, bias=False)
        self.action_p3_bn1 = nn.BatchNorm2d(r)
        self.action_p3_conv1 = nn.Conv2d(r, r, 3, padding=1, groups=r, bias=False)
        self.action_p3_expand = nn.Conv2d(r, c, 1, bias=False)

    def forward(self, x):
        nt, c, h, w = x.size()
        n, t = nt // self.n_segment, self.n_segment
        shifted = x.view(n, t, c, h, w).permute(0, 3, 4, 2, 1).reshape(n * h * w, c, t)
        shifted = self.action_shift(shifted).view(n, h, w, c, t)
        xs = shifted.permute(0, 4, 3, 1, 2).reshape(nt, c, h, w)

        s = xs.view(n, t, c, h, w).transpose(2, 1).mean(1, keepdim=True)
        m1 = torch.sigmoid(self.action_p1_conv1(s).transpose(2, 1).reshape(nt, 1, h, w))

        g = self.action_p2_squeeze(xs.mean((2, 3), keepdim=True))
        g = g.view(n, t, -1).transpose(2, 1)
        g = torch.relu(self.action_p2_conv1(g)).transpose(2, 1).reshape(nt, -1, 1, 1)
        m2 = torch.sigmoid(self.action_p2_expand(g))

        u = self.action_p3_bn1(self.action_p3_squeeze(xs))
        r = u.size(1)
        current = u.view(n, t, r, h, w)[:, :-1]
        following = self.action_p3_conv1(u).view(n, t, r, h, w)[:, 1:]
        d = functional.pad(following - current, (0, 0, 0, 0, 0, 0, 0, 1))
        m3 = torch.sigmoid(
            self.action_p3_expand(d.view(nt, r, h, w).mean((2, 3), True))
        )

        out = xs * m1 + xs + xs * m2 + xs + xs * m3 + xs
        return self.net(out) if self.apply_net else out


class GateShift(nn.Module):
    """GSM on folded frames `(N·T, C, H, W)`, C divisible by 4."""

    def __init__(self, channels, n_segment):
        super().__init__()
        self.n_segment = n_segment
        self.bn = nn.BatchNorm3d(channels)
        self.conv3D = nn.Conv3d(channels, 2, 3, padding=1, groups=2)
        nn.init.zeros_(self.conv3D.weight)
        nn.init.zeros_(self.conv3D.bias)

    @staticmethod
    def _interleave(half):
        """New channel 2k + j <- old channel j·C/4 + k (C/2 viewed as (2, C/4))."""
        n, c, t, h, w = half.shape
        return half.view(n, 2, c // 2, t, h, w).transpose(1, 2).reshape(n, c, t, h, w)

    def forward(self, x):
        nt, c, h, w = x.shape
        clips = x.view(nt // self.n_segment, self.n_segment, c, h, w).transpose(1, 2)
        gates = torch.tanh(self.conv3D(torch.relu(self.bn(clips))))  # (N, 2, T, H, W)
        halves = []
        for index, half in enumerate(clips.split(c // 2, dim=1)):
            gated = gates[:, index : index + 1] * half
            moved = torch.zeros_like(gated)
            if index == 0:  # backward: y[t + 1]
                moved[:, :, :-1] = gated[:, :, 1:]
            else:  # forward: y[t - 1]
                moved[:, :, 1:] = gated[:, :, :-1]
            halves.append(self._interleave(moved + half - gated))
        out = torch.cat(halves, dim=1)
        return out.transpose(1, 2).reshape(nt, c, h, w)


def _conv_bn(inp, oup, kernel, stride):
    return nn.Sequential(
        nn.Conv2d(inp, oup, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        depthwise = [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
        ]
        project = [nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        expand = []
        if expand_ratio != 1:
            expand = [
                nn.Conv2d(inp, hidden, 1, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True),
            ]
        self.conv = nn.Sequential(*expand, *depthwise, *project)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """TSM's `archs/mobilenet_v2.py`, width 1.0, classifier replaced by dropout."""

    def __init__(self, dropout=0.5):
        super().__init__()
        settings = [
            (1, 16, 1, 1),
            (6, 24, 2, 2),
            (6, 32, 3, 2),
            (6, 64, 4, 2),
            (6, 96, 3, 1),
            (6, 160, 3, 2),
            (6, 320, 1, 1),
        ]
        features = [_conv_bn(3, 32, 3, 2)]
        channels = 32
        for t, c, n, s in settings:
            for i in range(n):
                features.append(InvertedResidual(channels, c, s if i == 0 else 1, t))
                channels = c
        features.append(_conv_bn(channels, 1280, 1, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Dropout(dropout)
        self.feature_dim = 1280

    def forward(self, x):
        return self.classifier(self.features(x).mean(3).mean(2))


class Bottleneck(nn.Module):
    """torchvision's bottleneck: stride on the 3×3 conv, no conv biases."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                nn.BatchNorm2d(planes * 4),
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet50(nn.Module):
    """torchvision's ResNet-50 (or another depth), `fc` replaced by dropout as
    TSN does."""

    STAGES = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}

    def __init__(self, dropout=0.5, depth=50):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for index, (planes, blocks, stride) in enumerate(
            zip((64, 128, 256, 512), self.STAGES[depth], (1, 2, 2, 2), strict=True),
            start=1,
        ):
            layer = [Bottleneck(inplanes, planes, stride)]
            layer += [Bottleneck(planes * 4, planes) for _ in range(blocks - 1)]
            setattr(self, f"layer{index}", nn.Sequential(*layer))
            inplanes = planes * 4
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Dropout(dropout)
        self.feature_dim = 2048

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for index in range(1, 5):
            x = getattr(self, f"layer{index}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


# Ioffe & Szegedy (2015), Fig. 5, as the PyTorch port lays it out: per block
# the 1×1 branch's width (0: none), 3×3 (reduce, out), double 3×3 (reduce,
# out), pooling and its projection (0: the pooled input itself).
INCEPTION = (
    ("3a", 64, (64, 64), (64, 96), "avg", 32),
    ("3b", 64, (64, 96), (64, 96), "avg", 64),
    ("3c", 0, (128, 160), (64, 96), "max2", 0),
    ("4a", 224, (64, 96), (96, 128), "avg", 128),
    ("4b", 192, (96, 128), (96, 128), "avg", 128),
    ("4c", 160, (128, 160), (128, 160), "avg", 128),
    ("4d", 96, (128, 192), (160, 192), "avg", 128),
    ("4e", 0, (128, 192), (192, 256), "max2", 0),
    ("5a", 352, (192, 320), (160, 224), "avg", 128),
    ("5b", 352, (192, 320), (192, 224), "max", 128),
)


class BNInception(nn.Module):
    """The BN-Inception port of TSN / TSM / GSM / ACTION-Net, flat attribute
    names (`inception_3a_1x1`, `inception_3a_1x1_bn`, …), convolutions with
    biases, ceil-mode pooling; `fc` replaced by dropout as TSN does.

    `module` places a temporal module as each official code base does:
    `"tsm"` shifts in place the inputs of conv2 and of every Inception block
    (TSM's `shift_place="block"`); `"action"` adds ACTION-Net's `shift_2`,
    `shift_3a` … `shift_5a` in place at the inputs of blocks 3a…5b, each
    registering the next block's first conv as its unused `net`; `"gsm"` adds
    `gsm_<conv>` between the first conv of each block's first branch and its
    BatchNorm.
    """

    def __init__(self, module="tsn", num_segments=8, dropout=0.5):
        super().__init__()
        self._conv("conv1_7x7_s2", 3, 64, 7, 2)
        self.pool1_3x3_s2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self._conv("conv2_3x3_reduce", 64, 64, 1)
        self._conv("conv2_3x3", 64, 192, 3)
        self.pool2_3x3_s2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        channels = 192
        self.block_inputs = {}  # block -> in-place temporal op on its input
        previous = "2"
        for block, single, pair, double, pool, projection in INCEPTION:
            name = f"inception_{block}"
            stride = 2 if pool == "max2" else 1
            first = f"{name}_1x1" if single else f"{name}_3x3_reduce"
            if single:
                self._conv(f"{name}_1x1", channels, single, 1)
            self._conv(f"{name}_3x3_reduce", channels, pair[0], 1)
            self._conv(f"{name}_3x3", pair[0], pair[1], 3, stride)
            self._conv(f"{name}_double_3x3_reduce", channels, double[0], 1)
            self._conv(f"{name}_double_3x3_1", double[0], double[1], 3)
            self._conv(f"{name}_double_3x3_2", double[1], double[1], 3, stride)
            if pool == "avg":
                pooling = nn.AvgPool2d(3, 1, 1, ceil_mode=True, count_include_pad=True)
            elif pool == "max":
                pooling = nn.MaxPool2d(3, 1, 1, ceil_mode=True)
            else:
                pooling = nn.MaxPool2d(3, 2, ceil_mode=True)
            setattr(self, f"{name}_pool", pooling)
            if projection:
                self._conv(f"{name}_pool_proj", channels, projection, 1)
            if module == "action":
                action = Action(getattr(self, first), num_segments, apply_net=False)
                setattr(self, f"shift_{previous}", action)
                self.block_inputs[block] = action
            elif module == "tsm":
                self.block_inputs[block] = _Shift(num_segments)
            elif module == "gsm":
                width = single or pair[0]
                setattr(self, f"gsm_{first}", GateShift(width, num_segments))
            channels = (single + pair[1] + double[1]) + (projection or channels)
            previous = block
        self.conv2_shift = _Shift(num_segments) if module == "tsm" else None
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Dropout(dropout)
        self.feature_dim = channels

    def _conv(self, name, inputs, outputs, kernel, stride=1):
        conv = nn.Conv2d(inputs, outputs, kernel, stride, kernel // 2)
        setattr(self, name, conv)
        setattr(self, f"{name}_bn", nn.BatchNorm2d(outputs))

    def _unit(self, name, x):
        """Conv, the GSM behind it if any, BatchNorm, ReLU."""
        x = getattr(self, name)(x)
        if hasattr(self, f"gsm_{name}"):
            x = getattr(self, f"gsm_{name}")(x)
        return torch.relu(getattr(self, f"{name}_bn")(x))

    def forward(self, x):
        x = self.pool1_3x3_s2(self._unit("conv1_7x7_s2", x))
        if self.conv2_shift is not None:
            x = self.conv2_shift(x)
        x = self._unit("conv2_3x3", self._unit("conv2_3x3_reduce", x))
        x = self.pool2_3x3_s2(x)
        for block, single, _, _, _, projection in INCEPTION:
            if block in self.block_inputs:
                x = self.block_inputs[block](x)
            name = f"inception_{block}"
            branches = [self._unit(f"{name}_1x1", x)] if single else []
            branches.append(
                self._unit(f"{name}_3x3", self._unit(f"{name}_3x3_reduce", x))
            )
            double = self._unit(f"{name}_double_3x3_reduce", x)
            double = self._unit(f"{name}_double_3x3_1", double)
            branches.append(self._unit(f"{name}_double_3x3_2", double))
            pooled = getattr(self, f"{name}_pool")(x)
            if projection:
                pooled = self._unit(f"{name}_pool_proj", pooled)
            branches.append(pooled)
            x = torch.cat(branches, 1)
        return self.fc(torch.flatten(self.global_pool(x), 1))


class _Shift(TemporalShift):
    """TSM's shift of a whole tensor, wrapping nothing: no module names."""

    def __init__(self, n_segment):
        super().__init__(nn.Identity(), n_segment)


def wrap_residual_convs(base_model, wrapper):
    """Official "blockres" placement: wraps the first conv of residual branches.

    In a ResNet whose third stage has 23 or more bottlenecks, only every
    second bottleneck of each stage (`n_round = 2`).
    """
    if isinstance(base_model, ResNet50):
        n_round = 2 if len(base_model.layer3) >= 23 else 1
        for index in range(1, 5):
            for number, block in enumerate(getattr(base_model, f"layer{index}")):
                if number % n_round == 0:
                    block.conv1 = wrapper(block.conv1)
        return
    for module in base_model.modules():
        expands = isinstance(module, InvertedResidual) and len(module.conv) == 8
        if expands and module.use_res_connect:
            module.conv[0] = wrapper(module.conv[0])


class TSN(nn.Module):
    """The official video model: backbone per frame, `new_fc`, mean over frames.

    Takes raw RGB pixels `(N, T, H, W, 3)` in [0, 255] and normalises them as
    the official data pipeline does (pixels / 255, ImageNet mean and std; for
    BN-Inception BGR minus its mean). BN-Inception places its own modules.
    """

    def __init__(self, backbone, module, num_classes, num_segments):
        super().__init__()
        self.num_segments = num_segments
        self.bgr = backbone == "bninception"
        if self.bgr:
            self.base_model = BNInception(module, num_segments)
        else:
            self.base_model = {"mobilenet_v2": MobileNetV2, "resnet50": ResNet50}[
                backbone
            ]()
            self._wrap(module, num_segments)
        self.new_fc = nn.Linear(self.base_model.feature_dim, num_classes)

    def _wrap(self, module, num_segments):
        if module == "tsm":
            wrap_residual_convs(
                self.base_model, lambda net: TemporalShift(net, num_segments)
            )
        elif module == "action":
            wrap_residual_convs(self.base_model, lambda net: Action(net, num_segments))

    def forward(self, clips):
        n, t, h, w, _ = clips.shape
        frames = clips.reshape(n * t, h, w, 3).permute(0, 3, 1, 2)
        if self.bgr:
            # TSM's `Stack(roll=True)`: BGR, pixels kept in [0, 255].
            mean = torch.tensor(BN_INCEPTION_BGR_MEAN).view(1, 3, 1, 1)
            frames = frames.flip(1) - mean
        else:
            mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
            std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
            frames = (frames / 255.0 - mean) / std
        logits = self.new_fc(self.base_model(frames))
        return logits.view(n, t, -1).mean(1)


def randomize(model, clips, seed=0):
    """Random weights, and BatchNorm statistics measured on `clips`, as if trained.

    Measured statistics keep activations of order one through the whole depth,
    as in a trained network, so that the logits compare meaningfully; random
    BatchNorm scales and offsets are applied on top.
    """
    generator = torch.Generator().manual_seed(seed)

    def normal(tensor, mean, std):
        tensor.copy_(torch.randn(tensor.shape, generator=generator) * std + mean)

    batch_norms = [
        m for m in model.modules() if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d))
    ]
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
                normal(module.weight, 0.0, (2.0 / module.weight[0].numel()) ** 0.5)
                if module.bias is not None:
                    normal(module.bias, 0.0, 0.1)
        for batch_norm in batch_norms:
            normal(batch_norm.weight, 1.0, 0.2)
            normal(batch_norm.bias, 0.0, 0.1)
            batch_norm.reset_running_stats()
            batch_norm.momentum = None  # a cumulative average: the batch's statistics
        model.train()(torch.as_tensor(clips))
    for batch_norm in batch_norms:
        batch_norm.momentum = 0.1
    return model.eval()


def save_official_checkpoint(model, path, data_parallel=True):
    """Saves as the official training script does, under DataParallel's `module.`."""
    state_dict = model.state_dict()
    if data_parallel:
        state_dict = {f"module.{key}": value for key, value in state_dict.items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch.save(
        {
            "epoch": 30,
            "arch": "mobilenetv2",
            "state_dict": state_dict,
            "optimizer": optimizer.state_dict(),
            "best_prec1": 95.0,
        },
        path,
    )
