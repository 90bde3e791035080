"""Training speed of the four course autoencoders and the two VAEs: scratchae against PyTorch on the same
CPU, same run.

What it measures (float32, Adam lr=1e-3, MSELoss, real images; for the VAEs their loss, the binary
cross-entropy summed per image plus the KL term, with fresh sampling noise at every step):

- **throughput** (images/s) of training steps (forward, loss, zero_grad, backward, Adam step) for each
  model at each batch size, scratchae and its PyTorch twin (``tests/torch_twins.py``, same initial
  weights) in alternating rounds; the ratio reported is the median over rounds of
  PyTorch-time / scratchae-time for the same images, so a slow spell of the machine hits both;
- **start-up**, in a fresh subprocess per model: ``import scratchae``, and the time to the first trained
  batch (build the model, one training step), with an empty Numba cache (``NUMBA_CACHE_DIR`` pointing
  to a new temporary directory: every kernel is compiled) and then warm (same directory again);
- **peak memory** (``VmHWM``, or ``ru_maxrss``) of a subprocess that trains 50 steps of one model, scratchae and
  PyTorch;
- **FLOP rate** of the denoiser's training step against this machine's float32 matrix-multiply peak
  (a large ``numpy.matmul``, measured in the same run);
- the **per-layer table** of ``benchmarks/bench_layers.py``;
- **threads**: scratchae alone in fresh processes, with ``SCRATCHAE_NUM_THREADS`` = 1, 2, 4, ... up to the
  CPUs the process may run on (the default), and with ``OPENBLAS_NUM_THREADS=1`` (``--threading``);
- **the first run after an install** against the second (``benchmarks/bench_cold_start.py``, with
  ``--write-results``).

Models: the course's four and the two VAEs by default (``MODELS``); any model of the registry joins with
``--models``. Each trains with its own loss (``model.default_criterion()`` plus ``model.latent_loss()``:
the VAEs' KL term), against its PyTorch twin of ``tests/torch_twins.py`` (without one, only scratchae is
timed).

Like :class:`scratchae.training.Trainer`, the benchmark first calls
:func:`scratchae.memory.keep_freed_memory` (glibc keeps freed blocks for the next step instead of
page-faulting them in again); PyTorch runs in the same process, so it gets the same allocator.
``--default-allocator`` skips that call.

The inputs of every step are prepared before timing (for the denoiser: noisy copies made with
:func:`scratchae.data.add_gaussian_noise`), identical for both libraries, so data handling is not timed.

    python benchmarks/bench_training.py                       # quick look, embedded sample
    python benchmarks/bench_training.py --write-results       # everything, into benchmarks/RESULTS.md
    python benchmarks/bench_training.py --dataset fashion-mnist --models denoise --batches 20

No assertion: this is a measurement. Ratios are what to compare across machines; absolute numbers drift
with the load of the machine (the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE, os.path.join(ROOT, "tests")]

MODELS = ("linear", "conv", "upsample", "denoise", "vae", "conv-vae")
#: images/s of PyTorch 2.13 CPU, 2 threads, one epoch of Fashion-MNIST through a DataLoader, measured by the
#: project on its 2-core machine (the speed issue): context, not part of the ratio
REFERENCE_TORCH = {
    20: {"linear": 20_000, "conv": 2_200, "upsample": 2_400, "denoise": 1_000},
    128: {"linear": 105_000, "conv": 5_300, "upsample": 3_700, "denoise": 1_260},
}
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


# -- data and the two training loops ---------------------------------------------------------------


def load_images(dataset: str) -> np.ndarray:
    from scratchae.data import load_dataset

    root = FASHION_MNIST_DIR if dataset == "fashion-mnist" else None
    return load_dataset(dataset, split="train", root=root).images


def prepared_batches(name: str, images: np.ndarray, batch: int, count: int) -> list[tuple]:
    """``count`` (inputs, targets) pairs of ``batch`` consecutive images (noisy inputs for the denoiser)."""
    from scratchae.data import add_gaussian_noise

    rng = np.random.default_rng(0)
    out = []
    n_batches = len(images) // batch
    for i in range(min(count, n_batches)):
        clean = np.ascontiguousarray(images[i * batch : (i + 1) * batch])
        inputs = add_gaussian_noise(clean, 0.5, rng) if name == "denoise" else clean
        out.append((inputs, clean))
    return out


def scratchae_trainer(name: str, seed: int = 0):
    """(model, step) where ``step(inputs, targets)`` is one training step of a new scratchae model."""
    from scratchae import optim
    from scratchae.models import build

    model = build(name, rng=np.random.default_rng(seed))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    criterion = model.default_criterion()  # MSELoss(); a VAE's: BCELoss(reduction="batchmean")

    def step(inputs, targets):
        criterion(model(inputs), targets) + model.latent_loss()  # + beta * KL for a VAE
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()

    return model, step


def has_twin(name: str) -> bool:
    """Whether ``tests/torch_twins.py`` has a PyTorch twin of the model (imports torch)."""
    from torch_twins import TWINS

    return name in TWINS


def torch_trainer(model):
    """``step(inputs, targets)`` of the PyTorch twin of ``model``, starting from the same weights."""
    import torch

    from torch_twins import twin_of, vae_loss

    twin = twin_of(model)
    optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)
    criterion = torch.nn.MSELoss()
    variational = model.name.endswith("vae")

    def step(inputs, targets):
        if variational:  # the example's loss, per image: BCE summed over pixels + KL
            reconstruction, mu, logvar = twin(inputs)
            loss = vae_loss(reconstruction, targets, mu, logvar)[0]
        else:
            loss = criterion(twin(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def run_steps(step, batches, count: int) -> float:
    """Seconds for ``count`` steps, cycling through ``batches``."""
    start = time.perf_counter()
    for i in range(count):
        step(*batches[i % len(batches)])
    return time.perf_counter() - start


def throughput(
    name: str, images: np.ndarray, batch: int, rounds: int, seconds: float, with_torch: bool, with_peak: bool = False
) -> dict:
    """Images/s of scratchae and PyTorch, alternating rounds of the same steps; median ratio. With
    ``with_peak``, each round starts with a measure of the matmul peak (``result["peak"]``, GFLOP/s), so
    that a FLOP rate can be compared with the peak of the same minute."""
    model, ours = scratchae_trainer(name)
    batches = prepared_batches(name, images, batch, 200)
    run_steps(ours, batches, 3)  # compile / warm up
    per_step = run_steps(ours, batches, 5) / 5
    steps = max(5, int(seconds / per_step))
    result = {"model": name, "batch": batch, "steps": steps, "ours": [], "torch": [], "ratio": [], "peak": []}
    theirs = None
    if with_torch and has_twin(name):
        import torch

        theirs = torch_trainer(model)
        torch_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
        run_steps(theirs, torch_batches, 3)
    for r in range(rounds):
        if with_peak:
            result["peak"].append(matmul_peak(repeat=3))
            time.sleep(0.2)  # OpenBLAS's threads spin a while after a product: let them sleep
        order = ("ours", "torch") if r % 2 == 0 else ("torch", "ours")
        took = {}
        for who in order:
            if who == "ours":
                took[who] = run_steps(ours, batches, steps)
            elif theirs is not None:
                took[who] = run_steps(theirs, torch_batches, steps)
        result["ours"].append(steps * batch / took["ours"])
        if theirs is not None:
            result["torch"].append(steps * batch / took["torch"])
            result["ratio"].append(took["torch"] / took["ours"])
    return result


# -- start-up and memory, each in a fresh subprocess -----------------------------------------------


def child(args) -> None:
    """Run in a subprocess: time the import and the first batch, train a while, print JSON."""
    if args.child == "throughput":
        from scratchae import memory

        if not args.default_allocator:
            memory.keep_freed_memory()
        images = load_images("sample")
        rates = {
            f"{name} {batch}": median(throughput(name, images, batch, 3, 0.5, False)["ours"])
            for batch in args.batches
            for name in args.models
        }
        print(json.dumps(rates))
        return
    started = time.perf_counter()
    if args.child == "scratchae":
        import scratchae  # noqa: F401
        from scratchae import memory

        if not args.default_allocator:
            memory.keep_freed_memory()
    else:
        import torch

        torch.set_num_threads(args.torch_threads)
    imported = time.perf_counter() - started
    images = load_images("sample")
    batches = prepared_batches(args.models[0], images, args.child_batch, 50)
    started = time.perf_counter()
    model, step = scratchae_trainer(args.models[0])
    if args.child == "torch":
        import torch

        step = torch_trainer(model)
        batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    step(*batches[0])
    first = time.perf_counter() - started
    run_steps(step, batches, 50)
    print(json.dumps({"import_s": imported, "first_batch_s": first, "peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib() -> float:
    """Peak resident memory of this process.

    ``ru_maxrss`` of a process started by ``fork`` + ``exec`` keeps the parent's peak at the fork (Linux
    carries it across ``exec``), so on Linux the ``VmHWM`` line of ``/proc/self/status``, which belongs to
    the new address space, is read instead; ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kib / 1024 / (1024 if sys.platform == "darwin" else 1)


