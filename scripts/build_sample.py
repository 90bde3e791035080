"""Build the embedded sample scratchae/data/sample/fashion-mnist-sample.npz from the full Fashion-MNIST.

    python scripts/build_sample.py [DIRECTORY]

DIRECTORY holds the four Fashion-MNIST IDX files; by default /usr/share/datasets/fashion-mnist, where
the Debian package dataset-fashion-mnist installs them. The choice is deterministic (the first 400
training and the first 100 test images of each class, in dataset order), so rerunning the script
gives the same arrays.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratchae.data.datasets import load_dataset
from scratchae.data.sample import PER_CLASS, SAMPLE_FILE, choose_indices

OUT = Path(__file__).resolve().parents[1] / "scratchae" / "data" / "sample" / SAMPLE_FILE


def main(source: str = "/usr/share/datasets/fashion-mnist") -> None:
    arrays = {}
    for split, per_class in PER_CLASS.items():
        full = load_dataset("fashion-mnist", split, root=source)
        indices = choose_indices(full.labels, per_class)
        arrays[f"{split}_images"] = full.pixels[indices]
        arrays[f"{split}_labels"] = full.labels[indices].astype(np.uint8)
        arrays[f"{split}_indices"] = indices.astype(np.int32)
    np.savez_compressed(OUT, **arrays)
    print(
        f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB): "
        + ", ".join(f"{key} {value.shape}" for key, value in arrays.items())
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
