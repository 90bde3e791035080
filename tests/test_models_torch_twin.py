"""Each course model trained side by side with a hand-written PyTorch twin, from the same weights, in float64.

(The VAEs, whose twins also take the sampling noise, are trained against theirs in tests/test_vae.py.)

The twins (``tests/torch_twins.py``, shared with ``benchmarks/bench_training.py``) are the course's
models, written as the course writes them. Both start from the same initial
weights (copied with ``load_state_dict``, which works because the parameter names, order and layouts are
the same), see the same real batches of the embedded sample (and, for the denoiser, the same noisy
inputs), and take Adam steps on the mean squared error. Their loss trajectories must agree to many
digits, and so must their final weights.
"""

import numpy as np
import pytest

from scratchae import nn, optim
from scratchae.data import add_gaussian_noise
from scratchae.models import MODELS, VariationalAutoencoder, build

torch = pytest.importorskip("torch")
from torch_twins import twin_of  # noqa: E402  (after the skip: it imports torch)

pytestmark = pytest.mark.torch

STEPS = 6
BATCH = 20


@pytest.fixture(scope="module")
def batches():
    from scratchae.data import load_dataset

    images = load_dataset("sample", split="train").images[: STEPS * BATCH].astype(np.float64)
    return [images[i : i + BATCH] for i in range(0, len(images), BATCH)]


@pytest.mark.parametrize("name", [n for n, cls in MODELS.items() if not issubclass(cls, VariationalAutoencoder)])
def test_training_matches_the_pytorch_twin(name, batches):
    model = build(name, dtype=np.float64, rng=np.random.default_rng(0))
    twin = twin_of(model)
    assert [k for k, _ in twin.named_parameters()] == [k for k, _ in model.named_parameters()]

    criterion, twin_criterion = nn.MSELoss(), torch.nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    twin_optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)
    noise_rng = np.random.default_rng(1)
    ours, theirs = [], []
    for clean in batches:
        inputs = add_gaussian_noise(clean, 0.5, noise_rng) if name == "denoise" else clean

        ours.append(criterion(model(inputs), clean))
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()

        loss = twin_criterion(twin(torch.from_numpy(inputs)), torch.from_numpy(clean))
        theirs.append(loss.item())
        twin_optimizer.zero_grad()
        loss.backward()
        twin_optimizer.step()

    initial = build(name, dtype=np.float64, rng=np.random.default_rng(0)).state_dict()
    moved = max(np.abs(v - initial[k]).max() for k, v in model.state_dict().items())
    assert moved > 1e-3  # the steps really changed the weights, so agreeing means something
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=0)
    twin_state = twin.state_dict()
    assert list(twin_state) == list(model.state_dict())  # buffers too (batch norm's running statistics)
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, twin_state[k].numpy(), rtol=1e-7, atol=1e-12, err_msg=k)
    # in evaluation mode too (batch normalization then uses the running statistics both have tracked)
    model.eval()
    twin.eval()
    test = batches[0][:5]
    with torch.no_grad():
        np.testing.assert_allclose(model(test), twin(torch.from_numpy(test)).numpy(), rtol=1e-9, atol=1e-12)
