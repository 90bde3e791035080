r"""Checkerboard artifacts, measured: how much of an image is a pattern repeating with the stride's period.

A layer that upsamples by a stride :math:`s` (a transposed convolution, or nearest upsampling) builds
its output from :math:`s \times s` blocks, one per input pixel. If the blocks carry a pattern of their
own (uneven overlap of the stamps, or the same kernel stamped everywhere), the output shows a grid of
period :math:`s`: a checkerboard (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts",
Distill, 2016). This module measures it.

**The score.** Group the pixels of an :math:`H \times W` map :math:`y` by their *phase*
:math:`(m \bmod s,\; n \bmod s)`: :math:`s^2` groups of :math:`HW/s^2` pixels. The checkerboard score is
the fraction of the map's variance explained by the phase alone,

.. math::

    c(y) = \frac{\frac{HW}{s^2} \sum_{p, q} (\bar y_{pq} - \bar y)^2}{\sum_{m, n} (y_{mn} - \bar y)^2}
    \in [0, 1],

where :math:`\bar y_{pq}` is the mean of the pixels of phase :math:`(p, q)` and :math:`\bar y` the mean
of all pixels (the between-group share of an analysis of variance). It is 1 for a pure pattern of period
:math:`s`, 0 when every phase has the same mean, and about :math:`(s^2 - 1)/(HW - 1)` (0.4% for 28 x 28,
stride 2) for white noise. By Parseval's theorem it is also the share of the map's energy, mean removed,
that sits at the :math:`s^2 - 1` frequencies :math:`(k H/s,\; l W/s)`, :math:`(k, l) \neq (0, 0)`, of
its 2-D discrete Fourier transform (for :math:`s = 2`: the Nyquist frequencies (π, 0), (0, π), (π, π)):
replacing every pixel by the mean of its phase is the projection onto the maps of period :math:`s`, whose
spectrum lives on exactly those frequencies. :func:`stride_frequency_energy` computes it that way.

Natural images have some energy at those frequencies too (edges), so compare a decoder's score with the
score of the images it reconstructs.

**The overlap map.** :func:`overlap_counts` is the number of kernel stamps of a transposed convolution
that cover each output phase (Odena et al.'s picture): even for a kernel size divisible by the stride,
uneven otherwise. Its unevenness (:func:`overlap_unevenness`) is a property of the layer's shape alone;
the score above measures what the layer's weights actually produce.
"""

from __future__ import annotations

import numpy as np


def _cropped(maps, stride: int) -> np.ndarray:
    maps = np.asarray(maps, dtype=np.float64)
    if not isinstance(stride, (int, np.integer)) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"expected a positive integer stride, got {stride!r}")
    if maps.ndim < 2 or maps.shape[-2] < stride or maps.shape[-1] < stride:
        raise ValueError(f"expected maps (..., H, W) with H, W >= stride {stride}, got shape {maps.shape}")
    height, width = (maps.shape[-2] // stride) * stride, (maps.shape[-1] // stride) * stride
    return maps[..., :height, :width]


def phase_means(maps, stride: int = 2) -> np.ndarray:
    """The mean of the pixels of each phase ``(m % stride, n % stride)``: (..., stride, stride) for maps
    (..., H, W). Rows and columns past the last multiple of the stride are left out."""
    maps = _cropped(maps, stride)
    h, w = maps.shape[-2] // stride, maps.shape[-1] // stride
    blocks = maps.reshape(*maps.shape[:-2], h, stride, w, stride)
    return blocks.mean(axis=(-4, -2))


def checkerboard_score(maps, stride: int = 2) -> np.ndarray:
    """The fraction of each map's variance explained by its pixels' phase modulo ``stride`` (module
    docstring): one number in [0, 1] per map of ``maps`` (..., H, W); 0 for a constant map."""
    maps = _cropped(maps, stride)
    centred = maps - maps.mean(axis=(-2, -1), keepdims=True)
    total = np.sum(centred**2, axis=(-2, -1))
    pixels_per_phase = maps.shape[-2] * maps.shape[-1] / stride**2
    between = pixels_per_phase * np.sum(phase_means(centred, stride) ** 2, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, between / np.where(total > 0, total, 1), 0.0)


def stride_frequency_energy(maps, stride: int = 2) -> np.ndarray:
    """The same number as :func:`checkerboard_score`, from the 2-D DFT: the energy at the frequencies
    ``(k H/stride, l W/stride)``, ``(k, l) != (0, 0)``, over the energy at every frequency but 0."""
    maps = _cropped(maps, stride)
    power = np.abs(np.fft.fft2(maps)) ** 2
    h, w = maps.shape[-2] // stride, maps.shape[-1] // stride
    at_stride = power[..., ::h, ::w].sum(axis=(-2, -1)) - power[..., 0, 0]
    total = power.sum(axis=(-2, -1)) - power[..., 0, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, at_stride / np.where(total > 0, total, 1), 0.0)


def overlap_counts(kernel_size: int, stride: int) -> np.ndarray:
    """How many stamps of a ``kernel_size`` x ``kernel_size`` transposed convolution with ``stride`` cover
    an output pixel of each phase, away from the borders: (stride, stride) integers.

    Along one axis, output phase ``p`` is covered by the kernel taps ``j`` with ``j % stride == p``; in two
    dimensions the counts multiply. ``overlap_counts(3, 2)`` is ``[[4, 2], [2, 1]]``; ``overlap_counts(2, 2)``
    is all ones.
    """
    if kernel_size < 1 or stride < 1:
        raise ValueError(f"expected a positive kernel size and stride, got {kernel_size} and {stride}")
    taps = np.bincount(np.arange(kernel_size) % stride, minlength=stride)
    return np.outer(taps, taps)


def overlap_unevenness(kernel_size: int, stride: int) -> float:
    """The coefficient of variation (standard deviation / mean) of :func:`overlap_counts`: 0 when every
    output pixel is covered equally often."""
    counts = overlap_counts(kernel_size, stride).astype(np.float64)
    return float(counts.std() / counts.mean())


def input_gradients(model, images: np.ndarray, criterion) -> np.ndarray:
    """dL/d(images) of the loss ``criterion(model(images), images)`` (N, 1, H, W), in evaluation mode;
    the parameters' ``.grad`` are left as they were and ``model.needs_input_grad`` is restored."""
    was_training, needed = model.training, model.needs_input_grad
    saved = [p.grad.copy() for p in model.parameters()]
    model.eval()
    model.needs_input_grad = True
    try:
        criterion(model(images), images)
        return model.backward(criterion.backward())
    finally:
        model.needs_input_grad = needed
        model.train(was_training)
        for p, grad in zip(model.parameters(), saved, strict=True):
            p.grad[...] = grad
