"""Adam, as ``torch.optim.Adam`` (Kingma & Ba, 2015), with L2 weight decay added to the gradient."""

from __future__ import annotations

import math

from ..kernels import numba_enabled
from ..kernels.numba.adam import adam_update as fast_adam_update
from ..kernels.reference.adam import adam_update as readable_adam_update
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""``torch.optim.Adam``'s update rule and defaults (``amsgrad=False``).

    Notes
    -----
    With gradient :math:`g_t` at step :math:`t`:

    .. math::

        g_t &\leftarrow g_t + \lambda \theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
                    \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    computed in the order PyTorch's single-tensor CPU implementation uses, so float64 runs agree with
    it to rounding. The update of each parameter is in :mod:`scratchae.kernels.reference.adam` (NumPy)
    and :mod:`scratchae.kernels.numba.adam` (one pass, the same bits).
    """

    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        beta1, beta2 = betas
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"Adam expected betas in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"Adam expected eps >= 0 and weight_decay >= 0, got {eps}, {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.eps, self.weight_decay = eps, weight_decay

    def step(self) -> None:
        self.step_count += 1
        t = self.step_count
        step_size = self.lr / (1 - self.beta1**t)
        bias_correction2_sqrt = math.sqrt(1 - self.beta2**t)
        update = fast_adam_update if numba_enabled() else readable_adam_update  # one Numba pass, or NumPy
        for p, state in zip(self.params, self.state, strict=True):
            g = p.grad
            if self.weight_decay:
                g = g + p.dtype.type(self.weight_decay) * p.data
            update(
                p.data,
                g,
                state["exp_avg"],
                state["exp_avg_sq"],
                step_size,
                bias_correction2_sqrt,
                self.beta1,
                self.beta2,
                self.eps,
            )
