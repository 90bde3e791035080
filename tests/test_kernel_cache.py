"""A kernel compiled in this process and the same kernel loaded from Numba's cache give the same bits.

Numba links a parallel kernel's helpers into each of the several libraries it builds for it and
optimizes every copy again; a process that compiles a kernel may run another copy than the one it
writes to the cache. Where LLVM may re-associate a sum (``fastmath``), two copies can round differently:
the fused ReLU gradient's bias sums once did, so that the first run after an install trained to other
bits than every later run. So a few training steps of every course model, and of the plain layers,
run twice in fresh processes sharing one empty cache directory: compiled, then loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STEPS = """
import hashlib
import numpy as np
from scratchae import manual_seed, nn, optim
from scratchae.data import load_dataset
from scratchae.models import MODELS, build

images = load_dataset("sample", split="train").images[:80]
rng = np.random.default_rng(0)
plain = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2, 2),
                      nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1, rng=rng), nn.ReLU(),
                      nn.Upsample(scale_factor=2), nn.Conv2d(4, 1, 3, stride=2, padding=1, rng=rng), nn.Sigmoid())
for name, model in [(name, build(name, rng=np.random.default_rng(0))) for name in MODELS] + [("plain", plain)]:
    manual_seed(0)  # the VAEs' sampling noise
    optimizer, criterion, digest = optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss(), hashlib.sha256()
    for start in (0, 40):
        x = images[start:start + 40]
        criterion(model(x), x)
        optimizer.zero_grad()
        model.backward(criterion.backward())
        digest.update(b"".join(p.grad.tobytes() for p in model.parameters()))
        optimizer.step()
    print(name, digest.hexdigest())
"""


def test_compiled_and_cached_kernels_give_the_same_bits(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(tmp_path), SCRATCHAE_KERNELS="numba")
    runs = [
        subprocess.run(
            [sys.executable, "-c", STEPS], env=env, capture_output=True, text=True, timeout=900, check=True
        ).stdout
        for _ in range(2)
    ]
    from scratchae.models import MODELS

    assert len(runs[0].splitlines()) == len(MODELS) + 1
    assert runs[0] == runs[1]
