"""The pieces of a VAE: the reparameterization step, the Gaussian KL term, and 'batchmean' losses.

Gradient checks in float64 (both inputs of each piece), twins against PyTorch's autograd, the formulas
against independent computations (a Monte Carlo KL, the sample moments of z), bad input, and negative
tests showing that a wrong backward is caught.
"""

import numpy as np
import pytest

import scratchae
from conftest import assert_close
from scratchae import gradcheck, nn
from scratchae.gradcheck import GradcheckError

SHAPES = [(1, 1), (3, 4), (5, 2), (2, 20)]


def mean_and_log_variance(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype), rng.uniform(-2, 1, shape).astype(dtype)


# -- Reparameterize ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
def test_reparameterize_gradcheck_with_fixed_noise(rng, shape):
    mu, logvar = mean_and_log_variance(rng, shape)
    layer = nn.Reparameterize()
    layer.fixed_eps = rng.standard_normal(shape)
    assert gradcheck(layer, (mu, logvar))


def test_reparameterize_is_mu_plus_sigma_eps(rng):
    mu, logvar = mean_and_log_variance(rng, (4, 3))
    layer = nn.Reparameterize(rng=np.random.default_rng(7))
    z = layer(mu, logvar)
    eps = np.random.default_rng(7).standard_normal((4, 3))  # what the layer drew
    np.testing.assert_array_equal(layer.eps, eps)
    np.testing.assert_allclose(z, mu + np.sqrt(np.exp(logvar)) * eps, rtol=1e-15)
    grad_mu, grad_logvar = layer.backward(np.ones_like(z))
    np.testing.assert_array_equal(grad_mu, np.ones_like(z))
    np.testing.assert_allclose(grad_logvar, np.sqrt(np.exp(logvar)) * eps / 2, rtol=1e-14)  # sigma eps / 2


def test_reparameterize_samples_have_the_mean_and_variance_asked_for():
    mu, logvar = np.array([[2.0, -1.0, 0.0]]), np.log(np.array([[0.25, 4.0, 1.0]]))
    layer = nn.Reparameterize(rng=np.random.default_rng(0))
    z = layer(np.repeat(mu, 200_000, axis=0), np.repeat(logvar, 200_000, axis=0))
    np.testing.assert_allclose(z.mean(axis=0), mu[0], atol=0.01)
    np.testing.assert_allclose(z.var(axis=0), np.exp(logvar[0]), rtol=0.01)


def test_reparameterize_draws_from_the_seeded_default_generator_or_its_own():
    mu = np.zeros((2, 3), np.float32)
    scratchae.manual_seed(4)
    first = nn.Reparameterize()(mu, mu)
    scratchae.manual_seed(4)
    again = nn.Reparameterize()(mu, mu)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.float32
    own = nn.Reparameterize(rng=np.random.default_rng(1))
    np.testing.assert_array_equal(own(mu, mu), np.random.default_rng(1).standard_normal((2, 3), np.float32))
    assert not np.array_equal(own(mu, mu), own(mu, mu))  # fresh noise at every call


def test_reparameterize_samples_in_evaluation_mode_too():
    layer = nn.Reparameterize(rng=np.random.default_rng(0)).eval()
    mu = np.zeros((2, 3))
    assert np.abs(layer(mu, mu)).max() > 0


