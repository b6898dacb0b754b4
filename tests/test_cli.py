"""The comparison command and the function behind it."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler

from skgd import compare_optimizers
from skgd._cli import build_parser, main
from skgd._compare import format_comparison
from skgd._optimizers import PRESETS


def test_compare_optimizers_rows_against_the_closed_form():
    X, y = load_diabetes(return_X_y=True)
    rows = compare_optimizers(X, y, optimizers=["batch", "adam"])
    assert [row["model"] for row in rows] == ["closed form", "batch", "adam"]
    Xs = StandardScaler().fit_transform(X)
    optimum = mean_squared_error(y, LinearRegression().fit(Xs, y).predict(Xs))
    assert rows[0]["objective"] == pytest.approx(optimum, rel=1e-10)
    for row in rows[1:]:
        expected = mean_squared_error(y, row["estimator"].predict(Xs))
        assert row["objective"] == pytest.approx(expected, rel=1e-10)
        assert row["gap"] == pytest.approx((expected - optimum) / optimum, rel=1e-6)
        assert 0 <= row["gap"] < 0.01 and row["epochs"] == row["estimator"].n_iter_


def test_the_timed_reference_is_scikit_learns_default_solver():
    """The time shown is LogisticRegression's with its defaults, not that of the tight solve."""
    X, y = load_diabetes(return_X_y=True)
    labels = np.where(y > 140, "high", "low")
    rows = compare_optimizers(X, labels, optimizers=["adam"], alpha=1e-3)
    timed = rows[0]["estimator"]
    defaults = LogisticRegression().get_params()
    params = timed.get_params()
    assert params["C"] == pytest.approx(1 / (2 * 1e-3 * len(y)))
    assert {k: v for k, v in params.items() if k != "C"} == {
        k: v for k, v in defaults.items() if k != "C"
    }
    assert rows[0]["objective"] >= rows[0]["optimum"] * (1 - 1e-12)
    assert rows[0]["gap"] == pytest.approx(
        (rows[0]["objective"] - rows[0]["optimum"]) / rows[0]["optimum"]
    )
    assert "tol=0.0001, timed like the skgd fits" in format_comparison(rows)


def test_compare_optimizers_classification_and_errors():
    X, y = load_diabetes(return_X_y=True)
    labels = np.where(y > 140, "high", "low")
    rows = compare_optimizers(X, labels, optimizers=["adam"])
    assert rows[0]["model"] == "LogisticRegression"
    assert rows[1]["gap"] > -1e-6  # cannot beat the optimum of the same objective
    with pytest.raises(ValueError, match="unknown optimizers"):
        compare_optimizers(X, y, optimizers=["lbfgs"])


