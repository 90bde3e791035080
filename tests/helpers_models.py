"""Shared by the model and training tests: small synthetic images and a directional gradient check."""

from __future__ import annotations

import numpy as np


def images(n: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    """``n`` smooth synthetic 28x28 images in [0, 1]: blobs at random places (not pure noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    out = np.empty((n, 1, 28, 28))
    for i in range(n):
        cy, cx = rng.uniform(8, 20, size=2)
        width = rng.uniform(3, 7)
        out[i, 0] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * width**2))
    return out.astype(dtype)


def fix_noise(model, n: int, seed: int = 0) -> None:
    """Fix the sampling noise of a variational autoencoder for batches of ``n`` images (nothing for the
    other models), so that calling it twice computes the same function."""
    from scratchae.models import VariationalAutoencoder

    if isinstance(model, VariationalAutoencoder):
        model.reparameterize.fixed_eps = np.random.default_rng(seed).standard_normal((n, model.latent_dim))


def directional_derivative_check(model, x, *, seed: int = 0, eps: float = 1e-7, rtol: float = 1e-6):
    """Check model.backward against central differences along one random direction in (x, theta).

    With a random upstream gradient g and objective f = sum(g * model(x)) + model.latent_loss() (a VAE's
    beta * KL; 0 for the other models, whose backward adds nothing of its own), the analytic
    <df/dx, dx> + sum_p <df/dp, dp> must equal (f(x + eps dx, p + eps dp) - f(x - eps dx, p - eps dp)) / 2eps.
    One direction covers every input element and every parameter at once. The step is small (1e-7 in
    float64) so that it rarely carries a ReLU input or a max-pooling window across a kink, where the
    function has no derivative and a finite difference measures nothing useful.
    """
    rng = np.random.default_rng(seed)
    x = x.astype(np.float64)
    model.to(np.float64)
    model.needs_input_grad = True  # the check covers dL/dx too
    g = rng.standard_normal(model(x).shape)
    model.zero_grad()
    model(x)
    grad_x = model.backward(g)
    params = model.parameters()
    dx = rng.standard_normal(x.shape)
    dps = [rng.standard_normal(p.shape) for p in params]
    analytic = np.sum(grad_x * dx) + sum(np.sum(p.grad * dp) for p, dp in zip(params, dps, strict=True))

    def objective(sign):
        saved = [p.data.copy() for p in params]
        for p, dp in zip(params, dps, strict=True):
            p.data += sign * eps * dp
        value = np.sum(g * model(x + sign * eps * dx)) + model.latent_loss()
        for p, s in zip(params, saved, strict=True):
            p.data[...] = s
        return value

    numeric = (objective(1) - objective(-1)) / (2 * eps)
    assert abs(analytic - numeric) <= rtol * max(1.0, abs(numeric)), (analytic, numeric)
    return analytic, numeric
