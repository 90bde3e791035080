"""gradcheck itself: it must pass correct backwards and catch wrong ones."""

import numpy as np
import pytest

from scratchae import GradcheckError, gradcheck, nn


class WrongLinear(nn.Linear):
    """A Linear whose backward forgets to transpose the weight gradient's factors (a classic slip)."""

    def backward(self, grad_out):
        x = self._x
        self.weight.grad += (grad_out.T @ x) * 1.01  # 1% too large
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.weight.data


class WrongSigmoid(nn.Sigmoid):
    def backward(self, grad_out):
        return grad_out * self._y  # missing the (1 - y) factor


class SwappedReLU(nn.ReLU):
    """Routes gradients to the wrong positions: all-ones upstream gradients could not see this."""

    def backward(self, grad_out):
        return np.where(self._positive, grad_out[::-1], 0.0)


class ForgetfulLinear(nn.Linear):
    """Adds its weight gradients but returns no input gradient, as if needs_input_grad were False."""

    def backward(self, grad_out):
        super().backward(grad_out)
        return None


def test_wrong_weight_gradient_is_caught(rng):
    with pytest.raises(GradcheckError, match=r"worst element weight\[.*analytic .* numeric"):
        gradcheck(WrongLinear(4, 3, rng=rng), rng.standard_normal((5, 4)))


def test_wrong_input_gradient_is_caught(rng):
    with pytest.raises(GradcheckError, match=r"WrongSigmoid: worst element input"):
        gradcheck(WrongSigmoid(), rng.standard_normal((3, 4)))


def test_permuted_gradient_is_caught_thanks_to_random_upstream(rng):
    x = rng.uniform(0.5, 1.0, (4, 3))  # all positive: only the routing is wrong
    with pytest.raises(GradcheckError):
        gradcheck(SwappedReLU(), x)


def test_gradcheck_leaves_the_module_untouched(rng):
    layer = nn.Linear(3, 2, rng=rng)
    before = layer.state_dict()
    assert gradcheck(layer, rng.standard_normal((2, 3)))
    assert layer.weight.dtype == np.float32
    assert not layer.weight.grad.any()
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_gradcheck_of_a_loss_needs_a_target(rng):
    with pytest.raises(ValueError, match="needs a target"):
        gradcheck(nn.MSELoss(), rng.standard_normal(3))


def test_gradcheck_checks_the_input_gradient_even_where_a_layer_skips_it(rng):
    layer = nn.Linear(3, 2, rng=rng)
    layer.needs_input_grad = False  # as a model's first layer
    assert gradcheck(layer, rng.standard_normal((2, 3)))
    assert layer.needs_input_grad is False  # only the float64 copy was changed


def test_a_missing_input_gradient_is_named_as_none(rng):
    # (it used to be reported as a gradient "of shape ()", the shape NumPy gives None)
    with pytest.raises(
        GradcheckError,
        match=r"ForgetfulLinear.backward returned None as the gradient of input, "
        r"expected an array of shape \(2, 3\)",
    ):
        gradcheck(ForgetfulLinear(3, 4, rng=rng), rng.standard_normal((2, 3)))