def in_subprocess(library: str, name: str, batch: int, env: dict, torch_threads: int, default_allocator: bool) -> dict:
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        library,
        "--models",
        name,
        "--child-batch",
        str(batch),
        "--torch-threads",
        str(torch_threads),
    ]
    if default_allocator:
        command.append("--default-allocator")
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_up(names, batch: int, with_torch: bool, torch_threads: int, default_allocator: bool) -> list[dict]:
    rows = []
    for name in names:
        cache = tempfile.mkdtemp(prefix="scratchae-numba-cache-")
        env = {"NUMBA_CACHE_DIR": cache}
        try:
            cold = in_subprocess("scratchae", name, batch, env, torch_threads, default_allocator)
            warm = in_subprocess("scratchae", name, batch, env, torch_threads, default_allocator)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        row = {"model": name, "cold": cold, "warm": warm}
        if with_torch:
            row["torch"] = in_subprocess("torch", name, batch, {}, torch_threads, default_allocator)
        rows.append(row)
    return rows


def thread_settings() -> dict:
    """label -> environment: 1, 2, 4, ... threads up to the CPUs available (the default), and the default
    with OpenBLAS on one thread."""
    from scratchae.kernels import available_cpus

    counts = sorted({1, available_cpus()} | {2**k for k in range(1, 8) if 2**k < available_cpus()})
    settings = {
        f"{n} thread{'s' if n > 1 else ''}" + (" (default)" if n == available_cpus() else ""): {
            "SCRATCHAE_NUM_THREADS": str(n)
        }
        for n in counts
    }
    settings["default, OPENBLAS_NUM_THREADS=1"] = {"OPENBLAS_NUM_THREADS": "1"}
    return settings


