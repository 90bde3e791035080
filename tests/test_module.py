import numpy as np
import pytest

from scratchae import nn


def test_state_dict_round_trip_and_copy(rng):
    a = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.ReLU(), nn.Linear(3, 2, rng=rng))
    b = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.ReLU(), nn.Linear(3, 2, rng=rng))
    state = a.state_dict()
    b.load_state_dict(state)
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    state["0.weight"][...] = 99  # a copy: changing it leaves the model alone
    assert not np.any(a[0].weight.data == 99)


def test_load_state_dict_names_every_problem(rng):
    model = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.Linear(3, 2, rng=rng))
    state = model.state_dict()
    before = model.state_dict()
    del state["1.bias"]
    state["2.weight"] = np.zeros((1, 1))
    state["0.weight"] = np.zeros((3, 5))
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing key '1.bias'" in message
    assert "unexpected key '2.weight'" in message
    assert "shape mismatch for '0.weight': expected (3, 4), got (3, 5)" in message
    for k, v in model.state_dict().items():  # nothing was half-loaded
        np.testing.assert_array_equal(v, before[k])


def test_to_converts_values_and_grads(rng):
    model = nn.Sequential(nn.Linear(4, 3, rng=rng))
    assert model.to(np.float64) is model
    for p in model.parameters():
        assert p.data.dtype == p.grad.dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64, got float16"):
        model.to(np.float16)
    with pytest.raises(TypeError, match="got int32"):
        model.to(np.int32)


class _Counter(nn.Module):
    """A layer with a buffer of each kind: a running sum (float) and a count of calls (int64)."""

    def __init__(self):
        self.scale = nn.Parameter(np.ones(2, np.float32))
        self.running = nn.Buffer(np.zeros(2, np.float32))
        self.calls = nn.Buffer(np.array(0, np.int64))

    def forward(self, x):
        if self.training:
            self.running.data += x.sum(axis=0)
            self.calls.data += 1
        return x * self.scale.data


def test_train_and_eval_reach_every_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(_Counter(), nn.ReLU()))
    assert all(m.training for _, m in model.named_modules())
    assert model.eval() is model
    assert [m.training for _, m in model.named_modules()] == [False] * 5
    model.train()
    assert all(m.training for _, m in model.named_modules())
    model.train(False)
    assert not any(m.training for _, m in model.named_modules())
    with pytest.raises(TypeError, match="expected a bool mode"):
        model.train("eval")


def test_buffers_are_saved_loaded_and_converted_but_not_trained():
    model = nn.Sequential(_Counter(), nn.Linear(2, 2))
    assert [name for name, _ in model.named_buffers()] == ["0.running", "0.calls"]
    assert [name for name, _ in model.named_parameters()] == ["0.scale", "1.weight", "1.bias"]
    model(np.ones((3, 2), np.float32))
    state = model.state_dict()
    assert list(state) == ["0.scale", "0.running", "0.calls", "1.weight", "1.bias"]  # as PyTorch orders them
    np.testing.assert_array_equal(state["0.running"], [3, 3])
    assert state["0.calls"] == 1 and state["0.calls"].dtype == np.int64
    fresh = nn.Sequential(_Counter(), nn.Linear(2, 2))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[0].running.data, [3, 3])
    assert fresh[0].calls.data == 1
    del state["0.calls"]
    with pytest.raises(ValueError, match=r"missing key '0\.calls'"):
        fresh.load_state_dict(state)
    fresh.to(np.float64)
    assert fresh[0].running.dtype == np.float64 and fresh[0].calls.dtype == np.int64
    # in evaluation mode the layer leaves its buffers alone
    fresh.eval()
    fresh(np.ones((1, 2)))
    assert fresh[0].calls.data == 1


def test_a_layer_used_twice_lists_its_parameters_once_as_pytorch():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(model.parameters()) == 2  # an optimizer steps each array once
