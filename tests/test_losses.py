import numpy as np
import pytest

from conftest import assert_close
from scratchae import gradcheck, nn


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_gradcheck(rng, reduction):
    p = rng.uniform(0.05, 0.95, (3, 4, 5))
    t = rng.uniform(0, 1, (3, 4, 5))
    assert gradcheck(nn.MSELoss(reduction), p, t)
    assert gradcheck(nn.BCELoss(reduction), p, t)


def test_mse_by_hand():
    p, t = np.array([0.0, 1.0, 3.0]), np.array([1.0, 1.0, 1.0])
    crit = nn.MSELoss()
    assert crit(p, t) == pytest.approx((1 + 0 + 4) / 3)
    np.testing.assert_allclose(crit.backward(), 2 * (p - t) / 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_twin(torch, rng, dtype, reduction):
    p = rng.uniform(0, 1, (4, 1, 6, 6)).astype(dtype)
    p.flat[:4] = [0.0, 1.0, 0.0, 1.0]  # BCE at the clamped extremes, as in PyTorch
    t = rng.uniform(0, 1, p.shape).astype(dtype)
    t.flat[:4] = [0.0, 1.0, 1.0, 0.0]
    for ours, theirs in [
        (nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction)),
        (nn.BCELoss(reduction), torch.nn.BCELoss(reduction=reduction)),
    ]:
        tp = torch.from_numpy(p).requires_grad_()
        tl = theirs(tp, torch.from_numpy(t))
        tl.backward()
        loss = ours(p, t)
        assert isinstance(loss, float)
        rtol = 1e-10 if dtype == np.float64 else 1e-5
        assert loss == pytest.approx(tl.item(), rel=rtol)
        grad = ours.backward()
        assert grad.dtype == dtype
        assert_close(grad, tp.grad.numpy(), dtype, repr(ours))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reduction_has_the_bits_of_numpy_mean_and_sum(dtype, reduction):
    # the losses reduce with np.add.reduce and round a mean as ndarray.mean() does: the same float
    rng = np.random.default_rng(3)
    loss = nn.MSELoss(reduction=reduction)
    for size in (1, 7, 784, 15_680, 100_003):
        for _ in range(10):
            squares = ((rng.standard_normal(size) * 10.0 ** rng.uniform(-5, 5)) ** 2).astype(dtype)
            expected = float(squares.mean() if reduction == "mean" else squares.sum())
            assert loss._reduce(squares) == expected


def test_bce_extremes_are_finite():
    crit = nn.BCELoss()
    loss = crit(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert loss == pytest.approx(100.0)
    assert np.all(np.isfinite(crit.backward()))


def test_loss_errors():
    with pytest.raises(ValueError, match=r"same shape, got \(2, 3\) and \(3, 2\)"):
        nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"BCELoss expected every prediction in \[0, 1\], got 1.5"):
        nn.BCELoss()(np.array([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="got nan"):
        nn.BCELoss()(np.array([np.nan]), np.array([0.0]))
    with pytest.raises(ValueError, match="reduction 'mean', 'sum' or 'batchmean', got 'none'"):
        nn.MSELoss("none")
    with pytest.raises(RuntimeError, match=r"MSELoss\.backward called before forward"):
        nn.MSELoss().backward()
    with pytest.raises(TypeError, match="MSELoss target expected a float64 input"):
        nn.MSELoss()(np.zeros(3), np.zeros(3, np.float32))


# -- L1Loss ---------------------------------------------------------------------------------------------------


def away_from_the_kink(rng, shape):
    """(prediction, target) whose differences are at least 0.05 in size: |d| has no derivative at 0."""
    t = rng.uniform(0, 1, shape)
    d = rng.uniform(0.05, 0.5, shape) * rng.choice([-1.0, 1.0], shape)
    return t + d, t


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_l1_gradcheck(rng, reduction):
    assert gradcheck(nn.L1Loss(reduction), *away_from_the_kink(rng, (3, 4, 5)))


class _L1WithTheDifferenceForTheSign(nn.L1Loss):
    """A plausible slip: the MSE gradient's shape (proportional to the error) for the L1 loss."""

    def backward(self, grad=1.0):
        return self._saved * grad * self._scale(self._saved.shape)


def test_l1_gradcheck_catches_a_wrong_backward(rng):
    from scratchae import GradcheckError

    with pytest.raises(GradcheckError, match="worst element input"):
        gradcheck(_L1WithTheDifferenceForTheSign(), *away_from_the_kink(rng, (2, 5)))


def test_l1_by_hand():
    p, t = np.array([0.0, 1.0, 3.0, -2.0]), np.array([1.0, 1.0, 1.0, 1.0])
    crit = nn.L1Loss()
    assert crit(p, t) == pytest.approx((1 + 0 + 2 + 3) / 4)
    np.testing.assert_array_equal(crit.backward(), [-0.25, 0.0, 0.25, -0.25])  # sign(0) = 0, as PyTorch
    assert nn.L1Loss("sum")(p, t) == 6.0
    assert repr(nn.L1Loss()) == "L1Loss(reduction='mean')"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_l1_twin(torch, rng, dtype, reduction):
    p = rng.uniform(0, 1, (4, 1, 6, 6)).astype(dtype)
    t = rng.uniform(0, 1, p.shape).astype(dtype)
    t.flat[:5] = p.flat[:5]  # exact ties: gradient 0 in both
    tp = torch.from_numpy(p).requires_grad_()
    tl = torch.nn.L1Loss(reduction=reduction)(tp, torch.from_numpy(t))
    tl.backward(torch.tensor(0.7, dtype=tp.dtype))
    crit = nn.L1Loss(reduction)
    loss = crit(p, t)
    assert isinstance(loss, float)
    assert loss == pytest.approx(tl.item(), rel=1e-10 if dtype == np.float64 else 1e-5)
    grad = crit.backward(0.7)
    assert grad.dtype == dtype
    assert_close(grad, tp.grad.numpy(), dtype, "L1Loss gradient")


def test_l1_errors():
    with pytest.raises(ValueError, match="reduction 'mean', 'sum' or 'batchmean', got 'none'"):
        nn.L1Loss("none")
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        nn.L1Loss()(np.zeros(2), np.zeros(3))
    with pytest.raises(RuntimeError, match=r"L1Loss\.backward called before forward"):
        nn.L1Loss().backward()
