"""Stochastic gradient descent with momentum and L2 weight decay, as ``torch.optim.SGD``."""

from __future__ import annotations

from .optimizer import Optimizer


class SGD(Optimizer):
    r"""``torch.optim.SGD``'s update rule and defaults.

    Notes
    -----
    With gradient :math:`g_t`, weight decay :math:`\lambda`, momentum :math:`\mu`, dampening :math:`\tau`:

    .. math::

        g_t &\leftarrow g_t + \lambda \theta_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases} \\
        g_t &\leftarrow g_t + \mu b_t \text{ (Nesterov) or } b_t \text{ (otherwise, if } \mu \ne 0) \\
        \theta_t &= \theta_{t-1} - \eta\, g_t
    """

    state_names = ("momentum_buffer",)

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD expected momentum >= 0 and weight_decay >= 0, got {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD with nesterov=True needs momentum > 0 and dampening = 0")
        super().__init__(
            params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        )
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def step(self) -> None:
        self.step_count += 1
        for p, state in zip(self.params, self.state, strict=True):
            g = p.grad
            if self.weight_decay:
                g = g + p.dtype.type(self.weight_decay) * p.data
            if self.momentum:
                buf = state["momentum_buffer"]
                if self.step_count == 1:
                    buf[...] = g
                else:
                    buf *= p.dtype.type(self.momentum)
                    buf += p.dtype.type(1 - self.dampening) * g
                g = g + p.dtype.type(self.momentum) * buf if self.nesterov else buf
            p.data -= p.dtype.type(self.lr) * g
