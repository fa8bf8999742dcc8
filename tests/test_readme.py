"""The README's Python examples run as written, and print what the README says they print.

Below a ``print(...)`` line, ``#>`` lines give its output: words and whitespace-separated
layout must match (whitespace normalised), and every number to the digits written
(``-3.53`` matches -3.5272, not -3.54).
"""

import math
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def same_output(want, got):
    """Whether ``got`` prints ``want``: same text between numbers, numbers to want's digits."""
    want, got = " ".join(want.split()), " ".join(got.split())
    want_numbers, got_numbers = NUMBER.findall(want), NUMBER.findall(got)
    if NUMBER.split(want) != NUMBER.split(got) or len(want_numbers) != len(got_numbers):
        return False
    for wanted, printed in zip(want_numbers, got_numbers, strict=True):
        mantissa = wanted.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(wanted.lower().split("e")[1]) if "e" in wanted.lower() else 0
        if not math.isclose(
            float(printed),
            float(wanted),
            rel_tol=0,
            abs_tol=0.5 * 10.0 ** (exponent - decimals) * (1 + 1e-9),
        ):
            return False
    return True


def expected_outputs(block):
    """Per ``print(`` statement of the block, in order: its ``#>`` lines, or None."""
    outputs, lines = [], block.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\s*print\(", line):
            following = []
            for after in lines[number + 1 :]:
                if not after.startswith("#>"):
                    break
                following.append(after[3:] if after.startswith("#> ") else after[2:])
            outputs.append("\n".join(following) + "\n" if following else None)
    return outputs


def test_readme_has_examples_with_their_outputs():
    assert len(BLOCKS) >= 2
    checked = [output for block in BLOCKS for output in expected_outputs(block) if output]
    assert len(checked) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_prints_what_the_readme_says(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    printed = []

    def record(*args, **kwargs):
        text = " ".join(str(arg) for arg in args) + kwargs.get("end", "\n")
        printed.append(text)

    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"print": record})
    expected = expected_outputs(BLOCKS[index])
    assert printed, "every example prints its results"
    assert len(printed) == len(expected), "one print call per print statement"
    for number, (want, got) in enumerate(zip(expected, printed, strict=True)):
        if want is not None:
            assert same_output(want, got), (
                f"print number {number} of block {index} printed\n{got}the README says\n{want}"
            )


@pytest.mark.parametrize(
    ("want", "got", "same"),
    [
        ("-3.53 -3.53", "-3.5272178785610766 -3.5257471024339795", True),
        ("-3.54 -3.53", "-3.5272178785610766 -3.5257471024339795", False),
        ("[ 1.98 -2.01] True", "[ 1.98  -2.01]  True", True),
        ("289 52 True", "289 53 True", False),
        ("289 52 True", "289 52 False", False),
        ("3849.99", "3849.986416296265", True),
    ],
)
def test_outputs_are_compared_to_the_digits_written(want, got, same):
    assert same_output(want, got) is same
