"""Exercise ``autoencoder``: assemble a small autoencoder from your own layers, and train it."""

from __future__ import annotations

import numpy as np

from .. import nn, optim
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Failed, Mistake, case

STUB = '''\
"""Exercise `autoencoder`: a small autoencoder built from your own layers, and its training loop.

    x (N, D) -> fc1: Linear(D, K) -> ReLU -> the code (N, K) -> fc2: Linear(K, D) -> Sigmoid -> (N, D)

trained to reconstruct its input (mean squared error, plain gradient descent). Use your functions of
the exercises linear, relu, sigmoid and mse: import them (keep this file in the folder that holds
linear.py, relu.py, sigmoid.py and mse.py) or paste them in.

Check it with:  scratchae exercises check autoencoder
"""

import numpy as np

# from linear import linear_forward, linear_backward
# from relu import relu_forward, relu_backward
# from sigmoid import sigmoid_forward, sigmoid_backward
# from mse import mse_loss, mse_backward


class Autoencoder:
    """params: a dict of arrays with PyTorch's names, "fc1.weight" (K, D), "fc1.bias" (K,),
    "fc2.weight" (D, K), "fc2.bias" (D,). Keep it as self.params: train() updates it in place."""

    def __init__(self, params):
        self.params = params

    def forward(self, x):
        """x (N, D) -> the reconstruction (N, D). Keep what backward will need (on self)."""
        raise NotImplementedError

    def backward(self, grad_out):
        """grad_out = dL/d(reconstruction) (N, D), for the x of the last forward. Go back through the
        layers, last first, and return the gradients of the parameters: a dict with the keys of
        self.params, each gradient of the shape of its parameter."""
        raise NotImplementedError


def train(model, x, steps, lr):
    """`steps` steps of gradient descent on L = mse(model.forward(x), x): at each step, the forward,
    the loss, the backward, then every parameter p -= lr * dL/dp. Returns the list of the `steps`
    losses, each computed before its update."""
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `autoencoder`: a small autoencoder from its layers, and its training loop (a worked solution)."""

import numpy as np

# The layers of the earlier exercises, pasted in so that this file stands alone. In your own version,
# import yours instead: from linear import linear_forward, linear_backward, and so on.


def linear_forward(x, weight, bias):
    return x @ weight.T + bias


def linear_backward(grad_y, x, weight):
    return grad_y @ weight, grad_y.T @ x, grad_y.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(grad_y, x):
    return grad_y * (x > 0)


def sigmoid_forward(x):
    return np.exp(np.minimum(x, 0.0)) / (1.0 + np.exp(-np.abs(x)))


def sigmoid_backward(grad_y, y):
    return grad_y * y * (1.0 - y)


def mse_loss(prediction, target):
    diff = prediction - target
    return float(np.mean(diff * diff))


def mse_backward(prediction, target):
    return 2.0 * (prediction - target) / prediction.size


class Autoencoder:
    """x -> fc1 -> ReLU -> code -> fc2 -> Sigmoid -> reconstruction."""

    def __init__(self, params):
        self.params = params
        self.saved = None

    def forward(self, x):
        p = self.params
        h = linear_forward(x, p["fc1.weight"], p["fc1.bias"])      # (N, K)
        code = relu_forward(h)
        o = linear_forward(code, p["fc2.weight"], p["fc2.bias"])   # (N, D)
        y = sigmoid_forward(o)
        self.saved = x, h, code, y                                 # what the backward needs
        return y

    def backward(self, grad_out):
        """The chain rule, last layer first: each backward takes the gradient the layer above returned."""
        x, h, code, y = self.saved
        p = self.params
        grad_o = sigmoid_backward(grad_out, y)
        grad_code, grad_w2, grad_b2 = linear_backward(grad_o, code, p["fc2.weight"])
        grad_h = relu_backward(grad_code, h)
        _, grad_w1, grad_b1 = linear_backward(grad_h, x, p["fc1.weight"])
        return {"fc1.weight": grad_w1, "fc1.bias": grad_b1, "fc2.weight": grad_w2, "fc2.bias": grad_b2}


def train(model, x, steps, lr):
    """Gradient descent on the reconstruction error; the loss before each step."""
    losses = []
    for _ in range(steps):
        reconstruction = model.forward(x)
        losses.append(mse_loss(reconstruction, x))
        grads = model.backward(mse_backward(reconstruction, x))   # every gradient first ...
        for name, grad in grads.items():
            model.params[name] -= lr * grad                       # ... then every update
    return losses
'''

