"""Dropout: zero random elements in training, to keep units from relying on each other."""

from __future__ import annotations

import numpy as np

from .. import random
from . import checks
from .module import Module


class Dropout(Module):
    r"""Inverted dropout, as ``torch.nn.Dropout``: in training mode each element is zeroed with probability
    :math:`p` and the others are scaled by :math:`1/(1-p)`; in evaluation mode the layer is the identity.

    Parameters
    ----------
    p : float, default 0.5
        Probability of zeroing an element, in :math:`[0, 1]` (``p=1`` zeroes everything, as in PyTorch).
    inplace : bool, default False
        Write the output into the input array.
    rng : numpy.random.Generator, optional (keyword only)
        Where the masks come from. Default: the library's generator at the time of each call
        (:func:`scratchae.random.default_generator`), so ``scratchae.manual_seed(n)`` makes them
        reproducible, as ``torch.manual_seed`` does for PyTorch's. (The masks themselves differ from
        PyTorch's, which come from another generator.)

    Shapes
    ------
    x : any shape -> y : the same shape

    Notes
    -----
    With a mask :math:`k_i \sim \text{Bernoulli}(1 - p)` drawn anew at every call in training mode:

    .. math::

        y_i = \frac{k_i}{1 - p}\, x_i, \qquad
        \frac{\partial L}{\partial x_i} = \frac{k_i}{1 - p}\, \frac{\partial L}{\partial y_i} .

    The backward pass applies the same mask as the forward pass it follows. Scaling by :math:`1/(1-p)`
    keeps the expected value of every element, :math:`\mathbb{E}[y_i] = x_i`, so that nothing has to
    change in evaluation mode, where nothing is dropped ("inverted" dropout; the original paper scaled
    the weights at test time instead).

    A gradient check needs the same mask in every forward pass: check a subclass whose
    :meth:`keep_mask` returns a fixed mask (as ``tests/test_dropout.py`` does), or the layer in
    evaluation mode.

    References
    ----------
    N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "Dropout: a simple way to
    prevent neural networks from overfitting", JMLR 15, 2014.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, rng: np.random.Generator | None = None):
        if not checks.is_real_number(p) or not 0 <= p <= 1:
            raise ValueError(f"Dropout expected a probability p between 0 and 1, got {p!r}")
        self.p, self.inplace = p, bool(inplace)
        self.rng = None if rng is None else random.resolve(rng)
        self._scaled_mask: np.ndarray | None = None
        self._shape: tuple[int, ...] | None = None
        self._dtype: np.dtype | None = None

    def keep_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """Which elements to keep: a boolean array of ``shape``, each True with probability ``1 - p``."""
        rng = random.default_generator() if self.rng is None else self.rng
        return rng.random(shape) >= self.p

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input(self, x)
        self._shape, self._dtype = x.shape, x.dtype
        if not self.training:
            self._scaled_mask = None  # the identity: backward passes gradients through
            return x
        keep = self.keep_mask(x.shape)
        # k / (1 - p) in the input's dtype, as PyTorch computes it (p = 1: every element is dropped)
        scale = x.dtype.type(0) if self.p == 1 else x.dtype.type(1) / x.dtype.type(1 - self.p)
        self._scaled_mask = keep * scale
        return np.multiply(x, self._scaled_mask, out=x if self.inplace else None)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        checks.upstream(self, grad_out, self._cached(self._shape), self._dtype)
        if self._scaled_mask is None:  # evaluation mode: the identity
            return grad_out
        return grad_out * self._scaled_mask

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
