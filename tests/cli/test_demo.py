"""``latentem demo`` prints seed 003's table to all 8 decimals."""

import subprocess
import sys

# Printed by seed document 003 (/work/shared/seeds/003_*.txt) after its 41 EM steps.
SEED_003_TABLE = """Weights:
 [0.33897411 0.32778969 0.3332362 ]
Means:
 [[-0.05306686  4.80730254]
 [-0.11766118 -0.00522756]
 [ 5.13881385  5.06920179]]
Covariances:
 [[[ 0.97884739  0.01651067]
  [ 0.01651067  0.99516519]]

 [[ 0.73668391  0.02409119]
  [ 0.02409119  0.9102382 ]]

 [[ 1.01449867 -0.15134066]
  [-0.15134066  0.86954933]]]"""


def _run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "latentem", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_demo_prints_the_seed_003_table(tmp_path):
    result = _run("demo", "--no-plots", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert SEED_003_TABLE in result.stdout
    assert "Hard EM, two diagonal Gaussians" in result.stdout
    assert "converged after" in result.stdout
    assert list(tmp_path.iterdir()) == []  # --no-plots writes nothing


def test_demo_writes_pictures_per_iteration(tmp_path):
    result = _run("demo", "--out", "pictures", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pictures = sorted(p.name for p in (tmp_path / "pictures").iterdir())
    assert "hard-em-iteration-00.png" in pictures and "soft-em-iteration-41.png" in pictures
    assert "hard-em.gif" in pictures and "soft-em.gif" in pictures  # the fits, animated
    assert all((tmp_path / "pictures" / name).stat().st_size > 5000 for name in pictures)


def test_no_command_prints_help():
    result = subprocess.run(
        [sys.executable, "-m", "latentem"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "demo" in result.stdout