def threading_table(names, batches, default_allocator: bool) -> list[str]:
    rates = {}
    for label, env in thread_settings().items():
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            "throughput",
            "--models",
            ",".join(names),
            "--batches",
            ",".join(map(str, batches)),
        ]
        if default_allocator:
            command.append("--default-allocator")
        done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=True)
        rates[label] = json.loads(done.stdout.strip().splitlines()[-1])
    labels = list(rates)
    most = labels[-2]  # the most threads (the default)
    lines = [
        "| model | batch | " + " | ".join(labels) + f" | {most.split(' (')[0]} / 1 thread |",
        "|---|---:|" + "---:|" * (len(labels) + 1),
    ]
    for batch in batches:
        for name in names:
            key = f"{name} {batch}"
            lines.append(
                f"| {name} | {batch} | "
                + " | ".join(f"{rates[label][key]:,.0f}" for label in labels)
                + f" | {rates[most][key] / rates[labels[0]][key]:.2f}x |"
            )
    return lines


# -- FLOPs ------------------------------------------------------------------------------------------


def training_flops(name: str, batch: int) -> float:
    """Floating-point operations of one training step's convolutions and matrix products.

    Forward, input gradient and weight gradient each cost 2 FLOPs per multiply-add; the first layer's
    input gradient is not needed (the images are not trained) and is not counted. Element-wise work
    (bias, activations, pooling, loss, Adam) is left out: it is a few percent of the total.
    """
    from scratchae import nn
    from scratchae.models import build
    from scratchae.nn.module import record_calls

    model = build(name)
    with record_calls() as calls:  # each layer's input and output, in order
        model(np.zeros((1, 1, 28, 28), np.float32))
    macs = []
    for layer, (x,), _ in calls:
        if isinstance(layer, nn.Conv2d):  # the convolution's own output (a fused layer may pool it)
            macs.append(layer.weight.data.size * int(np.prod(nn.Conv2d.output_size(layer, x.shape[2:]))))
        elif isinstance(layer, nn.ConvTranspose2d):
            macs.append(layer.weight.data.size * x.shape[2] * x.shape[3])
        elif isinstance(layer, nn.Linear):
            macs.append(layer.weight.data.size)
    return batch * 2.0 * (3 * sum(macs) - macs[0])


