"""docs/distributions.md and examples/user_family.py run, and the user family is right."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "distributions.md"
EXAMPLE = ROOT / "examples" / "user_family.py"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_doc_has_the_user_family_example():
    assert len(BLOCKS) >= 2
    assert "class Rayleigh(Distribution)" in BLOCKS[0]
    # the page and the example script show the same family
    script = EXAMPLE.read_text()
    start = BLOCKS[0].index("@frozen")
    end = BLOCKS[0].index("rng = np.random")
    assert BLOCKS[0][start:end].strip() in script


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_examples_run(index, capsys):
    exec(compile(BLOCKS[index], f"{DOC.name} block {index}", "exec"), {})
    assert capsys.readouterr().out


def test_example_script_runs_and_writes_only_into_the_working_directory(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Rayleigh + Rayleigh: weights [0.6 0.4], scales [1.087, 5.003]" in done.stdout
    pytest.importorskip("matplotlib")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["user_family.png"]


def test_the_user_family_matches_scipy_and_brute_force():
    rayleigh = runpy.run_path(str(EXAMPLE))["Rayleigh"]
    rng = np.random.default_rng(3)
    x = rng.rayleigh(2.0, (60, 1))
    weights = rng.uniform(0, 2, 60)
    family = rayleigh(1.5)
    np.testing.assert_allclose(
        family.log_prob(x), stats.rayleigh.logpdf(x[:, 0], scale=1.5), rtol=1e-13
    )
    fitted = family.maximize(family.statistics(x, weights))
    brute = optimize.minimize_scalar(
        lambda s: -weights @ stats.rayleigh.logpdf(x[:, 0], scale=s),
        bounds=(0.1, 10.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert fitted.scale == pytest.approx(brute.x, rel=1e-7)
    with pytest.raises(ValueError, match=r"Rayleigh data must be non-negative; got 1 .*\(-1\)"):
        family.check_data(np.array([[1.0], [-1.0]]))