HINTS = (
    "forward: h = fc1(x), code = relu(h), o = fc2(code), y = sigmoid(o); keep x, h, code and y on self.",
    "backward goes the other way: grad_o = sigmoid_backward(grad_out, y); linear_backward of fc2 gives "
    "dL/dcode and fc2's gradients; relu_backward(dL/dcode, h); linear_backward of fc1 gives fc1's.",
    "train: compute the loss and every gradient with the current parameters first, then update each "
    "parameter in place: model.params[name] -= lr * grads[name] (minus: downhill).",
)

N, D, K = 5, 6, 3
STEPS, LR = 20, 2.0
NAMES = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


def library_model(rng):
    model = nn.Sequential(
        nn.Linear(D, K, dtype=np.float64, rng=rng), nn.ReLU(), nn.Linear(K, D, dtype=np.float64, rng=rng), nn.Sigmoid()
    )
    model.needs_input_grad = True
    fc1, fc2 = model[0], model[2]
    return model, {"fc1.weight": fc1.weight, "fc1.bias": fc1.bias, "fc2.weight": fc2.weight, "fc2.bias": fc2.bias}


def grade(learner) -> str:
    rng = np.random.default_rng(13)
    x = rng.random((N, D))
    model, parameters = library_model(rng)
    build = vars(learner.module)["Autoencoder"]
    with case(1, 2, f"the gradients: x {x.shape}, fc1 {D} -> {K}, fc2 {K} -> {D}, a random upstream gradient"):
        mine = learner.run("`Autoencoder(params)`", build, {name: p.data.copy() for name, p in parameters.items()})
        y = model(x)
        expect_array(
            "the reconstruction (forward)", learner.run("`Autoencoder.forward`", mine.forward, x), y, hint=HINTS[0]
        )
        upstream = random_upstream(rng, y.shape)
        grads = learner.run("`Autoencoder.backward`", mine.backward, upstream)
        if not isinstance(grads, dict) or set(grads) != set(NAMES):
            keys = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
            raise Failed(
                f"`Autoencoder.backward` should return a dict with the keys {list(NAMES)}, got {keys}.", HINTS[1]
            )
        model.zero_grad()
        model.backward(upstream)
        for name in NAMES:
            parameter = parameters[name]
            expect_gradient(
                f"the gradient of {name}",
                grads[name],
                wrt=parameter.data,
                forward=lambda: model(x),
                upstream=upstream,
                exact=parameter.grad,
                hint=HINTS[1],
            )
    with case(2, 2, f"training: {STEPS} steps of gradient descent, lr {LR}, on the same {N} samples"):
        model, parameters = library_model(np.random.default_rng(14))
        mine = learner.run("`Autoencoder(params)`", build, {name: p.data.copy() for name, p in parameters.items()})
        losses = learner.run("`train`", vars(learner.module)["train"], mine, x.copy(), STEPS, LR, may_modify=True)
        expected = trajectory(model, x, LR)
        if not isinstance(losses, (list, tuple, np.ndarray)) or len(losses) != STEPS:
            raise Failed(f"`train` should return the list of the {STEPS} losses, got {losses!r:.80}.", HINTS[2])
        try:
            losses = np.array([float(loss) for loss in losses])
        except (TypeError, ValueError):
            raise Failed(f"`train` should return {STEPS} numbers, got {losses!r:.80}.", HINTS[2]) from None
        expect_array(
            "the loss before each step",
            losses,
            expected,
            hint=HINTS[2],
            mistakes=[
                Mistake(
                    "the loss goes up: step downhill, p -= lr * gradient.",
                    lambda: trajectory(library_model(np.random.default_rng(14))[0], x, -LR),
                )
            ],
        )
        if not losses[-1] < 0.9 * losses[0]:
            raise Failed(f"the loss fell only from {losses[0]:.6g} to {losses[-1]:.6g} in {STEPS} steps.", HINTS[2])
    return (
        f"the forward, the gradients of all 4 parameters (central differences), and {STEPS} training steps "
        f"(loss {expected[0]:.4f} -> {expected[-1]:.4f}) match the library's layers."
    )


def trajectory(model, x, lr):
    """The losses of the library's model trained by the library's SGD (``lr < 0``: the mistake of stepping
    uphill)."""
    criterion, losses = nn.MSELoss(), []
    optimizer = optim.SGD(model.parameters(), lr=abs(lr))
    for _ in range(STEPS):
        losses.append(criterion(model(x), x))
        optimizer.zero_grad()
        model.backward(criterion.backward())
        if lr < 0:
            for parameter in model.parameters():
                parameter.grad *= -1
        optimizer.step()
    return np.array(losses)


EXERCISE = Exercise(
    name="autoencoder",
    summary="assemble a small autoencoder from your own layers, check its gradients, and train it",
    functions=("Autoencoder", "train"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)
