r"""Batch normalization: BatchNorm1d and BatchNorm2d, one computation over different layouts."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from . import checks
from .module import Buffer, Module, Parameter


class _BatchNorm(Module):
    r"""Batch normalization (Ioffe & Szegedy, 2015) of every channel :math:`c` of its input, as PyTorch's
    ``BatchNorm1d`` and ``BatchNorm2d``, which differ only in the layouts they accept.

    Parameters
    ----------
    num_features : int
        Channels :math:`C` (axis 1 of the input).
    eps : float, default 1e-5
        Added to the variance before its square root.
    momentum : float or None, default 0.1
        Weight :math:`\rho` of the new batch in the running statistics; ``None`` averages all batches
        seen so far equally (:math:`\rho = 1/t` at the :math:`t`-th batch).
    affine : bool, default True
        Learn a scale :math:`\gamma` (``weight``, initially 1) and a shift :math:`\beta` (``bias``,
        initially 0) per channel.
    track_running_stats : bool, default True
        Keep running estimates of each channel's mean and variance (buffers ``running_mean``,
        ``running_var``, ``num_batches_tracked``), used in evaluation mode. Without them the layer
        always normalizes with the statistics of the batch it is given.
    dtype : numpy dtype, default float32
    bias : bool, default True (keyword only)
        With ``affine``, learn :math:`\beta` too (as PyTorch's ``bias=False``: a scale only).

    Notes
    -----
    **Forward.** For one channel, let :math:`x_1, \dots, x_m` be its :math:`m` values in the batch
    (:math:`m = N` for (N, C), :math:`N L` for (N, C, L), :math:`N H W` for (N, C, H, W)). In training mode

    .. math::

        \mu = \frac1m \sum_i x_i, \qquad \sigma^2 = \frac1m \sum_i (x_i - \mu)^2, \qquad
        \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y_i = \gamma \hat x_i + \beta,

    and the running statistics move towards the batch's, with the *unbiased* variance (as PyTorch):

    .. math::

        \mu_{run} \leftarrow (1 - \rho)\,\mu_{run} + \rho\,\mu, \qquad
        \sigma^2_{run} \leftarrow (1 - \rho)\,\sigma^2_{run} + \rho\,\frac{m}{m - 1}\,\sigma^2 .

    In evaluation mode :math:`\mu, \sigma^2` are :math:`\mu_{run}, \sigma^2_{run}`, constants: the layer is
    then an affine map per channel. A batch with one value per channel (:math:`m = 1`) has no variance;
    training on it is refused, as in PyTorch.

    **Backward.** Given :math:`g_i = \partial L/\partial y_i`, the parameters come first:

    .. math::

        \frac{\partial L}{\partial \beta} = \sum_i g_i, \qquad
        \frac{\partial L}{\partial \gamma} = \sum_i g_i \hat x_i, \qquad
        \frac{\partial L}{\partial \hat x_i} = \gamma\, g_i .

    In training mode :math:`x_i` reaches :math:`L` by three paths: directly through :math:`\hat x_i`, and
    through :math:`\mu` and :math:`\sigma^2`, which every :math:`\hat x_j` depends on. Step by step, with
    :math:`s = (\sigma^2 + \epsilon)^{-1/2}` (so :math:`\hat x_j = (x_j - \mu)\, s`):

    .. math::

        \frac{\partial L}{\partial \sigma^2} &= \sum_j \frac{\partial L}{\partial \hat x_j}\,(x_j - \mu)
            \cdot \left(-\tfrac12\right) s^3
            = -\frac{s^2}{2} \sum_j \frac{\partial L}{\partial \hat x_j}\, \hat x_j \\
        \frac{\partial L}{\partial \mu} &= \sum_j \frac{\partial L}{\partial \hat x_j}\,(-s)
            + \frac{\partial L}{\partial \sigma^2}\, \underbrace{\frac{-2}{m} \sum_j (x_j - \mu)}_{=\,0}
            = -s \sum_j \frac{\partial L}{\partial \hat x_j} \\
        \frac{\partial L}{\partial x_i} &= \frac{\partial L}{\partial \hat x_i}\, s
            + \frac{\partial L}{\partial \sigma^2}\, \frac{2 (x_i - \mu)}{m}
            + \frac{\partial L}{\partial \mu}\, \frac1m ,

    using :math:`\partial \mu / \partial x_i = 1/m` and :math:`\partial \sigma^2 / \partial x_i = 2(x_i - \mu)/m`.
    Substituting the first two lines into the third gives the three terms the code computes:

    .. math::

        \frac{\partial L}{\partial x_i} = \frac{s}{m} \Big( m \frac{\partial L}{\partial \hat x_i}
            - \sum_j \frac{\partial L}{\partial \hat x_j}
            - \hat x_i \sum_j \frac{\partial L}{\partial \hat x_j}\, \hat x_j \Big):

    the gradient as if :math:`\mu, \sigma` were constants, minus its mean (the path through :math:`\mu`:
    shifting every input shifts nothing), minus its projection on :math:`\hat x` (the path through
    :math:`\sigma^2`: scaling the inputs scales nothing). In evaluation mode only the first term is left,
    :math:`\partial L/\partial x_i = s\, \gamma g_i`.

    The statistics and the sums of the backward pass are accumulated in float64 whatever the dtype, as
    PyTorch's CPU kernels accumulate in double; the outputs have the input's dtype.

    References
    ----------
    S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by reducing internal
    covariate shift", ICML 2015, arXiv:1502.03167 (the backward pass is in its section 3).
    """

    #: the input layouts the layer accepts: {number of dimensions: layout}
    LAYOUTS: ClassVar[dict[int, str]] = {}

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: npt.DTypeLike = np.float32,
        bias: bool = True,
    ):
        layer = type(self).__name__
        self.num_features = checks.positive_int(num_features, "num_features", layer)
        if not checks.is_real_number(eps) or not eps >= 0:
            raise ValueError(f"{layer} expected eps to be a number >= 0, got {eps!r}")
        if momentum is not None and (not checks.is_real_number(momentum) or not 0 <= momentum <= 1):
            raise ValueError(f"{layer} expected momentum to be a number in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        c = self.num_features
        self.weight: Parameter | None = Parameter(np.ones(c, dtype)) if affine else None
        self.bias: Parameter | None = Parameter(np.zeros(c, dtype)) if affine and bias else None
        self.running_mean: Buffer | None = None
        self.running_var: Buffer | None = None
        self.num_batches_tracked: Buffer | None = None
        if track_running_stats:
            self.running_mean = Buffer(np.zeros(c, dtype))
            self.running_var = Buffer(np.ones(c, dtype))
            self.num_batches_tracked = Buffer(np.array(0, np.int64))
        self._x_hat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None
        self._batch_statistics = True

    def _running(self) -> tuple[Buffer, Buffer, Buffer]:
        """The running mean, running variance and count of batches (kept when track_running_stats)."""
        if self.running_mean is None or self.running_var is None or self.num_batches_tracked is None:
            raise RuntimeError(f"{self!r} has no running statistics (it was built with track_running_stats=False)")
        return self.running_mean, self.running_var, self.num_batches_tracked

    # -- input --------------------------------------------------------------------------------------
    def _dtype(self) -> np.dtype | None:
        """The dtype of the parameters (or running statistics); None if the layer has neither."""
        holder = self.weight if self.weight is not None else self.running_mean
        return None if holder is None else holder.dtype

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input(self, x, self._dtype())
        if x.ndim not in self.LAYOUTS:
            layouts = " or ".join(f"{n}-D {layout}" for n, layout in self.LAYOUTS.items())
            raise ValueError(f"{self!r} expected a {layouts} input, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r} expected {self.num_features} channels, got {x.shape[1]} (input shape {x.shape})"
            )
        return x

    # -- forward / backward -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x)
        axes = (0, *range(2, x.ndim))  # every axis but the channels'
        per_channel = (1, -1) + (1,) * (x.ndim - 2)  # a (C,) array broadcast against x
        updating = self.training and self.track_running_stats
        if updating:
            _, _, count = self._running()
            count.data += 1
        # the batch's statistics in training, and always without running statistics (as PyTorch)
        self._batch_statistics = self.training or not self.track_running_stats
        if x.size == 0:  # an empty batch: nothing to normalize or learn
            self._x_hat, self._inv_std = x.copy(), np.ones(self.num_features, x.dtype)
            return x.copy()
        if self._batch_statistics:
            m = x.size // self.num_features  # values per channel
            if m == 1:
                raise ValueError(
                    f"{self!r}: expected more than 1 value per channel when training, got input "
                    f"of shape {x.shape} (one image of 1x1? use a larger batch, or call eval())"
                )
            x64 = x.astype(np.float64)
            mean = x64.mean(axis=axes)
            var = ((x64 - mean.reshape(per_channel)) ** 2).mean(axis=axes)  # biased: divided by m
            if updating:
                self._update_running_statistics(mean, var * m / (m - 1))  # unbiased
        else:
            running_mean, running_var, _ = self._running()
            mean, var = running_mean.data.astype(np.float64), running_var.data.astype(np.float64)
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        x_hat = (x - mean.astype(x.dtype).reshape(per_channel)) * inv_std.reshape(per_channel)
        self._x_hat, self._inv_std = x_hat, inv_std
        if self.weight is None:
            return x_hat
        y = x_hat * self.weight.data.reshape(per_channel)
        if self.bias is not None:
            y += self.bias.data.reshape(per_channel)
        return y

    def _update_running_statistics(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        """Move the running statistics a fraction rho towards the batch's (float64 arithmetic, stored in
        the buffers' dtype, as PyTorch does)."""
        running_mean, running_var, count = self._running()
        rho = 1.0 / float(count.data) if self.momentum is None else float(self.momentum)
        running_mean.data[...] = (1 - rho) * running_mean.data.astype(np.float64) + rho * mean
        running_var.data[...] = (1 - rho) * running_var.data.astype(np.float64) + rho * unbiased_var

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_hat = self._cached(self._x_hat)
        checks.upstream(self, grad_out, x_hat.shape, x_hat.dtype)
        axes = (0, *range(2, x_hat.ndim))
        per_channel = (1, -1) + (1,) * (x_hat.ndim - 2)
        if self.weight is not None:  # dL/dgamma = sum g x_hat
            self.weight.grad += (grad_out * x_hat).sum(axis=axes, dtype=np.float64).astype(x_hat.dtype)
        if self.bias is not None:  # dL/dbeta = sum g
            self.bias.grad += grad_out.sum(axis=axes, dtype=np.float64).astype(x_hat.dtype)
        # dL/dx_hat = gamma g
        grad_x_hat = grad_out if self.weight is None else grad_out * self.weight.data.reshape(per_channel)
        inv_std = self._cached(self._inv_std).reshape(per_channel)
        if not self._batch_statistics or x_hat.size == 0:  # mu and sigma were constants
            return grad_x_hat * inv_std
        m = x_hat.size // self.num_features
        total = grad_x_hat.sum(axis=axes, dtype=np.float64).astype(x_hat.dtype).reshape(per_channel)
        projection = (grad_x_hat * x_hat).sum(axis=axes, dtype=np.float64).astype(x_hat.dtype).reshape(per_channel)
        # the direct path, minus the path through the mean, minus the path through the variance
        return (inv_std / x_hat.dtype.type(m)) * (x_hat.dtype.type(m) * grad_x_hat - total - x_hat * projection)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    r"""Batch normalization of (N, C) or (N, C, L) inputs, per channel over the batch (and the length), as
    ``torch.nn.BatchNorm1d``: :math:`m = N` or :math:`N L` values per channel.

    The parameters, the forward and backward passes and their derivation step by step are in the
    docstring of the shared base class, ``_BatchNorm``, just above, next to the code.

    Shapes
    ------
    x : (N, C) or (N, C, L) -> y : the same shape; weight, bias, running_mean, running_var : (C,)
    """

    LAYOUTS: ClassVar[dict[int, str]] = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(_BatchNorm):
    r"""Batch normalization of (N, C, H, W) images, per channel over the batch and the image plane, as
    ``torch.nn.BatchNorm2d``: :math:`m = N H W` values per channel.

    The parameters, the forward and backward passes and their derivation step by step are in the
    docstring of the shared base class, ``_BatchNorm``, just above, next to the code.

    Shapes
    ------
    x : (N, C, H, W) -> y : (N, C, H, W); weight, bias, running_mean, running_var : (C,)

    Examples
    --------
    >>> bn = BatchNorm2d(16)                  # doctest: +SKIP
    >>> y = bn(x)                             # training mode: the batch's statistics, running ones updated
    >>> bn.eval(); y = bn(x)                  # evaluation mode: the running statistics
    """

    LAYOUTS: ClassVar[dict[int, str]] = {4: "(N, C, H, W)"}
