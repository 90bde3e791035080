"""BatchNorm1d and BatchNorm2d: finite differences, the derivation step by step, torch.nn.BatchNorm* over
several training steps and in evaluation mode (outputs, gradients, running statistics), and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import assert_close
from scratchae import GradcheckError, gradcheck, nn

RTOL = {np.float64: 1e-10, np.float32: 1e-4}


def sweep(count: int, seed: int):
    """``count`` random configurations ``(layer class, layer kwargs, input shape)``."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        cls = (nn.BatchNorm1d, nn.BatchNorm2d)[i % 2]
        c = int(rng.integers(1, 5))
        if cls is nn.BatchNorm1d:
            shape = (int(rng.integers(2, 7)), c) + ((int(rng.integers(1, 5)),) if rng.random() < 0.5 else ())
        else:
            shape = (int(rng.integers(1, 4)), c, int(rng.integers(1, 5)), int(rng.integers(2, 5)))
        kw = dict(
            num_features=c,
            eps=float(rng.choice([1e-5, 1e-3, 0.1])),
            momentum=None if rng.random() < 0.25 else float(rng.choice([0.1, 0.3, 0.9])),
            affine=bool(rng.random() < 0.75),
            track_running_stats=bool(rng.random() < 0.8),
        )
        if kw["affine"] and rng.random() < 0.25:
            kw["bias"] = False
        cases.append((cls, kw, shape))
    return cases


DEFAULTS = dict(eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)
CASES = [
    *sweep(12, seed=0),
    (nn.BatchNorm2d, dict(num_features=3, **DEFAULTS, bias=False), (2, 3, 3, 3)),
    (nn.BatchNorm2d, dict(num_features=16, **DEFAULTS), (4, 16, 5, 5)),
]


def case_id(case):
    cls, kw, shape = case
    flags = "".join(k[0] for k in ("affine", "track_running_stats") if kw[k]) + ("-nobias" if "bias" in kw else "")
    return f"{cls.__name__[-2:]}-{'x'.join(map(str, shape))}-m{kw['momentum']}-{flags}"


def randomized(layer, rng):
    """``layer`` with random scale, shift and running statistics (not the trivial initial ones)."""
    if layer.weight is not None:
        layer.weight.data[...] = rng.uniform(0.5, 2.0, layer.weight.shape)
    if layer.bias is not None:
        layer.bias.data[...] = rng.standard_normal(layer.bias.shape)
    if layer.running_mean is not None:
        layer.running_mean.data[...] = rng.standard_normal(layer.num_features)
        layer.running_var.data[...] = rng.uniform(0.5, 2.0, layer.num_features)
    return layer


# -- gradients -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("train", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradcheck(case, train):
    cls, kw, shape = case
    rng = np.random.default_rng(1)
    layer = randomized(cls(**kw, dtype=np.float64), rng).train(train)
    assert gradcheck(layer, 2 * rng.standard_normal(shape) + 1)


def step_by_step_input_gradient(x, gamma, grad_y, eps):
    """The derivation in BatchNorm's docstring, line by line, for (N, C) in float64: the paths through
    x_hat, through the variance and through the mean, added up."""
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    s = 1 / np.sqrt(var + eps)
    grad_x_hat = gamma * grad_y
    grad_var = np.sum(grad_x_hat * (x - mu), axis=0) * -0.5 * s**3
    grad_mu = np.sum(grad_x_hat * -s, axis=0) + grad_var * np.mean(-2 * (x - mu), axis=0)
    return grad_x_hat * s + grad_var * 2 * (x - mu) / m + grad_mu / m


def test_backward_is_the_step_by_step_derivation():
    rng = np.random.default_rng(2)
    x, grad_y = 3 * rng.standard_normal((7, 4)) - 1, rng.standard_normal((7, 4))
    layer = randomized(nn.BatchNorm1d(4, eps=1e-3, dtype=np.float64), rng)
    layer(x)
    expected = step_by_step_input_gradient(x, layer.weight.data, grad_y, 1e-3)
    np.testing.assert_allclose(layer.backward(grad_y), expected, rtol=1e-10, atol=1e-12)


class _WithoutTheVariancePath(nn.BatchNorm2d):
    """The classic mistake: treating sigma as a constant (only the mean is subtracted)."""

    def backward(self, grad_out):
        grad_x = super().backward(grad_out)
        x_hat, inv_std = self._x_hat, self._inv_std.reshape(1, -1, 1, 1)
        projection = (grad_out * self.weight.data.reshape(1, -1, 1, 1) * x_hat).mean(axis=(0, 2, 3), keepdims=True)
        return grad_x + inv_std * x_hat * projection  # adds back the term through the variance


