"""``--model hmm`` through a subprocess: fit, predict (Viterbi states), select, --lengths."""

import subprocess

import numpy as np
import pytest

import latentem
from latentem.cli import main
from latentem.cli.models import parse_lengths
from tests.cli.conftest import assert_one_line_error, run_cli

LENGTHS = [120, 1, 179]


@pytest.fixture(scope="module")
def regimes():
    """Three levels switching every 60 steps, plus noise: one column, 300 rows."""
    rng = np.random.default_rng(0)
    states = np.repeat([0, 1, 0, 2, 1], 60)
    return np.array([0.0, 3.0, -3.0])[states][:, None] + rng.normal(scale=0.7, size=(300, 1))


@pytest.fixture
def signal_file(tmp_path, regimes):
    path = tmp_path / "signal.csv"
    np.savetxt(path, regimes, header="value", comments="", fmt="%.17g")
    (tmp_path / "lengths.txt").write_text("\n".join(map(str, LENGTHS)) + "\n")
    return path


def python_fit(X, **kwargs):
    """What ``latentem fit --model hmm -k 3`` does with the default options."""
    settings = {"covariance_type": "diag", "n_iter": 100, "tol": 1e-2}
    return latentem.GaussianHMM(3, random_state=0, **{**settings, **kwargs}).fit(X, lengths=LENGTHS)


