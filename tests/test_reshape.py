import numpy as np
import pytest

from scratchae import gradcheck, nn


def test_flatten_and_unflatten_round_trip(rng):
    x = rng.standard_normal((4, 1, 28, 28))
    flat, unflat = nn.Flatten(), nn.Unflatten(1, (1, 28, 28))
    y = flat(x)
    assert y.shape == (4, 784)
    np.testing.assert_array_equal(unflat(y), x)
    g = rng.standard_normal((4, 1, 28, 28))
    np.testing.assert_array_equal(flat.backward(unflat.backward(g)), g)


@pytest.mark.parametrize(
    "start,end,expected",
    [(1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)), (2, 3, (2, 3, 20)), (-2, -1, (2, 3, 20))],
)
def test_flatten_dims_like_pytorch(rng, start, end, expected):
    assert nn.Flatten(start, end)(rng.standard_normal((2, 3, 4, 5))).shape == expected


def test_reshape_gradcheck(rng):
    assert gradcheck(nn.Flatten(), rng.standard_normal((2, 3, 4)))
    assert gradcheck(nn.Unflatten(1, (3, 4)), rng.standard_normal((2, 12)))


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"Unflatten expected dimension 1 of size 12 .* got shape \(2, 10\)"):
        nn.Unflatten(1, (3, 4))(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="does not fit an input of shape"):
        nn.Flatten(3, 1)(np.zeros((2, 3, 4, 5)))
    with pytest.raises(RuntimeError, match=r"Flatten\.backward called before forward"):
        nn.Flatten().backward(np.zeros((2, 3)))