class _WithoutTheMeanPath(nn.BatchNorm2d):
    def backward(self, grad_out):
        grad_x = super().backward(grad_out)
        mean = (grad_out * self.weight.data.reshape(1, -1, 1, 1)).mean(axis=(0, 2, 3), keepdims=True)
        return grad_x + self._inv_std.reshape(1, -1, 1, 1) * mean


@pytest.mark.parametrize("wrong", [_WithoutTheVariancePath, _WithoutTheMeanPath])
def test_gradcheck_catches_a_missing_path(wrong):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 3, 2))
    layer = randomized(wrong(3, dtype=np.float64), rng)
    assert gradcheck(randomized(nn.BatchNorm2d(3, dtype=np.float64), np.random.default_rng(3)), x)
    with pytest.raises(GradcheckError, match=r"worst element input\["):
        gradcheck(layer, x)


# -- PyTorch -------------------------------------------------------------------------------------------


def torch_twin(torch, layer):
    cls = {nn.BatchNorm1d: torch.nn.BatchNorm1d, nn.BatchNorm2d: torch.nn.BatchNorm2d}[type(layer)]
    kw = dict(
        eps=layer.eps,
        momentum=layer.momentum,
        affine=layer.affine,
        track_running_stats=layer.track_running_stats,
        dtype=getattr(torch, np.dtype(layer._dtype()).name),
    )
    if layer.affine:
        kw["bias"] = layer.bias is not None
    twin = cls(layer.num_features, **kw)
    assert list(twin.state_dict()) == list(layer.state_dict())
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    return twin


def compare_step(torch, layer, twin, x, seed, what):
    rtol = RTOL[x.dtype.type]
    layer.zero_grad()
    twin.zero_grad()
    y = layer(x)
    grad_y = np.random.default_rng(seed).standard_normal(y.shape).astype(x.dtype)
    grad_x = layer.backward(grad_y)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = twin(xt)
    yt.backward(torch.from_numpy(grad_y))
    assert_close(y, yt.detach().numpy(), rtol, f"{what}: forward")
    assert_close(grad_x, xt.grad.numpy(), rtol, f"{what}: input gradient")
    twin_params = dict(twin.named_parameters())
    for name, p in layer.named_parameters():
        assert_close(p.grad, twin_params[name].grad.numpy(), rtol, f"{what}: {name} gradient")
    twin_state = twin.state_dict()
    for name, value in layer.state_dict().items():
        if value.dtype.kind == "i":
            assert value == twin_state[name].item(), f"{what}: {name}"
        else:
            assert_close(value, twin_state[name].numpy(), rtol, f"{what}: {name}")


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_over_training_steps_then_in_evaluation(torch, case, dtype):
    cls, kw, shape = case
    rng = np.random.default_rng(4)
    layer = randomized(cls(**kw, dtype=dtype), rng)
    twin = torch_twin(torch, layer)
    for step in range(3):  # the running statistics move at each step
        x = (rng.uniform(0.5, 3) * rng.standard_normal(shape) + rng.standard_normal()).astype(dtype)
        compare_step(torch, layer, twin, x, step, f"training step {step}")
    layer.eval()
    twin.eval()
    x = (2 * rng.standard_normal(shape) + 1).astype(dtype)
    compare_step(torch, layer, twin, x, 9, "evaluation")


@pytest.mark.torch
def test_state_dict_names_order_and_types_are_pytorchs(torch):
    for kw in [{}, dict(affine=False), dict(track_running_stats=False), dict(bias=False)]:
        ours, theirs = nn.BatchNorm2d(3, **kw).state_dict(), torch.nn.BatchNorm2d(3, **kw).state_dict()
        assert list(ours) == list(theirs)
        for name, value in ours.items():
            assert value.shape == tuple(theirs[name].shape)
            assert value.dtype == theirs[name].numpy().dtype
    assert repr(nn.BatchNorm2d(3)) == repr(torch.nn.BatchNorm2d(3))
    assert repr(nn.BatchNorm1d(4, momentum=None, affine=False)) == repr(
        torch.nn.BatchNorm1d(4, momentum=None, affine=False)
    )


# -- modes, buffers and running statistics, by hand -------------------------------------------------------


