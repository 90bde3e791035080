"""``scratchae anomaly``: train on the normal class(es) only, score every test image, report the AUROC.

::

    scratchae anomaly --normal trouser                     # one setting: trousers are normal
    scratchae anomaly --all --dataset fashion-mnist --epochs 5   # each class normal in turn, the table

Writes ``scores.csv`` (``index,label,is_anomaly,score``: one row per test image, the index in the test
split), ``roc.png``, ``histograms.png``, ``worst.png`` and the model's ``checkpoint.npz``. With ``--all``:
a directory per class with its ``scores.csv`` and ``checkpoint.npz`` (run one setting alone for its
figures), and ``auroc.csv``, ``auroc.png`` (the table) and ``roc.png`` (the ten curves).
"""

from __future__ import annotations

import csv
import os
import re

import numpy as np

from .. import anomaly, figures, manual_seed
from ..figures import anomaly as anomaly_figures
from ..models import MODELS, build
from ..training import Trainer
from .common import (
    COURSE_EPOCHS,
    DATASETS,
    DEFAULT_NOISE_FACTOR,
    CommandError,
    data_options,
    load_split,
    non_negative_int,
    positive_int,
)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "anomaly",
        help="anomaly detection: train on normal classes only, score "
        "test images by reconstruction error, report the AUROC",
    )
    parser.add_argument("--model", choices=list(MODELS), default="conv", help="which autoencoder (default: conv)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--normal",
        nargs="+",
        metavar="CLASS",
        help="the normal class(es), as indices or names (trouser, 'ankle boot', ...); every "
        "other class is anomalous (default: class 0)",
    )
    which.add_argument(
        "--all", action="store_true", help="run every one-class setting (each class normal in turn) and print the table"
    )
    parser.add_argument(
        "--score",
        choices=list(anomaly.SCORES),
        default="error",
        help="the score written to scores.csv and drawn: "
        + "; ".join(f"{k}: {v}" for k, v in anomaly.SCORES.items())
        + " (default: error)",
    )
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default="sample",
        help="default: sample (embedded); fashion-mnist for the full dataset",
    )
    parser.add_argument(
        "--epochs",
        type=non_negative_int,
        help="training epochs (default: the course's, " + ", ".join(f"{k} {v}" for k, v in COURSE_EPOCHS.items()) + ")",
    )
    parser.add_argument("--limit", type=positive_int, help="use only the first N images of each split")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seeds the weights (default: 0)")
    parser.add_argument("--out", help="output directory (default: runs/anomaly)")
    data_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def parse_classes(values: list[str], classes: tuple[str, ...]) -> list[int]:
    """Class indices from indices or names (case, spaces and punctuation ignored; a unique prefix does:
    ``tshirt`` is T-shirt/top), without repeats, in the order given."""
    keys = [_key(c) for c in classes]
    chosen = []
    for value in values:
        key = _key(value)
        if value.strip().isdigit() and int(value) < len(classes):
            index = int(value)
        elif key in keys:
            index = keys.index(key)
        elif key and len(starts := [i for i, k in enumerate(keys) if k.startswith(key)]) == 1:
            index = starts[0]
        else:
            valid = ", ".join(f"{i} {c}" for i, c in enumerate(classes))
            raise CommandError(f"unknown class {value!r}; the classes are {valid}")
        if index not in chosen:
            chosen.append(index)
    return chosen


def slug(normal: list[int], classes: tuple[str, ...]) -> str:
    """A directory name for a setting: ``1-trouser``, ``5-sandal+7-sneaker``."""
    return "+".join(f"{i}-{re.sub(r'[^0-9a-z]+', '-', classes[i].lower()).strip('-')}" for i in normal)


def write_scores(path: str, scores: np.ndarray, labels: np.ndarray, is_anomaly: np.ndarray) -> str:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["index", "label", "is_anomaly", "score"])
        for i, (label, flag, score) in enumerate(zip(labels, is_anomaly, scores, strict=True)):
            writer.writerow([i, int(label), int(flag), f"{score:.9g}"])
    return path


