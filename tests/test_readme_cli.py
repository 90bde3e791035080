"""The README and the command line agree: every option the README shows exists, the train options it
lists are all the options there are, and the defaults and the demo's time it states are the ones the
parser and its help state."""

from __future__ import annotations

import argparse
import pathlib
import re

import pytest

from scratchae import cli
from scratchae.cli import common

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


COMMANDS = subparsers(cli.make_parser())


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings if s.startswith("--")} - {"--help"}


def shown_command_lines(text: str = README) -> list[tuple[list[str], set[str]]]:
    """(the words after `scratchae`, the --options on the line) for each README line that runs scratchae."""
    found = []
    for line in text.splitlines():
        for match in re.finditer(r"scratchae ((?:[a-z][\w-]*\s+)*[a-z][\w-]*)([^`#]*)", line):
            words = match.group(1).split()
            if words and words[0] in COMMANDS:
                found.append((words, set(re.findall(r"(--[a-z][\w-]*)", match.group(0)))))
    return found


def test_the_readme_shows_commands():
    assert len(shown_command_lines()) >= 10


@pytest.mark.parametrize(
    "words, shown", shown_command_lines(), ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_every_option_the_readme_shows_exists(words, shown):
    parser = COMMANDS[words[0]]
    nested = subparsers(parser)
    if nested and len(words) > 1 and words[1] in nested:
        parser = nested[words[1]]
    assert shown <= options(parser), f"scratchae {' '.join(words)}: unknown {sorted(shown - options(parser))}"


def train_options_paragraph() -> str:
    start = README.index("Options:\n`--epochs`")
    return README[start : README.index("\n\n", start)]


def test_the_train_options_the_readme_lists_are_all_there_are():
    listed = set(re.findall(r"`(--[a-z][\w-]*)", train_options_paragraph()))
    # --dataset and --resume have their own lines in the example just above the list
    shown = set().union(*(s for words, s in shown_command_lines() if words[0] == "train"))
    assert (listed | shown) == options(COMMANDS["train"])


def test_the_train_defaults_the_readme_states_are_the_parsers():
    text = train_options_paragraph()
    epochs = common.COURSE_EPOCHS
    course = "/".join(str(epochs[m]) for m in ("linear", "conv", "upsample", "denoise"))
    assert f"the course's {course}" in text
    assert f"deep-conv {epochs['deep-conv']}" in text
    assert f"{epochs['vae']} for vae, {epochs['conv-vae']} for conv-vae" in text
    assert f"`--batch-size`\n({common.DEFAULT_BATCH_SIZE}; {common.BATCH_SIZES['vae']} for the VAEs)" in text
    assert common.BATCH_SIZES["vae"] == common.BATCH_SIZES["conv-vae"]
    assert f"(denoise, {common.DEFAULT_NOISE_FACTOR})" in text
    help_text = COMMANDS["train"].format_help()
    for option, default in [("--lr", "0.001"), ("--seed", "0"), ("--beta", "1")]:
        assert re.search(rf"`{option}` \([^)]*\b{re.escape(default)}\)", text), option
        assert re.search(rf"{option} \S+\s+[^\n]*\(default: {re.escape(default)}\b", help_text), option
    assert f"(default: {common.DEFAULT_BATCH_SIZE};" in help_text
    assert f"(default: {common.DEFAULT_NOISE_FACTOR})" in help_text


def test_the_demo_time_is_the_same_in_the_readme_and_the_help():
    help_text = " ".join(COMMANDS["demo"].format_help().split())
    parser_help = next(a for a in cli.make_parser()._actions if isinstance(a, argparse._SubParsersAction))
    summary = next(c.help for c in parser_help._choices_actions if c.dest == "demo")
    claim = "under a minute"
    assert claim in " ".join(summary.split()) or claim in help_text
    demo_paragraph = README[README.index("`scratchae demo` trains") :]
    assert claim in " ".join(demo_paragraph[: demo_paragraph.index("```")].split())


def test_the_readme_option_check_can_fail():
    words, shown = shown_command_lines(README + "\n`scratchae train conv --no-such-option`\n")[-1]
    assert words[0] == "train" and "--no-such-option" in shown
    assert not shown <= options(COMMANDS["train"])