def test_fixed_noise_is_used_and_cast_to_the_dtype_of_mu(rng):
    layer = nn.Reparameterize()
    layer.fixed_eps = rng.standard_normal((2, 3))  # float64 noise, float32 model
    mu, logvar = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)
    z = layer(mu, logvar)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, 1 + layer.fixed_eps, rtol=1e-6)
    np.testing.assert_array_equal(layer(mu, logvar), z)
    assert "fixed_eps" in repr(layer)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reparameterize_twin(torch, rng, dtype):
    mu, logvar = mean_and_log_variance(rng, (6, 5), dtype)
    eps = rng.standard_normal((6, 5)).astype(dtype)
    g = rng.standard_normal((6, 5)).astype(dtype)
    layer = nn.Reparameterize()
    layer.fixed_eps = eps
    z = layer(mu, logvar)
    grad_mu, grad_logvar = layer.backward(g)
    tmu, tlogvar = (torch.from_numpy(a).requires_grad_() for a in (mu, logvar))
    tz = tmu + torch.from_numpy(eps) * torch.exp(0.5 * tlogvar)  # PyTorch's VAE example
    tz.backward(torch.from_numpy(g))
    assert_close(z, tz.detach().numpy(), dtype, "z")
    assert_close(grad_mu, tmu.grad.numpy(), dtype, "dL/dmu")
    assert_close(grad_logvar, tlogvar.grad.numpy(), dtype, "dL/dlogvar")
    assert grad_mu.dtype == grad_logvar.dtype == dtype


# -- GaussianKL -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "mean"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gaussian_kl_gradcheck_both_inputs(rng, reduction, shape):
    assert gradcheck(nn.GaussianKL(reduction), mean_and_log_variance(rng, shape))


def test_gaussian_kl_matches_a_monte_carlo_estimate():
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated with many samples of z, one latent dimension at a time
    mu, logvar = np.array([[0.5, -1.0, 0.0]]), np.array([[-1.0, 0.5, 0.0]])
    closed = nn.GaussianKL("sum")(mu, logvar)
    z = np.random.default_rng(0).standard_normal((400_000, 3)) * np.exp(logvar / 2) + mu
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z - mu) ** 2 / np.exp(logvar))
    log_p = -0.5 * (np.log(2 * np.pi) + z**2)
    assert closed == pytest.approx(np.mean(np.sum(log_q - log_p, axis=1)), rel=5e-3)


def test_gaussian_kl_is_zero_only_at_the_prior_and_reduces_as_documented(rng):
    assert nn.GaussianKL()(np.zeros((3, 4)), np.zeros((3, 4))) == 0.0
    mu, logvar = mean_and_log_variance(rng, (3, 4))
    per_element = -0.5 * (1 + logvar - mu**2 - np.exp(logvar))
    assert np.all(per_element > 0)
    assert nn.GaussianKL("sum")(mu, logvar) == pytest.approx(per_element.sum(), rel=1e-14)
    assert nn.GaussianKL("batchmean")(mu, logvar) == pytest.approx(per_element.sum() / 3, rel=1e-14)
    assert nn.GaussianKL("mean")(mu, logvar) == pytest.approx(per_element.mean(), rel=1e-14)
    kl = nn.GaussianKL()
    kl(mu, logvar)
    grad_mu, grad_logvar = kl.backward(2.0)  # L = 2 * KL: the beta of a VAE
    np.testing.assert_allclose(grad_mu, 2 * mu / 3, rtol=1e-15)
    np.testing.assert_allclose(grad_logvar, 2 * (np.exp(logvar) - 1) / 2 / 3, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["batchmean", "sum"])
def test_gaussian_kl_twin(torch, rng, dtype, reduction):
    mu, logvar = mean_and_log_variance(rng, (8, 20), dtype)
    kl = nn.GaussianKL(reduction)
    value = kl(mu, logvar)
    grad_mu, grad_logvar = kl.backward()
    tmu, tlogvar = (torch.from_numpy(a).requires_grad_() for a in (mu, logvar))
    kld = -0.5 * torch.sum(1 + tlogvar - tmu.pow(2) - tlogvar.exp())  # PyTorch's VAE example
    if reduction == "batchmean":
        kld = kld / len(mu)
    kld.backward()
    assert value == pytest.approx(kld.item(), rel=1e-12 if dtype == np.float64 else 1e-5)
    assert_close(grad_mu, tmu.grad.numpy(), dtype, "dKL/dmu")
    assert_close(grad_logvar, tlogvar.grad.numpy(), dtype, "dKL/dlogvar")