def run_setting(args, normal: list[int], data: dict, out: str, draw: bool = True) -> dict:
    """Train on the normal classes, score the test split, write the scores, the checkpoint and (if ``draw``)
    the figures; returns the AUROC of each score and, under ``"roc"``, the ROC curve of the chosen one."""
    (train, train_labels), (test, test_labels), classes = data["train"], data["test"], data["classes"]
    names = ", ".join(f"{classes[i]} ({i})" for i in normal)
    normal_train = train[np.isin(train_labels, normal)]
    if len(normal_train) == 0:
        raise CommandError(
            f"no training image is of the normal class(es) {names} among the {len(train)} "
            f"training images{' (--limit)' if args.limit else ''}: the normal set is empty"
        )
    is_anomaly = ~np.isin(test_labels, normal)
    if is_anomaly.all() or not is_anomaly.any():
        what = "normal" if is_anomaly.all() else "anomalous"
        raise CommandError(
            f"no test image is {what} (normal: {names}; {len(test)} test images): the AUROC needs "
            f"both; {'leave at least one class out' if what == 'anomalous' else 'use more test images'}"
        )
    os.makedirs(out, exist_ok=True)
    epochs = COURSE_EPOCHS.get(args.model, 30) if args.epochs is None else args.epochs
    manual_seed(args.seed)
    model = build(args.model)
    checkpoint = os.path.join(out, "checkpoint.npz")
    trainer = Trainer(
        model,
        noise_factor=DEFAULT_NOISE_FACTOR if args.model == "denoise" else None,
        seed=args.seed,
        checkpoint=checkpoint,
        config={"dataset": args.dataset, "limit": args.limit, "normal": normal},
        progress=False if args.no_progress else "run",
    )
    print(
        f"{args.model} on {args.dataset}, normal: {names}; training on {len(normal_train)} images for "
        f"{epochs} epoch{'s' if epochs != 1 else ''}, scoring {len(test)} test images "
        f"({int((~is_anomaly).sum())} normal, {int(is_anomaly.sum())} anomalous)",
        flush=True,
    )
    trainer.fit(normal_train, test[~is_anomaly], epochs)
    if not os.path.exists(checkpoint):
        trainer.save(checkpoint)
    scores = anomaly.score_images(model, normal_train, test)
    for name in anomaly.SCORES:  # a blank image reconstructed exactly has a relative error 0/0: most anomalous
        scores[name] = np.where(np.isnan(scores[name]), np.inf, scores[name])
    aurocs = {name: anomaly.auroc(scores[name], is_anomaly) for name in anomaly.SCORES}
    chosen = scores[args.score]
    print(f"AUROC {aurocs[args.score]:.4f}  ({anomaly.SCORES[args.score]})")
    print("  other scores: " + ", ".join(f"{k} {v:.4f}" for k, v in aurocs.items() if k != args.score))
    roc = anomaly.roc_curve(chosen, is_anomaly)
    written = [write_scores(os.path.join(out, "scores.csv"), chosen, test_labels, is_anomaly), checkpoint]
    if draw:
        written += draw_setting(
            args, f"{args.model}, normal: {names}", scores, aurocs, is_anomaly, (test, test_labels, classes), out
        )
    print("wrote " + ", ".join(written))
    return {**aurocs, "roc": roc}


def draw_setting(args, title: str, scores: dict, aurocs: dict, is_anomaly, test_split, out: str) -> list[str]:
    """roc.png (every score), histograms.png and worst.png (the chosen score) of one setting."""
    test, test_labels, classes = test_split
    curves = {}
    for name in [args.score] + [k for k in aurocs if k != args.score]:  # the chosen score first
        fpr, tpr, _ = anomaly.roc_curve(scores[name], is_anomaly)
        curves[name] = (fpr, tpr, aurocs[name])
    chosen = scores[args.score]
    histograms = anomaly_figures.score_histograms(
        chosen, is_anomaly, score_name=anomaly.SCORES[args.score], title=title
    )
    worst = anomaly_figures.extreme_images(
        test, scores["reconstructions"], chosen, is_anomaly, test_labels, classes, title=f"{title}; score: {args.score}"
    )
    return [
        figures.save(anomaly_figures.roc_figure(curves, title=title), os.path.join(out, "roc.png")),
        figures.save(histograms, os.path.join(out, "histograms.png")),
        figures.save(worst, os.path.join(out, "worst.png")),
    ]


def run(args) -> int:
    data: dict = {}  # "train" and "test": (images, labels); "classes": their names
    for split in ("train", "test"):
        images, labels, classes = load_split(args.dataset, split, args.data_dir, args.download, args.limit)
        data[split] = (images, labels)
    data["classes"] = classes
    out = args.out or os.path.join("runs", "anomaly")
    if not args.all:
        normal = parse_classes(args.normal or ["0"], classes)
        run_setting(args, normal, data, out)
        return 0
    table, curves = {}, {}
    for k in range(len(classes)):
        result = run_setting(args, [k], data, os.path.join(out, slug([k], classes)), draw=False)
        curves[f"{k} {classes[k]}"] = (*result.pop("roc")[:2], result[args.score])
        table[k] = result
    names = list(anomaly.SCORES)
    lines = [f"{'normal class':<16}" + "".join(f"{name:>10}" for name in names)]
    lines += [f"{k} {classes[k]:<14}" + "".join(f"{row[name]:>10.4f}" for name in names) for k, row in table.items()]
    lines.append(f"{'mean':<16}" + "".join(f"{np.mean([row[n] for row in table.values()]):>10.4f}" for n in names))
    print(f"\nAUROC of each one-class setting ({args.model}, {args.dataset}):")
    print("\n".join(lines))
    with open(os.path.join(out, "auroc.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["normal", "class", *names])
        for k, row in table.items():
            writer.writerow([k, classes[k]] + [f"{row[n]:.6f}" for n in names])
    bars = anomaly_figures.auroc_bars(
        {f"{k} {classes[k]}": row for k, row in table.items()}, title=f"one-class AUROC, {args.model} on {args.dataset}"
    )
    roc = anomaly_figures.roc_figure(
        curves, title=f"{args.model} on {args.dataset}, score: {args.score}; each class normal in turn"
    )
    print(
        "wrote "
        + ", ".join(
            [
                os.path.join(out, "auroc.csv"),
                figures.save(bars, os.path.join(out, "auroc.png")),
                figures.save(roc, os.path.join(out, "roc.png")),
            ]
        )
    )
    return 0
