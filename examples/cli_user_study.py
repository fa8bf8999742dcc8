"""A user's session with the command line, end to end, on an Old Faithful-like file.

The data file is what a new user brings: a header, a date column that is an index and
not a feature, semicolons between fields and commas as decimal marks (a European
spreadsheet's export), and a few empty cells. The script runs ``latentem`` as a user
would type it -- ``fit`` with a picture, ``inspect``, ``predict --append``, ``select``
with its picture -- and checks every output against the same work done in Python:
the fitted parameters, the names the model learnt, the appended labels and
uncertainties, and the number of components chosen.

Run it from any folder: the pictures are written into the current directory, the data,
the model and the labelled file into a temporary folder.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

import latentem

PICTURES = ["fit.png", "select.png"]
here = os.getcwd()
os.chdir(tempfile.mkdtemp())  # the user's files; the pictures go where the script was run
fit_png, select_png = (os.path.join(here, name) for name in PICTURES)


def latentem_cli(*args: str) -> str:
    """``latentem ARGS`` as a user types it; its stdout (stderr shown if it fails)."""
    process = subprocess.run(
        [sys.executable, "-m", "latentem", *args], capture_output=True, text=True
    )
    if process.returncode != 0:
        sys.exit(f"latentem {' '.join(args)} failed:\n{process.stderr}")
    return process.stdout


# -- the file: eruptions (minutes) and waiting times (minutes), two kinds of eruption --------
rng = np.random.default_rng(7)
short = rng.multivariate_normal([2.0, 54.0], [[0.07, 0.4], [0.4, 34.0]], 100)
long = rng.multivariate_normal([4.3, 80.0], [[0.17, 0.9], [0.9, 36.0]], 172)
data = np.concatenate([short, long])[rng.permutation(272)]
data[[5, 40, 200]] = np.nan  # three visits where nothing was noted
days = np.datetime64("2024-03-01") + np.arange(272)
with open("faithful.csv", "w") as stream:
    stream.write("day;eruptions;waiting\n")
    for day, (eruptions, waiting) in zip(days, data, strict=True):
        cells = ["" if np.isnan(v) else f"{v:.3f}".replace(".", ",") for v in (eruptions, waiting)]
        stream.write(f"{day};{cells[0]};{cells[1]}\n")
reading = ["--decimal", ",", "--index-col", "day"]

# -- fit, with its picture ---------------------------------------------------------------
print(
    latentem_cli(
        "fit", "faithful.csv", "-k", "2", *reading, "--out", "model.json", "--plot", fit_png
    )
)
reference = latentem.GaussianMixture(2, random_state=0).fit(np.round(data, 3))
model = latentem.load("model.json")
order = np.argsort(model.means_[:, 0])
expected = np.argsort(reference.means_[:, 0])
if not np.allclose(model.means_[order], reference.means_[expected], rtol=1e-9):
    sys.exit("the command line's fit differs from the same fit in Python")
if list(model.feature_names_in_) != ["eruptions", "waiting"]:
    sys.exit(f"the model learnt the names {model.feature_names_in_}, not the file's")

# -- inspect: the saved model in plain words ----------------------------------------------
shown = latentem_cli("inspect", "model.json")
print(shown)
if "eruptions" not in shown or "waiting" not in shown:
    sys.exit("inspect does not show the column names")

# -- predict --append: the file's columns, then the label and its uncertainty, written in
# -- the file's own dialect (semicolons, decimal commas) -----------------------------------
latentem_cli("predict", "model.json", "faithful.csv", *reading, "--append", "--out", "labelled.csv")
with open("labelled.csv") as stream:  # in the input's own dialect: semicolons
    header = stream.readline().strip().split(";")
    rows = [line.rstrip("\n").split(";") for line in stream]
print("labelled.csv columns:", header, f"({len(rows)} rows)")
if header[-2:] != ["label", "uncertainty"] or len(rows) != 272:
    sys.exit(f"predict --append wrote {header} and {len(rows)} rows")
labels = np.array([int(row[header.index("label")]) for row in rows])
if not np.array_equal(labels, model.model_.predict(np.round(data, 3))):
    sys.exit("the appended labels are not the model's predictions")
sizes = np.bincount(labels)
print("rows per component:", sizes.tolist())

# -- select: the number of components by BIC, with its picture ---------------------------
table = latentem_cli(
    "select", "faithful.csv", *reading, "--k", "1-5", "--plot", select_png, "--no-progress"
)
print(table)
if "best by bic: 2 components" not in table:
    sys.exit("select did not choose the two kinds of eruption")