def test_command_prints_the_table(capsys):
    assert main(["--optimizers", "sgd,momentum"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("| model | final objective | gap to optimum | epochs | seconds |")
    table = [line for line in lines if line.startswith("|")]
    assert [line.split("|")[1].strip() for line in table[2:]] == ["closed form", "sgd", "momentum"]
    assert "closed form: scikit-learn's LinearRegression, timed" in captured.out
    assert "fitted momentum in" in captured.err  # progress, one line per optimizer


def test_command_reads_a_csv_and_saves_a_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    species = np.where(X[:, 0] + 0.3 * rng.normal(size=60) > 0, "setosa", "virginica")
    csv = tmp_path / "flowers.csv"
    csv.write_text("width,length,species\n" + "".join(
        f"{a},{b},{s}\n" for (a, b), s in zip(X, species, strict=True)))  # fmt: skip
    png = tmp_path / "curves.png"
    code = main(["--dataset", str(csv), "--target", "species", "--optimizers", "adam",
                 "--plot", str(png)])  # fmt: skip
    assert code == 0
    assert "| LogisticRegression |" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (["--dataset", "missing.csv", "--target", "y"], "No such file"),
        (["--dataset", "data.csv"], "needs --target"),
    ],
)
def test_bad_input_is_one_line_error(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("skgd: error: ") and message in err[-1]


def test_optimizers_takes_any_subset_of_the_presets_in_order():
    parser = build_parser()
    assert parser.parse_args([]).optimizers == list(PRESETS)  # the default: all of them
    for name in PRESETS:
        assert parser.parse_args(["--optimizers", name]).optimizers == [name]
    rng = np.random.RandomState(0)
    for size in range(2, len(PRESETS) + 1):
        subset = list(rng.permutation(list(PRESETS))[:size])
        assert parser.parse_args(["--optimizers", ",".join(subset)]).optimizers == subset
    spaced = parser.parse_args(["--optimizers", " sgd , adam,sgd,"]).optimizers
    assert spaced == ["sgd", "adam"]  # blanks and repeats dropped


@pytest.mark.parametrize(
    "value, named",
    [("adam,foo", "unknown optimizer 'foo'; "),
     ("Adam,lbfgs,sgd", "unknown optimizers 'Adam', 'lbfgs'; "),
     (" , ", "no optimizer named; ")],
)  # fmt: skip
def test_an_unknown_optimizer_is_named_with_the_accepted_ones(value, named):
    """Refused by the parser, before the data are loaded: one line and the usage error code."""
    result = subprocess.run([sys.executable, "-m", "skgd", "--optimizers", value],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line == (f"skgd: error: argument --optimizers: {named}accepted: "
                    f"{', '.join(PRESETS)} (see skgd --help)")  # fmt: skip
    assert result.stdout == ""


def test_bad_option_is_one_line_error():
    result = subprocess.run([sys.executable, "-m", "skgd", "--bogus"], capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "skgd: error: unrecognized arguments: --bogus (see skgd --help)"
    ]
    assert "Traceback" not in result.stderr


def test_help():
    result = subprocess.run([sys.executable, "-m", "skgd", "--help"], capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 0 and "--dataset" in result.stdout and "--plot" in result.stdout


def test_csv_edge_cases(tmp_path):
    from skgd._compare import load_dataset, task_of

    good = tmp_path / "good.csv"
    good.write_text("a,b,price\n1,2,100\n3,4,250\n\n5,6,300\n\n")  # blank lines are skipped
    X, y = load_dataset(str(good), "price")
    assert X.shape == (3, 2) and y.dtype.kind == "i"
    short = tmp_path / "short.csv"
    short.write_text("a,b,y\n1,2,3\n4,5\n")
    with pytest.raises(ValueError, match="data row 2 has 2 fields where the header has 3"):
        load_dataset(str(short), "y")
    assert task_of(np.arange(200)) == "regression"  # many distinct integers: a quantity
    assert task_of(np.array([0, 1, 2, 1])) == "classification"
    assert task_of(np.array([0.5, 1.5])) == "regression"


def test_compare_optimizers_accepts_one_name_and_sparse_input():
    import scipy.sparse as sp

    X, y = load_diabetes(return_X_y=True)
    rows = compare_optimizers(sp.csr_matrix(X), y, optimizers="momentum")
    assert [row["model"] for row in rows] == ["closed form", "momentum"]
    with pytest.raises(ValueError, match="not optimizer="):
        compare_optimizers(X, y, optimizer="adam")


def csv_file(tmp_path, content, encoding="utf-8"):
    path = tmp_path / "data.csv"
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return str(path)


ROWS = "a,b,y\n1,2,3\n2,1,4\n3,5,1\n4,4,2\n"


def test_csv_with_a_byte_order_mark_reads_its_first_column(tmp_path, capsys):
    path = csv_file(tmp_path, "\ufeff" + ROWS.replace("a,b,y", "y,a,b"))
    assert main(["--dataset", path, "--target", "y", "--optimizers", "batch"]) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ("a,b,y\n1,2,3\n\xe9,1,4\n".encode("latin-1"), "not UTF-8 text"),
        ('a,b,y\n1,2,3\n"2,1,4\n3,5,1\n', "not a readable CSV file"),
        ("a,a,y\n1,2,3\n2,1,4\n3,5,1\n", "duplicated column names: a"),
    ],
)
def test_csv_files_as_users_have_them_get_clear_errors(tmp_path, capsys, content, message):
    path = csv_file(tmp_path, content)
    assert main(["--dataset", path, "--target", "y"]) == 1
    error = capsys.readouterr().err
    assert message in error and path in error


def test_a_non_utf8_byte_deep_in_a_file_is_located(tmp_path, capsys):
    """The decoder reads in blocks: the position given is the file's, with its line."""
    rows = "a,b,y\n" + "1,2,3\n" * 20_000
    content = (rows + "\xe9,1,4\n").encode("latin-1")
    path = csv_file(tmp_path, content)
    assert main(["--dataset", path, "--target", "y"]) == 1
    error = capsys.readouterr().err
    assert f"byte 0xe9 at byte offset {len(rows)}, line 20002" in error


def test_string_target_for_regression_is_a_clear_error(tmp_path, capsys):
    path = csv_file(tmp_path, "a,y\n1,cat\n2,dog\n3,cat\n")
    assert main(["--dataset", path, "--target", "y", "--task", "regression"]) == 1
    error = capsys.readouterr().err
    assert "regression needs a numeric target" in error and "'cat'" in error
    assert "np.str_" not in error


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    import skgd._compare

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(skgd._compare, "compare_optimizers", interrupted)
    assert main(["--optimizers", "batch"]) == 130
    assert capsys.readouterr().err.strip().endswith("skgd: interrupted")


def test_ctrl_c_while_the_command_starts_exits_130():
    """Ctrl-C while scikit-learn and numba still load (about two seconds)."""
    import signal
    import time

    # ``python -m skgd``, once the interpreter itself has started (a loaded machine
    # can take longer than the delay below to import ``site``, before any of skgd)
    start = ("import runpy, sys; print('started', flush=True); sys.argv = ['skgd']; "
             "runpy.run_module('skgd', run_name='__main__', alter_sys=True)")  # fmt: skip
    command = subprocess.Popen([sys.executable, "-c", start], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert command.stdout.readline().strip() == "started"
    time.sleep(0.3)
    command.send_signal(signal.SIGINT)
    _, error = command.communicate(timeout=60)
    assert command.returncode == 130, error
    assert "Traceback" not in error and error.strip().endswith("skgd: interrupted")


def test_csv_is_read_in_memory_proportional_to_its_numbers(tmp_path):
    """20,000 rows of 20 numbers (3.2 MB as doubles, 5.3 MB of text) are read in 3.6 MB,
    without holding a string per field (which took 48 MB)."""
    import tracemalloc

    from skgd._compare import load_dataset

    rng = np.random.RandomState(0)
    values = rng.normal(size=(20_000, 20))
    path = tmp_path / "big.csv"
    np.savetxt(path, np.c_[values, rng.randint(0, 3, 20_000)], delimiter=",", fmt="%.10g",
               header=",".join([f"x{i}" for i in range(20)] + ["y"]), comments="")  # fmt: skip
    tracemalloc.start()
    X, y = load_dataset(str(path), "y")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(X, values, rtol=1e-9)
    assert X.shape == (20_000, 20) and set(y) == {0, 1, 2}
    assert peak < 2.5 * X.nbytes + 200 * X.shape[0]  # the numbers, and a label string per row
