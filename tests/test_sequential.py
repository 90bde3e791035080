from collections import OrderedDict

import numpy as np
import pytest

from scratchae import gradcheck, nn


def small_autoencoder(rng):
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 5, rng=rng),
        nn.ReLU(),
        nn.Linear(5, 12, rng=rng),
        nn.Sigmoid(),
        nn.Unflatten(1, (3, 4)),
    )


def test_sequential_gradcheck(rng):
    # x away from ReLU kinks is not enough here (pre-activations vary): check the first layer output
    model = small_autoencoder(rng)
    x = rng.standard_normal((4, 3, 4))
    pre = model[1](model[0](x.astype(np.float32)))
    assert np.abs(pre).min() > 1e-4
    assert gradcheck(model, x)


def test_sequential_names_like_pytorch(rng):
    model = small_autoencoder(rng)
    assert [n for n, _ in model.named_parameters()] == ["1.weight", "1.bias", "3.weight", "3.bias"]
    named = nn.Sequential(OrderedDict(fc1=nn.Linear(4, 2, rng=rng), relu=nn.ReLU(), fc2=nn.Linear(2, 4, rng=rng)))
    assert list(named.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert len(named) == 3 and isinstance(named[2], nn.Linear)


def test_sequential_backward_equals_layer_by_layer_chain_rule(rng):
    model = small_autoencoder(rng).to(np.float64)
    x = rng.standard_normal((3, 3, 4))
    g = rng.standard_normal((3, 3, 4))
    model(x)
    dx = model.backward(g)
    expected = g
    for layer in reversed(list(model)):
        expected = layer.backward(expected)
    np.testing.assert_allclose(dx, expected)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential expected Module layers, got function"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_twin(torch, rng):
    model = small_autoencoder(rng).to(np.float64)
    ref = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(12, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 12),
        torch.nn.Sigmoid(),
        torch.nn.Unflatten(1, (3, 4)),
    ).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = rng.standard_normal((6, 3, 4))
    g = rng.standard_normal((6, 3, 4))
    tx = torch.from_numpy(x).requires_grad_()
    ref(tx).backward(torch.from_numpy(g))
    model(x)
    np.testing.assert_allclose(model.backward(g), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(
            p.grad, dict(ref.named_parameters())[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name
        )
