import numpy as np
import pytest

from scratchae import nn


def test_state_dict_round_trip_and_copy(rng):
    a = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.ReLU(), nn.Linear(3, 2, rng=rng))
    b = nn.Sequential(nn.Linear(4, 3, rng=rng), nn.ReLU(), nn.Linear(3, 2, rng=rng))
    state = a.state_dict()
    b.load_state_dict(state)
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
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