def test_running_statistics_by_hand():
    x = np.array([[1.0], [2.0], [6.0]])  # mean 3, biased variance 14/3, unbiased 7
    layer = nn.BatchNorm1d(1, momentum=0.5, dtype=np.float64)
    y = layer(x)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] - 3) / np.sqrt(14 / 3 + 1e-5))
    np.testing.assert_allclose(layer.running_mean.data, [0.5 * 0 + 0.5 * 3])
    np.testing.assert_allclose(layer.running_var.data, [0.5 * 1 + 0.5 * 7])
    assert layer.num_batches_tracked.data == 1 and layer.num_batches_tracked.dtype == np.int64
    layer.eval()
    np.testing.assert_allclose(layer(np.array([[1.5]]))[0, 0], 0.0)  # (1.5 - 1.5) / sqrt(4)
    assert layer.num_batches_tracked.data == 1  # evaluation changes nothing


def test_momentum_none_is_the_average_of_all_batches():
    layer = nn.BatchNorm1d(1, momentum=None, dtype=np.float64)
    means = [1.0, 5.0, -3.0]
    for mean in means:
        layer(np.array([[mean - 1], [mean + 1]]))
    np.testing.assert_allclose(layer.running_mean.data, [np.mean(means)])
    np.testing.assert_allclose(layer.running_var.data, [2.0])  # each batch's unbiased variance


def test_without_running_statistics_evaluation_uses_the_batch():
    x = np.random.default_rng(5).standard_normal((4, 2))
    layer = nn.BatchNorm1d(2, track_running_stats=False, dtype=np.float64)
    assert layer.running_mean is None and layer.state_dict().keys() == {"weight", "bias"}
    np.testing.assert_array_equal(layer.eval()(x), layer.train()(x))


def test_to_float64_converts_the_statistics_but_keeps_the_count_an_integer():
    layer = nn.BatchNorm2d(2).to(np.float64)
    assert layer.running_var.dtype == np.float64 and layer.num_batches_tracked.dtype == np.int64
    layer(np.random.default_rng(6).standard_normal((2, 2, 2, 2)))
    assert layer.running_var.dtype == np.float64


def test_an_empty_batch_changes_no_statistic_but_is_counted():
    layer = nn.BatchNorm2d(3)
    y = layer(np.zeros((0, 3, 2, 2), np.float32))
    assert y.shape == (0, 3, 2, 2) and layer.backward(y).shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(layer.running_var.data, np.ones(3))
    assert layer.num_batches_tracked.data == 1  # as in PyTorch


# -- refused input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, shape",
    [
        (nn.BatchNorm2d(3), (1, 3, 1, 1)),
        (nn.BatchNorm1d(3), (1, 3)),
        (nn.BatchNorm1d(3, track_running_stats=False).eval(), (1, 3)),
    ],
)
def test_one_value_per_channel_in_training_is_refused_as_in_pytorch(layer, shape):
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        layer(np.zeros(shape, np.float32))


def test_one_value_per_channel_is_fine_with_running_statistics():
    assert nn.BatchNorm2d(3).eval()(np.ones((1, 3, 1, 1), np.float32)).shape == (1, 3, 1, 1)


@pytest.mark.parametrize(
    "layer, x, error, match",
    [
        (nn.BatchNorm2d(3), np.zeros((2, 4, 2, 2), np.float32), ValueError, r"expected 3 channels, got 4"),
        (nn.BatchNorm1d(3), np.zeros((2, 2), np.float32), ValueError, r"expected 3 channels, got 2"),
        (nn.BatchNorm2d(3), np.zeros((3, 2, 2), np.float32), ValueError, r"4-D \(N, C, H, W\) input, got shape"),
        (nn.BatchNorm1d(3), np.zeros(3, np.float32), ValueError, r"2-D \(N, C\) or 3-D \(N, C, L\) input"),
        (nn.BatchNorm2d(3), np.zeros((2, 3, 2, 2), np.float64), TypeError, "expected a float32 input"),
        (nn.BatchNorm2d(3), np.zeros((2, 3, 2, 2), np.int64), TypeError, "float32 or float64"),
    ],
)
def test_bad_input(layer, x, error, match):
    with pytest.raises(error, match=match):
        layer(x)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_features=0), "num_features to be a positive integer"),
        (dict(num_features=3, eps=-1.0), "eps to be a number >= 0"),
        (dict(num_features=3, momentum=1.5), r"momentum to be a number in \[0, 1\] or None"),
        (dict(num_features=3, momentum="0.1"), r"momentum to be a number in \[0, 1\] or None"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.BatchNorm2d(**kwargs)


def test_backward_checks():
    layer = nn.BatchNorm2d(2)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((2, 2, 2, 2), np.float32))
    layer(np.random.default_rng(7).standard_normal((2, 2, 2, 2)).astype(np.float32))
    with pytest.raises(ValueError, match=r"gradient of shape \(2, 2, 2, 2\)"):
        layer.backward(np.zeros((2, 2, 2, 1), np.float32))