def test_fit_hmm_saves_the_same_model_as_python_and_draws_the_states(
    tmp_path, signal_file, regimes
):
    process = run_cli(
        "fit",
        signal_file,
        "--model",
        "hmm",
        "-k",
        3,
        "--lengths",
        "lengths.txt",
        "--out",
        "hmm.json",
        "--plot",
        "states.png",
        cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    reference = python_fit(regimes)
    loaded = latentem.load(tmp_path / "hmm.json")
    assert isinstance(loaded, latentem.GaussianHMM)
    assert loaded.means_.tobytes() == reference.means_.tobytes()
    assert loaded.transmat_.tobytes() == reference.transmat_.tobytes()
    assert "3 sequence(s)" in process.stdout
    total = reference.score(regimes, lengths=LENGTHS)
    assert f"  log-likelihood {total!r} ({total / 300!r} per sample)\n" in process.stdout
    assert f"  BIC {reference.bic(regimes, lengths=LENGTHS)!r}\n" in process.stdout
    assert "(tol=0.01 on the total log-likelihood)" in process.stdout
    assert (tmp_path / "states.png").stat().st_size > 10_000


def test_fit_hmm_takes_the_covariance_and_gives_full_matrices(tmp_path, signal_file, regimes):
    two = np.column_stack([regimes[:, 0], -regimes[:, 0] + 0.1 * np.arange(300) % 1.0])
    np.save(tmp_path / "two.npy", two)
    process = run_cli(
        "fit", "two.npy", "--model", "hmm", "-k", 3, "--covariance", "full", "--out", "h.json",
        "--lengths", "120,1,179", cwd=tmp_path,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    loaded = latentem.load(tmp_path / "h.json")
    reference = python_fit(two, covariance_type="full")
    assert loaded.covars_.tobytes() == reference.covars_.tobytes()


def test_predict_prints_the_viterbi_states_and_posteriors(tmp_path, signal_file, regimes):
    hmm = python_fit(regimes)
    latentem.save(hmm, tmp_path / "hmm.json")
    states = run_cli("predict", "hmm.json", signal_file, "--lengths", "120,1,179", cwd=tmp_path)
    assert states.returncode == 0, states.stderr
    lines = states.stdout.splitlines()
    assert lines[0] == "state"
    assert [int(v) for v in lines[1:]] == hmm.predict(regimes, lengths=LENGTHS).tolist()
    proba = run_cli(
        "predict", "hmm.json", signal_file, "--lengths", "lengths.txt", "--proba", "--out",
        "p.csv", cwd=tmp_path,
    )  # fmt: skip
    assert proba.returncode == 0, proba.stderr
    table = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    assert np.array_equal(table, hmm.predict_proba(regimes, lengths=LENGTHS))
    one = run_cli("predict", "hmm.json", signal_file, cwd=tmp_path)
    assert [int(v) for v in one.stdout.splitlines()[1:]] == hmm.predict(regimes).tolist()


def test_select_chooses_the_number_of_states(tmp_path, signal_file, regimes):
    process = run_cli(
        "select", signal_file, "--model", "hmm", "--k", "1-4", "--lengths", "lengths.txt",
        "--n-init", 3, "--out", "best.json", cwd=tmp_path,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert "best by bic: 3 components" in process.stdout
    best = latentem.load(tmp_path / "best.json")
    reference = python_fit(regimes, n_init=3)
    assert best.means_.tobytes() == reference.means_.tobytes()


def volatility_regimes():
    """1,859 daily returns (as many as DAX returns from R's EuStockMarkets): three sticky
    volatility regimes, Student-t noise. Under the old per-row tolerance ``select`` chose 3
    states at --tol 1e-3 and 1e-4 and 2 states at 1e-5 and 1e-6."""
    rng = np.random.default_rng(2024)
    scales = np.array([0.006, 0.011, 0.022])
    moves = np.array([[0.985, 0.013, 0.002], [0.02, 0.97, 0.01], [0.01, 0.04, 0.95]])
    states = [0]
    for _ in range(1858):
        states.append(rng.choice(3, p=moves[states[-1]]))
    noise = rng.standard_t(5, 1859) / np.sqrt(5 / 3)
    return (0.0004 + scales[states] * noise)[:, None]


@pytest.mark.filterwarnings("ignore::latentem.ConvergenceWarning")
def test_select_hmm_gives_one_answer_for_every_tolerance_tighter_than_the_default(tmp_path):
    X = volatility_regimes()
    np.savetxt(tmp_path / "returns.csv", X, header="return", comments="", fmt="%.17g")

    def python_choice(tol):
        bics = [
            latentem.GaussianHMM(k, n_iter=100, tol=tol, random_state=0).fit(X).bic(X)
            for k in (1, 2, 3)
        ]
        return int(np.argmin(bics)) + 1

    # the old rule (tol per row, times 1,859) really did disagree with itself on this data
    assert python_choice(1e-3 * 1859) == 3 and python_choice(1e-5 * 1859) == 2
    reference = python_choice(1e-2)  # hmmlearn's default rule: absolute, on the total
    assert reference == 2
    for tol in (None, 1e-3, 1e-5):
        options = [] if tol is None else ["--tol", tol]
        process = run_cli(
            "select", "returns.csv", "--model", "hmm", "--k", "1-3", *options, cwd=tmp_path
        )
        assert process.returncode == 0, process.stderr
        assert f"best by bic: {reference} components" in process.stdout, (tol, process.stdout)


BAD_LENGTHS = {
    "120,1,x": "--lengths must be integers separated by commas (e.g. 100,250)",
    "lenghts.txt": "got 'lenghts.txt'",
    "150,150,0": "lengths must be positive",
    "310,-10": "lengths must be positive",
    "100,100": "lengths must sum to the number of rows of X (300); got sum(lengths) = 200",
    "bad-line.txt": "--lengths bad-line.txt: line 2: '1.5' is not an integer",
    "empty.txt": "--lengths empty.txt: holds no sequence lengths",
    "binary.txt": "--lengths binary.txt: cannot read the file",
}


SUBPROCESS = ("120,1,x", "100,100", "bad-line.txt")


@pytest.mark.filterwarnings("ignore::latentem.ConvergenceWarning")
@pytest.mark.parametrize("text", sorted(BAD_LENGTHS))
def test_bad_lengths_give_one_line_errors(
    tmp_path, signal_file, regimes, text, monkeypatch, capsys
):
    (tmp_path / "bad-line.txt").write_text("120\n1.5\n")
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(128, 256)))
    args = ["fit", signal_file, "--model", "hmm", "-k", 2, "--lengths", text, "--out", "m.json"]
    if text in SUBPROCESS:
        process = run_cli(*args, cwd=tmp_path)
        latentem.save(python_fit(regimes, n_iter=1), tmp_path / "h.json")
        predict = run_cli("predict", "h.json", signal_file, "--lengths", text, cwd=tmp_path)
        assert_one_line_error(predict, "latentem predict: error:", BAD_LENGTHS[text])
    else:  # the same code in this process: faster
        monkeypatch.chdir(tmp_path)
        status = main([str(arg) for arg in args])
        process = subprocess.CompletedProcess(args, status, "", capsys.readouterr().err)
    assert_one_line_error(process, "latentem fit: error:", BAD_LENGTHS[text])
    assert not (tmp_path / "m.json").exists()


def test_options_that_do_not_apply_are_refused(tmp_path, signal_file, csv_file, three_clusters):
    assert_one_line_error(
        run_cli("fit", csv_file, "-k", 2, "--lengths", "180", "--out", "m.json", cwd=tmp_path),
        "--lengths does not apply to --model gmm",
    )
    assert_one_line_error(
        run_cli("fit", signal_file, "--model", "hmm", "-k", 2, "--hard", "--out", "m.json",
                cwd=tmp_path),
        "--hard does not apply to --model hmm",
    )  # fmt: skip
    gm = latentem.GaussianMixture(2, random_state=0).fit(three_clusters)
    latentem.save(gm, tmp_path / "gm.json")
    assert_one_line_error(
        run_cli("predict", "gm.json", csv_file, "--lengths", "180", cwd=tmp_path),
        "--lengths applies to hidden Markov models; gm.json holds a GaussianMixture",
    )
    holes = tmp_path / "holes.csv"
    holes.write_text("v\n1\n\n2\nNA\n3\n")
    assert_one_line_error(
        run_cli("fit", holes, "--model", "hmm", "-k", 1, "--out", "m.json", cwd=tmp_path),
        "--model hmm does not support missing values",
    )


def test_parse_lengths_reads_lists_and_files(tmp_path):
    assert parse_lengths(" 3 , 2", 5).tolist() == [3, 2]
    (tmp_path / "l.txt").write_text("3\n\n 2 \n")
    assert parse_lengths(str(tmp_path / "l.txt"), 5).tolist() == [3, 2]
    with pytest.raises(ValueError, match=r"--lengths: lengths must sum .* \(6\)"):
        parse_lengths("3,2", 6)