def matmul_peak(size: int = 2048, repeat: int = 5) -> float:
    """GFLOP/s of the best of ``repeat`` float32 ``size``-square matrix products (numpy's BLAS, default threads)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), np.float32), rng.random((size, size), np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeat))
    return 2.0 * size**3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- report -----------------------------------------------------------------------------------------


def machine() -> list[str]:
    import numba

    cpu = platform.processor() or "unknown CPU"
    simd = ""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        flags = set(next(line.split(":", 1)[1] for line in info if line.startswith("flags")).split())
        # the widest vectors Numba can compile for: the same "AMD EPYC" can be twice as fast with AVX-512
        simd = next((f", {name}" for flag, name in [("avx512f", "AVX-512"), ("avx2", "AVX2")] if flag in flags), "")
    except (OSError, StopIteration):
        pass
    blas = "unknown BLAS"
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{config['name']} {config['version']}"
    except Exception:  # noqa: BLE001 - only a description
        pass
    lines = [
        f"- CPU: {cpu}{simd}, {os.cpu_count()} logical CPUs ({platform.machine()}, {platform.system()})",
        f"- Python {platform.python_version()}, NumPy {np.__version__} ({blas}), Numba {numba.__version__}",
    ]
    try:
        import torch

        lines.append(f"- PyTorch {torch.__version__}")
    except ImportError:
        lines.append("- PyTorch: not installed")
    threads = {
        k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS") if k in os.environ
    }
    lines.append(f"- thread variables set: {threads or 'none (library defaults)'}")
    return lines


def median(values) -> float:
    return float(np.median(values)) if values else float("nan")


def throughput_table(results: list[dict], with_torch: bool) -> list[str]:
    lines = [
        "| model | batch | scratchae img/s | PyTorch img/s | PyTorch time / scratchae time (median, min-max) "
        "| scratchae / the project's PyTorch figure |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for r in results:
        ours = median(r["ours"])
        reference = REFERENCE_TORCH.get(r["batch"], {}).get(r["model"])
        versus = f"{ours / reference:.1f}x" if reference else "-"
        if with_torch:
            ratio = f"**{median(r['ratio']):.2f}x** ({min(r['ratio']):.2f}-{max(r['ratio']):.2f})"
            lines.append(
                f"| {r['model']} | {r['batch']} | {ours:,.0f} | {median(r['torch']):,.0f} | {ratio} | {versus} |"
            )
        else:
            lines.append(f"| {r['model']} | {r['batch']} | {ours:,.0f} | - | - | {versus} |")
    return lines


def start_table(rows: list[dict], with_torch: bool) -> list[str]:
    lines = [
        "| model | `import scratchae` s | first batch, cold cache s | first batch, warm cache s | "
        "peak RSS MiB | PyTorch: import s, first batch s, peak RSS MiB |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        cold, warm = r["cold"], r["warm"]
        torch_part = "-"
        if with_torch:
            t = r["torch"]
            torch_part = f"{t['import_s']:.2f}, {t['first_batch_s']:.2f}, {t['peak_rss_mib']:.0f}"
        lines.append(
            f"| {r['model']} | {warm['import_s']:.2f} | {cold['first_batch_s']:.2f} | "
            f"{warm['first_batch_s']:.2f} | {warm['peak_rss_mib']:.0f} | {torch_part} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", type=lambda s: s.split(","), default=list(MODELS), help="comma-separated, default all six"
    )
    parser.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",")], default=[20, 128])
    parser.add_argument(
        "--dataset",
        choices=["sample", "fashion-mnist"],
        default="sample",
        help=f"the embedded sample, or Fashion-MNIST from {FASHION_MNIST_DIR}",
    )
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per model and batch")
    parser.add_argument("--seconds", type=float, default=1.0, help="approximate length of one round")
    parser.add_argument("--torch-threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--default-allocator",
        action="store_true",
        help="do not call scratchae.memory.keep_freed_memory() (which Trainer calls)",
    )
    parser.add_argument("--start-up", action="store_true", help="also cold/warm start and peak RSS")
    parser.add_argument("--layers", action="store_true", help="also the per-layer table (batch 20)")
    parser.add_argument(
        "--write-results", action="store_true", help="everything (start-up, layers) and write benchmarks/RESULTS.md"
    )
    parser.add_argument(
        "--threading",
        action="store_true",
        help="also scratchae alone with OPENBLAS_NUM_THREADS=1 / SCRATCHAE_NUM_THREADS=1",
    )
    parser.add_argument("--child", choices=["scratchae", "torch", "throughput"], help=argparse.SUPPRESS)
    parser.add_argument("--child-batch", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # times its own imports (the PyTorch child imports torch before scratchae)
        return child(args)
    import torch_first  # noqa: F401  (PyTorch before scratchae: see torch_first.py)

    with_torch = not args.no_torch
    from scratchae import memory

    kept = False if args.default_allocator else memory.keep_freed_memory()
    if with_torch:
        try:
            import torch

            torch.set_num_threads(args.torch_threads)
        except ImportError:
            with_torch = False
    everything = args.write_results
    from scratchae import kernels

    command = "python benchmarks/bench_training.py " + " ".join(sys.argv[1:])
    load_before = os.getloadavg()
    report = [
        "# Training speed: scratchae vs PyTorch",
        "",
        f"Generated by `{command.strip()}` on {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "## Machine",
        "",
        *machine(),
        f"- PyTorch threads: {args.torch_threads if with_torch else '-'}; scratchae: "
        f"{kernels.get_num_threads()} threads (Numba prange over the images of a batch, OpenMP layer), "
        "NumPy's OpenBLAS with its default threads (used only by the linear model)",
        "- allocator: "
        + (
            "freed memory kept for reuse (scratchae.memory.keep_freed_memory(), as Trainer does)"
            if kept
            else "glibc defaults"
        ),
        "",
    ]

    peak = matmul_peak()
    print(f"float32 matmul peak (numpy, 2048^3): {peak:.1f} GFLOP/s", flush=True)
    report.insert(
        report.index("## Machine") + 2,
        f"- float32 matrix-multiply peak (2048^3 `numpy.matmul`, best of 5) at the start: {peak:.0f} GFLOP/s",
    )

    images = load_images(args.dataset)
    results = []
    for batch in args.batches:
        for name in args.models:
            r = throughput(name, images, batch, args.rounds, args.seconds, with_torch, with_peak=name == "denoise")
            results.append(r)
            line = f"{name:9s} batch {batch:4d}: scratchae {median(r['ours']):9,.0f} img/s"
            if with_torch:
                line += f"  torch {median(r['torch']):9,.0f} img/s  ratio {median(r['ratio']):.2f}x"
            print(line, flush=True)
    report += [
        f"## Training throughput ({args.dataset}, float32, Adam; MSE, the VAEs their negative ELBO)",
        "",
        f"{args.rounds} alternating rounds of about {args.seconds:g} s each; images/s are medians "
        "over rounds, the ratio is the median of the per-round ratios (> 1: scratchae is faster). "
        "The last column compares with the PyTorch figures the project measured earlier on its "
        "2-core machine (one epoch through a DataLoader, 2 threads), which include data loading: "
        "context only; the same-run ratio is the comparison. PyTorch is imported before scratchae, "
        "so that each runs on its own OpenMP library (benchmarks/torch_first.py; RESULTS.md before "
        "2026-12-02 did not, and slowed PyTorch down).",
        "",
        *throughput_table(results, with_torch),
        "",
    ]

    flop_lines = []
    per_image = training_flops("denoise", 1)
    for r in results:
        if r["model"] == "denoise":
            ours = [100 * per_image * rate / 1e9 / p for rate, p in zip(r["ours"], r["peak"], strict=True)]
            line = (
                f"denoise, batch {r['batch']}: {per_image / 1e6:.1f} MFLOP per image, "
                f"{per_image * median(r['ours']) / 1e9:.1f} GFLOP/s; of the matmul peak of the same "
                f"round ({median(r['peak']):.0f} GFLOP/s, median): **{median(ours):.0f}%** "
                f"({min(ours):.0f}-{max(ours):.0f})"
            )
            if with_torch:
                theirs = [100 * per_image * rate / 1e9 / p for rate, p in zip(r["torch"], r["peak"], strict=True)]
                line += f"; PyTorch {median(theirs):.0f}% ({min(theirs):.0f}-{max(theirs):.0f})"
            print(line, flush=True)
            flop_lines.append(f"- {line}")
    if flop_lines:
        report += [
            "## FLOP rate of the denoiser",
            "",
            "Convolution FLOPs of a training step (forward, input and weight gradients, 2 per "
            "multiply-add, no input gradient for the first layer) times the images/s of a round, "
            "as a fraction of the speed of a 2048x2048 float32 `numpy.matmul` (best of 3) measured "
            "at the start of the same round: median over rounds (min-max). The machine's speed "
            "drifts from minute to minute, and memory-bound work (most of a training step "
            "outside the large convolutions) slows down more than a matrix product in its slow "
            "periods.",
            "",
            *flop_lines,
            "",
        ]

    if args.start_up or everything:
        rows = start_up(args.models, 20, with_torch, args.torch_threads, args.default_allocator)
        table = start_table(rows, with_torch)
        print("\n".join(table), flush=True)
        report += [
            "## Start-up and memory (batch 20, fresh process per model)",
            "",
            "Cold: empty Numba cache (`NUMBA_CACHE_DIR` set to a new directory), so every kernel "
            "the model uses is compiled before the first batch; warm: the same directory again. "
            "First batch = build the model + one training step. Peak RSS (`VmHWM`) after 50 "
            "more steps, warm run.",
            "",
            *table,
            "",
        ]

    if args.threading or everything:
        lines = threading_table(args.models, args.batches, args.default_allocator)
        print("\n".join(lines), flush=True)
        report += [
            "## Threads (scratchae alone, each setting in a fresh process)",
            "",
            "Images/s, median of 3 rounds of about 0.5 s. The Numba kernels run on as many threads as "
            "the process has CPUs (`os.sched_getaffinity`) unless `SCRATCHAE_NUM_THREADS` says "
            "otherwise; the last column is how the most threads scale against one. OpenBLAS reads "
            "its thread count when NumPy is imported, so a library cannot choose it: the "
            "`OPENBLAS_NUM_THREADS=1` column measures what the variable does (only the linear model "
            "uses BLAS).",
            "",
            *lines,
            "",
        ]

    if everything:
        from bench_cold_start import COMMANDS, cold_and_warm, summary

        lines = [
            "| command | clock | first run (empty cache) | second run (cache warm) | first / second |",
            "|---|---|---:|---:|---:|",
        ]
        for name in COMMANDS:
            lines += summary(name, cold_and_warm(COMMANDS[name], 1))
        print("\n".join(lines), flush=True)
        report += [
            "## First run after an install (`benchmarks/bench_cold_start.py`)",
            "",
            "Each command in a fresh process: first with an empty Numba cache (every kernel it runs "
            "is compiled), then with that cache warm; one pair (`bench_cold_start.py --repeat N` for "
            "more). CPU = user + system time of the command's process.",
            "",
            *lines,
            "",
        ]

    if args.layers or everything:
        from bench_layers import table as layer_table

        lines = layer_table(20, 30, "float32", reference=False, use_torch=with_torch, torch_threads=args.torch_threads)
        print("\n".join(lines), flush=True)
        report += ["## Per layer (benchmarks/bench_layers.py, batch 20)", "", "```", *lines, "```", ""]

    load_after = os.getloadavg()
    report += [
        f"Load average (1 min) at start {load_before[0]:.2f}, at end {load_after[0]:.2f} on {os.cpu_count()} CPUs.",
        "",
    ]
    if args.write_results:
        path = os.path.join(HERE, "RESULTS.md")
        with open(path, "w") as f:
            f.write("\n".join(report))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
