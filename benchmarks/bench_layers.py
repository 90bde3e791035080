"""Per-layer forward + backward times of the convolution family on the autoencoders' shapes.

For every layer of the four course models (the fused ones against the plain PyTorch layers they stand
for, e.g. Conv2d + ReLU + MaxPool2d), times one forward and one backward
pass (input gradient and parameter gradients) with the reference kernels, the Numba kernels and, when it
is installed, PyTorch on the CPU, and prints a table with the ratios. Medians over ``--repeat`` runs.

    python benchmarks/bench_layers.py                  # batch 20, float32
    python benchmarks/bench_layers.py --batch 128 --no-reference --torch-threads 1

No assertion: this is a measurement, run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch_first  # noqa: F401  (PyTorch before scratchae: see torch_first.py)

from scratchae import kernels, nn

# (model, name, constructor arguments, input shape without the batch): the layers of the course's models
LAYERS = [
    ("conv", "conv1", ("Conv2dReLUMaxPool2d", (1, 16, 3), dict(padding=1)), (1, 28, 28)),
    ("conv", "conv2", ("Conv2dReLUMaxPool2d", (16, 4, 3), dict(padding=1)), (16, 14, 14)),
    ("conv", "t_conv1", ("ConvTranspose2dReLU", (4, 16, 2), dict(stride=2)), (4, 7, 7)),
    ("conv", "t_conv2", ("ConvTranspose2d", (16, 1, 2), dict(stride=2)), (16, 14, 14)),
    ("upsample", "up1", ("Upsample", (), dict(scale_factor=2, mode="nearest")), (4, 7, 7)),
    ("upsample", "conv4", ("Conv2dReLU", (4, 16, 3), dict(padding=1)), (4, 14, 14)),
    ("upsample", "up2", ("Upsample", (), dict(scale_factor=2, mode="nearest")), (16, 14, 14)),
    ("upsample", "conv5", ("Conv2d", (16, 1, 3), dict(padding=1)), (16, 28, 28)),
    ("denoise", "conv1", ("Conv2dReLUMaxPool2d", (1, 32, 3), dict(padding=1)), (1, 28, 28)),
    ("denoise", "conv2", ("Conv2dReLUMaxPool2d", (32, 16, 3), dict(padding=1)), (32, 14, 14)),
    ("denoise", "conv3", ("Conv2dReLUMaxPool2d", (16, 8, 3), dict(padding=1)), (16, 7, 7)),
    ("denoise", "t_conv1", ("ConvTranspose2dReLU", (8, 8, 3), dict(stride=2)), (8, 3, 3)),
    ("denoise", "t_conv2", ("ConvTranspose2dReLU", (8, 16, 2), dict(stride=2)), (8, 7, 7)),
    ("denoise", "t_conv3", ("ConvTranspose2dReLU", (16, 32, 2), dict(stride=2)), (16, 14, 14)),
    ("denoise", "conv_out", ("Conv2d", (32, 1, 3), dict(padding=1)), (32, 28, 28)),
]

#: a fused layer of scratchae -> the PyTorch layers it stands for, after the convolution
FUSED = {
    "Conv2dReLU": ("Conv2d", ["ReLU"]),
    "Conv2dReLUMaxPool2d": ("Conv2d", ["ReLU", "MaxPool2d"]),
    "ConvTranspose2dReLU": ("ConvTranspose2d", ["ReLU"]),
}


def median_ms(fn, repeat: int) -> float:
    for _ in range(3):  # warm up (compiles Numba kernels, caches)
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def ours(spec, x, backend, repeat):
    kind, args, kwargs = spec
    layer = getattr(nn, kind)(*args, **kwargs)
    grad = None

    def forward():
        return layer(x)

    def backward():
        layer.backward(grad)

    with kernels.use_backend(backend):
        grad = np.ones_like(forward())
        return median_ms(forward, repeat), median_ms(backward, repeat)


def theirs(spec, x, repeat):
    import torch

    kind, args, kwargs = spec
    first, after = FUSED.get(kind, (kind, []))
    layer = getattr(torch.nn, first)(*args, **kwargs)
    if after:  # the plain PyTorch layers a fused scratchae layer stands for
        layer = torch.nn.Sequential(
            layer, *(torch.nn.MaxPool2d(2, 2) if a == "MaxPool2d" else torch.nn.ReLU() for a in after)
        )
    xt = torch.from_numpy(x).requires_grad_(True)
    grad = torch.ones_like(layer(xt))
    state = {}

    def forward():
        state["y"] = layer(xt)

    def forward_backward():
        xt.grad = None
        layer.zero_grad(set_to_none=True)
        layer(xt).backward(grad)

    f = median_ms(forward, repeat)
    return f, median_ms(forward_backward, repeat) - f


def table(
    batch: int = 20,
    repeat: int = 30,
    dtype: str = "float32",
    reference: bool = True,
    use_torch: bool = True,
    torch_threads: int | None = None,
) -> list[str]:
    """The per-layer table as lines of text (also used by ``bench_training.py``)."""
    try:
        if not use_torch:
            raise ImportError
        import torch

        torch.set_default_dtype(getattr(torch, dtype))
        if torch_threads:
            torch.set_num_threads(torch_threads)
        have_torch = True
        torch_note = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        have_torch, torch_note = False, "torch not run"
    lines = [f"batch {batch}, {dtype}, median of {repeat}; times in ms (forward + backward); {torch_note}"]
    header = (
        f"{'model':9s} {'layer':9s} {'input':>13s} | {'reference':>9s} | {'numba f+b':>16s} | "
        f"{'torch f+b':>16s} | {'torch/numba':>11s}"
    )
    lines += [header, "-" * len(header)]
    totals = {"ref": 0.0, "nb": 0.0, "th": 0.0}
    rng = np.random.default_rng(0)
    for model, name, spec, shape in LAYERS:
        x = rng.random((batch, *shape)).astype(dtype)
        ref = "" if not reference else f"{sum(ours(spec, x, 'reference', max(3, repeat // 10))):9.3f}"
        nf, nbk = ours(spec, x, "numba", repeat)
        totals["nb"] += nf + nbk
        if ref:
            totals["ref"] += float(ref)
        row = (
            f"{model:9s} {name:9s} {'x'.join(map(str, shape)):>13s} | {ref:>9s} | {nf + nbk:6.3f} ({nf:.2f}+{nbk:.2f})"
        )
        if have_torch:
            tf, tb = theirs(spec, x, repeat)
            totals["th"] += tf + tb
            row += f" | {tf + tb:6.3f} ({tf:.2f}+{tb:.2f}) | {(tf + tb) / (nf + nbk):10.2f}x"
        lines.append(row)
    lines.append("-" * len(header))
    line = f"{'total':33s} | {totals['ref']:9.3f} | {totals['nb']:16.3f}"
    if have_torch:
        line += f" | {totals['th']:16.3f} | {totals['th'] / totals['nb']:10.2f}x"
    lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--no-reference", action="store_true", help="skip the (slow) NumPy reference")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="torch.set_num_threads (default: torch's own choice)"
    )
    args = parser.parse_args()
    for line in table(
        args.batch, args.repeat, args.dtype, not args.no_reference, not args.no_torch, args.torch_threads
    ):
        print(line, flush=True)


if __name__ == "__main__":
    main()
