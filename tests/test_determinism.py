"""Determinism: the same seed gives bit-identical losses and weights, run after run, under both kernel
backends, and whatever number of threads Numba and the BLAS may use.

(The two backends are not bit-identical to *each other*: the Numba kernels sum in another order, see
:mod:`scratchae.kernels.numba.conv2d`; ``tests/test_kernels_agree.py`` checks they agree closely.)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchae import kernels, manual_seed
from scratchae.data import load_dataset
from scratchae.models import build
from scratchae.training import Trainer

ROOT = Path(__file__).resolve().parents[1]


def train(model_name: str, seed: int, images, epochs: int = 2):
    """Losses and final weights of a short run: shuffled, noisy inputs, so every random draw matters."""
    manual_seed(seed)
    trainer = Trainer(
        build(model_name), lr=1e-3, batch_size=10, shuffle=True, noise_factor=0.3, seed=seed, progress=False
    )
    history = trainer.fit(images, None, epochs)
    return history["train_loss"], trainer.model.state_dict()


def assert_identical(a, b):
    losses_a, weights_a = a
    losses_b, weights_b = b
    assert losses_a == losses_b  # floats compared exactly
    assert weights_a.keys() == weights_b.keys()
    for name in weights_a:
        np.testing.assert_array_equal(weights_a[name], weights_b[name], err_msg=name)


@pytest.fixture(scope="module")
def images():
    return load_dataset("sample", split="train").images[:40]


@pytest.mark.parametrize("backend", kernels.BACKENDS)
@pytest.mark.parametrize("model_name", ["conv", "upsample"])
def test_same_seed_same_bits(images, backend, model_name):
    with kernels.use_backend(backend):
        first = train(model_name, 5, images)
        second = train(model_name, 5, images)
        other_seed = train(model_name, 6, images)
    assert_identical(first, second)
    assert first[0] != other_seed[0]  # and the seed does matter


def test_linear_model_same_seed_same_bits(images):
    assert_identical(train("linear", 1, images), train("linear", 1, images))


RUN = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from test_determinism import train
from scratchae.data import load_dataset
losses, weights = train("conv", 5, load_dataset("sample", split="train").images[:40])
print(json.dumps({"losses": losses, "weights": {k: v.tobytes().hex() for k, v in weights.items()}}))
"""


def run_in_subprocess(threads: int, backend: str) -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        SCRATCHAE_KERNELS=backend,
        NUMBA_NUM_THREADS=str(threads),
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
    )
    result = subprocess.run(
        [sys.executable, "-c", RUN, str(Path(__file__).parent)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("backend", kernels.BACKENDS)
def test_same_bits_in_a_fresh_process_with_one_or_two_threads(backend):
    # a fresh interpreter (no state left by earlier tests) and different thread counts for Numba and BLAS
    one, two = run_in_subprocess(1, backend), run_in_subprocess(2, backend)
    assert one == two
