"""PyTorch twins of the four course models, written as the course writes them, of scratchae's deeper one
and of the two VAEs.

Shared by ``tests/test_models_torch_twin.py`` (numerical agreement) and ``benchmarks/bench_training.py``
(speed). Parameter names, order and layouts are those of :mod:`scratchae.models`, so a twin loads a
scratchae model's ``state_dict()`` directly. Importing this module imports torch: callers skip or fall
back when it is not installed.
"""

import numpy as np
import torch

F = torch.nn.functional


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


class DeepConvTwin(torch.nn.Module):
    """scratchae's deeper model (not the course's): batch norm, leaky ReLU, bilinear upsampling."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, padding="same", bias=False)
        self.bn1 = torch.nn.BatchNorm2d(16)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, padding="same", bias=False)
        self.bn2 = torch.nn.BatchNorm2d(32)
        self.conv3 = torch.nn.Conv2d(32, 4, 3, padding="same")
        self.conv4 = torch.nn.Conv2d(4, 32, 3, padding="same", bias=False)
        self.bn4 = torch.nn.BatchNorm2d(32)
        self.conv5 = torch.nn.Conv2d(32, 16, 3, padding="same", bias=False)
        self.bn5 = torch.nn.BatchNorm2d(16)
        self.conv6 = torch.nn.Conv2d(16, 1, 3, padding="same")

    def forward(self, x):
        x = F.max_pool2d(F.leaky_relu(self.bn1(self.conv1(x)), 0.2), 2)
        x = F.max_pool2d(F.leaky_relu(self.bn2(self.conv2(x)), 0.2), 2)
        x = self.conv3(x)
        x = F.leaky_relu(self.bn4(self.conv4(F.interpolate(x, scale_factor=2, mode="bilinear"))), 0.2)
        x = F.leaky_relu(self.bn5(self.conv5(F.interpolate(x, scale_factor=2, mode="bilinear"))), 0.2)
        return torch.sigmoid(self.conv6(x))


class VAETwin(torch.nn.Module):
    """PyTorch's example VAE (pytorch/examples, vae/main.py), with the noise as an optional argument.

    ``forward(x, eps=None)`` returns ``(reconstruction (N, 1, 28, 28), mu, logvar)``; without ``eps`` it
    draws ``torch.randn_like(std)`` as the example does.
    """

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 400)
        self.fc21 = torch.nn.Linear(400, 20)
        self.fc22 = torch.nn.Linear(400, 20)
        self.fc3 = torch.nn.Linear(20, 400)
        self.fc4 = torch.nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))).view(-1, 1, 28, 28)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, eps)), mu, logvar


class ConvVAETwin(torch.nn.Module):
    """The convolutional VAE (Keras's example with PyTorch's layers); ``forward`` as :class:`VAETwin`."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, stride=2, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.fc1 = torch.nn.Linear(64 * 7 * 7, 16)
        self.fc21 = torch.nn.Linear(16, 2)
        self.fc22 = torch.nn.Linear(16, 2)
        self.fc3 = torch.nn.Linear(2, 64 * 7 * 7)
        self.t_conv1 = torch.nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1)
        self.t_conv2 = torch.nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)
        self.t_conv3 = torch.nn.ConvTranspose2d(32, 1, 3, padding=1)

    def encode(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = F.relu(self.fc1(x.flatten(1)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        x = F.relu(self.fc3(z)).view(-1, 64, 7, 7)
        x = F.relu(self.t_conv2(F.relu(self.t_conv1(x))))
        return torch.sigmoid(self.t_conv3(x))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, eps)), mu, logvar


def reparameterize(mu, logvar, eps=None):
    std = torch.exp(0.5 * logvar)
    if eps is None:
        eps = torch.randn_like(std)
    return mu + eps * std


def vae_loss(reconstruction, x, mu, logvar, beta=1.0):
    """The negative ELBO per image: (BCE summed over pixels + beta * KL) / batch size, as the example's
    ``loss_function`` divided by the batch size; returns ``(loss, bce, kld)`` (the last two per image)."""
    bce = F.binary_cross_entropy(reconstruction, x, reduction="sum") / len(x)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(x)
    return bce + beta * kld, bce, kld


#: registry name of a scratchae model -> its twin's class
TWINS = {
    "linear": LinearTwin,
    "conv": ConvTwin,
    "upsample": UpsampleTwin,
    "denoise": DenoiseTwin,
    "deep-conv": DeepConvTwin,
    "vae": VAETwin,
    "conv-vae": ConvVAETwin,
}


def twin_of(model):
    """A twin of scratchae ``model`` holding a copy of its current weights, in the model's dtype."""
    twin = TWINS[model.name]().to(getattr(torch, np.dtype(model.dtype).name))
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
    return twin