# -- losses with reduction='batchmean' --------------------------------------------------------------
@pytest.mark.parametrize("loss", [nn.BCELoss, nn.MSELoss])
def test_batchmean_is_the_sum_per_example(torch, rng, loss):
    p = rng.uniform(0.05, 0.95, (4, 1, 5, 5))
    t = rng.uniform(0, 1, p.shape)
    assert gradcheck(loss("batchmean"), p, t)
    ours = loss("batchmean")
    value = ours(p, t)
    assert value == pytest.approx(loss("sum")(p, t) / 4, rel=1e-15)
    functional = torch.nn.functional.binary_cross_entropy if loss is nn.BCELoss else torch.nn.functional.mse_loss
    tp = torch.from_numpy(p).requires_grad_()
    twin = functional(tp, torch.from_numpy(t), reduction="sum") / len(p)
    twin.backward()
    assert value == pytest.approx(twin.item(), rel=1e-12)
    assert_close(ours.backward(), tp.grad.numpy())


# -- bad input --------------------------------------------------------------------------------------
def test_bad_input_gets_clear_errors():
    mu = np.zeros((4, 2))
    for piece in (nn.Reparameterize(), nn.GaussianKL()):
        name = type(piece).__name__
        with pytest.raises(
            ValueError,
            match=rf"{name} expected a log-variance of the shape of the mean mu "
            r"\(4, 2\), got \(4, 3\)",
        ):
            piece(mu, np.zeros((4, 3)))
        with pytest.raises(TypeError, match=rf"{name} logvar expected a float64 input"):
            piece(mu, np.zeros((4, 2), np.float32))
        with pytest.raises(TypeError, match=rf"{name} mu expected a float32 or float64 input, got int64"):
            piece(np.zeros((4, 2), np.int64), mu)
        with pytest.raises(ValueError, match=r"non-empty mean mu"):
            piece(np.zeros((0, 2)), np.zeros((0, 2)))
        with pytest.raises(RuntimeError, match="backward called before forward"):
            type(piece)().backward(mu) if name == "Reparameterize" else type(piece)().backward()
    layer = nn.Reparameterize()
    layer.fixed_eps = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"fixed_eps has shape \(4, 3\), but mu has shape \(4, 2\)"):
        layer(mu, mu)
    layer.fixed_eps = None
    layer(mu, mu)
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="reduction 'mean', 'sum' or 'batchmean', got 'none'"):
        nn.GaussianKL("none")
    with pytest.raises(ValueError, match="needs a batch dimension"):
        nn.BCELoss("batchmean")(np.array(0.5), np.array(1.0))


# -- negative tests: a wrong backward is caught -------------------------------------------------------
def test_a_kl_backward_with_the_wrong_sign_is_caught(rng, monkeypatch):
    backward = nn.GaussianKL.backward

    def wrong_sign(self, grad=1.0):
        grad_mu, grad_logvar = backward(self, grad)
        return -grad_mu, grad_logvar

    monkeypatch.setattr(nn.GaussianKL, "backward", wrong_sign)
    with pytest.raises(GradcheckError, match=r"input 0"):
        gradcheck(nn.GaussianKL(), mean_and_log_variance(rng, (3, 4)))


def test_a_reparameterize_backward_without_the_half_is_caught(rng, monkeypatch):
    def without_half(self, grad_z):  # dz/dlogvar = eps * sigma, forgetting the 1/2
        return grad_z, grad_z * self.eps * self._std

    monkeypatch.setattr(nn.Reparameterize, "backward", without_half)
    layer = nn.Reparameterize()
    layer.fixed_eps = rng.standard_normal((3, 4))
    with pytest.raises(GradcheckError, match=r"input 1"):
        gradcheck(layer, mean_and_log_variance(rng, (3, 4)))
