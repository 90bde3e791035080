import numpy as np
import pytest

from scratchae import nn, optim


def tiny_model(rng):
    return nn.Sequential(nn.Linear(6, 4, rng=rng), nn.Sigmoid(), nn.Linear(4, 6, rng=rng)).to(np.float64)


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", {}),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_optimizer_trajectory_twin(torch, rng, name, kwargs):
    """Twelve training steps from the same weights: parameters agree with PyTorch after every step."""
    model = tiny_model(rng)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 6)).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    ref_opt = getattr(torch.optim, name)(ref.parameters(), **kwargs)
    crit = nn.MSELoss()
    for step in range(12):
        x = rng.standard_normal((5, 6))
        loss = crit(model(x), x)
        opt.zero_grad()
        model.backward(crit.backward())
        opt.step()
        ref_opt.zero_grad()
        ref_loss = torch.nn.functional.mse_loss(ref(torch.from_numpy(x)), torch.from_numpy(x))
        ref_loss.backward()
        ref_opt.step()
        assert loss == pytest.approx(ref_loss.item(), rel=1e-10)
        for k, v in ref.state_dict().items():
            np.testing.assert_allclose(
                model.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{name}{kwargs} step {step} {k}"
            )


def test_adam_first_step_by_hand():
    """After one step Adam moves every weight by lr * g / (|g| + eps') = about lr * sign(g)."""
    p = nn.Parameter(np.array([1.0, -2.0, 3.0]))
    p.grad[...] = [0.5, -4.0, 1e-3]
    optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.9, -1.9, 2.9], rtol=1e-6)


def test_sgd_by_hand_with_momentum():
    p = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    for _ in range(2):
        p.grad[...] = 2.0
        opt.step()
    # step 1: b = 2, p = 1 - 0.2; step 2: b = 0.5 * 2 + 2 = 3, p = 0.8 - 0.3
    np.testing.assert_allclose(p.data, [0.5])


def test_defaults_match_pytorch():
    p = [nn.Parameter(np.zeros(2))]
    adam, sgd = optim.Adam(p), optim.SGD(p)
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps, adam.weight_decay) == (1e-3, 0.9, 0.999, 1e-8, 0.0)
    assert (sgd.lr, sgd.momentum, sgd.dampening, sgd.weight_decay, sgd.nesterov) == (1e-3, 0, 0, 0, False)


def test_optimizer_keeps_float32(rng):
    model = nn.Sequential(nn.Linear(3, 2, rng=rng))
    opt = optim.Adam(model.parameters())
    x = rng.standard_normal((4, 3)).astype(np.float32)
    model(x)
    model.backward(np.ones((4, 2), np.float32))
    opt.step()
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert all(v.dtype == np.float32 for s in opt.state for v in s.values())


def test_optimizer_state_dict_round_trip(rng):
    model = tiny_model(rng)
    opt = optim.Adam(model.parameters())
    for _ in range(3):
        x = rng.standard_normal((2, 6))
        model(x)
        opt.zero_grad()
        model.backward(np.ones((2, 6)))
        opt.step()
    state = opt.state_dict()
    assert state["step"] == 3 and set(state) >= {"0.exp_avg", "3.exp_avg_sq"}
    fresh = optim.Adam(model.parameters())
    fresh.load_state_dict(state)
    assert fresh.step_count == 3
    np.testing.assert_array_equal(fresh.state[2]["exp_avg"], opt.state[2]["exp_avg"])
    del state["1.exp_avg"]
    state["0.exp_avg"] = np.zeros(7)
    with pytest.raises(ValueError, match=r"missing key '1.exp_avg'.*shape mismatch for '0.exp_avg'"):
        fresh.load_state_dict(state)


def test_optimizer_errors():
    p = [nn.Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr >= 0, got -1"):
        optim.Adam(p, lr=-1)
    with pytest.raises(ValueError, match=r"betas in \[0, 1\)"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="expected Parameters, got ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)
