"""Each model trained side by side with a hand-written PyTorch twin, from the same weights, in float64.

The twins are the course's models, written as the course writes them. Both start from the same initial
weights (copied with ``load_state_dict``, which works because the parameter names, order and layouts are
the same), see the same real batches of the embedded sample (and, for the denoiser, the same noisy
inputs), and take Adam steps on the mean squared error. Their loss trajectories must agree to many
digits, and so must their final weights.
"""

import numpy as np
import pytest

from scratchae import nn, optim
from scratchae.models import MODELS, build
from scratchae.data import add_gaussian_noise

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch

STEPS = 6
BATCH = 20


class LinearTwin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 32)
        self.fc2 = torch.nn.Linear(32, 784)

    def forward(self, x):
        x = F.relu(self.fc1(x.view(x.size(0), -1)))
        return torch.sigmoid(self.fc2(x)).view(-1, 1, 28, 28)


class ConvTwin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 4, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2, 2)
        self.t_conv1 = torch.nn.ConvTranspose2d(4, 16, 2, stride=2)
        self.t_conv2 = torch.nn.ConvTranspose2d(16, 1, 2, stride=2)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.relu(self.t_conv1(x))
        return torch.sigmoid(self.t_conv2(x))


class UpsampleTwin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 4, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2, 2)
        self.conv4 = torch.nn.Conv2d(4, 16, 3, padding=1)
        self.conv5 = torch.nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.relu(self.conv4(F.interpolate(x, scale_factor=2, mode="nearest")))
        return torch.sigmoid(self.conv5(F.interpolate(x, scale_factor=2, mode="nearest")))


class DenoiseTwin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 16, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(16, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2, 2)
        self.t_conv1 = torch.nn.ConvTranspose2d(8, 8, 3, stride=2)
        self.t_conv2 = torch.nn.ConvTranspose2d(8, 16, 2, stride=2)
        self.t_conv3 = torch.nn.ConvTranspose2d(16, 32, 2, stride=2)
        self.conv_out = torch.nn.Conv2d(32, 1, 3, padding=1)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.pool(F.relu(self.conv3(x)))
        x = F.relu(self.t_conv1(x))
        x = F.relu(self.t_conv2(x))
        x = F.relu(self.t_conv3(x))
        return torch.sigmoid(self.conv_out(x))


TWINS = {"linear": LinearTwin, "conv": ConvTwin, "upsample": UpsampleTwin, "denoise": DenoiseTwin}


@pytest.fixture(scope="module")
def batches():
    from scratchae.data import load_dataset

    images = load_dataset("sample", split="train").images[: STEPS * BATCH].astype(np.float64)
    return [images[i:i + BATCH] for i in range(0, len(images), BATCH)]


@pytest.mark.parametrize("name", list(MODELS))
def test_training_matches_the_pytorch_twin(name, batches):
    model = build(name, dtype=np.float64, rng=np.random.default_rng(0))
    twin = TWINS[name]().double()
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
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
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, twin_state[k].numpy(), rtol=1e-7, atol=1e-12, err_msg=k)
