"""``python -m skgd`` / ``skgd``: every optimizer against the optimum on one dataset."""

import argparse
import os
import sys

# scikit-learn and numba load in about two seconds: what needs them is imported
# inside ``main``'s handling of Ctrl-C.


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, not the usage block: ``skgd: error: ...``."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    from ._compare import BUNDLED_DATASETS
    from ._optimizers import PRESETS

    parser = _Parser(
        prog="skgd",
        description=(
            "Fit every gradient-descent optimizer, and scikit-learn's default solver of the "
            "same objective (the closed form for regression, LogisticRegression for "
            "classification), on one dataset; print a table of final objective, gap to the "
            "optimum, epochs and seconds of each fit."
        ),
    )
    parser.add_argument(
        "--dataset",
        default="diabetes",
        help=f"a bundled dataset ({', '.join(BUNDLED_DATASETS)}) or a CSV file with a header "
        "row (default: diabetes)",
    )
    parser.add_argument("--target", help="the target column of a CSV dataset")
    parser.add_argument(
        "--task",
        choices=["auto", "regression", "classification"],
        default="auto",
        help="default: regression for a continuous target, else classification",
    )
    parser.add_argument(
        "--optimizers",
        type=optimizer_names,
        default=",".join(PRESETS),
        help=f"comma-separated subset of {','.join(PRESETS)}, fitted in that order (default: all)",
    )
    parser.add_argument("--no-scale", action="store_true", help="do not standardize features")
    parser.add_argument("--plot", metavar="FILE", help="save the loss curves as a PNG")
    return parser


def optimizer_names(text):
    """The presets named in ``text``, comma-separated, in order and each once.

    ``--optimizers`` goes through this, so that a name that is not a preset is
    refused before the data are loaded, by name, with the names accepted.
    """
    from ._optimizers import PRESETS

    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in PRESETS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; accepted: {', '.join(PRESETS)}"
        )
    if not names:
        raise argparse.ArgumentTypeError(f"no optimizer named; accepted: {', '.join(PRESETS)}")
    return names


INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


def main(argv=None):
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print("skgd: interrupted", file=sys.stderr)
        return INTERRUPTED


def console():
    """The ``skgd`` command (and ``python -m skgd``): ``main``'s code as the exit status.

    A Ctrl-C that lands while a C extension evaluates Python code during the
    imports leaves CPython set to end the process by SIGINT at exit, whatever
    ``main`` returned, so after an interrupt the command leaves at once.
    """
    code = main()
    if code == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(argv):
    args = build_parser().parse_args(argv)
    from ._compare import compare_optimizers, format_comparison, load_dataset, task_of

    try:
        X, y = load_dataset(args.dataset, args.target)
        task = task_of(y) if args.task == "auto" else args.task
        print(f"skgd: {args.dataset}, {task}, {X.shape[0]} samples x {X.shape[1]} features"
              f"{'' if args.no_scale else ' (standardized)'}", file=sys.stderr)  # fmt: skip
        rows = compare_optimizers(
            X, y, task=task, optimizers=args.optimizers, scale=not args.no_scale,
            progress=lambda message: print(f"  {message}", file=sys.stderr),
        )  # fmt: skip
        print(format_comparison(rows))
        if args.plot:
            _save_plot(rows, args.plot)
            print(f"skgd: loss curves saved to {args.plot}", file=sys.stderr)
    except (ValueError, OSError, ImportError) as error:
        print(f"skgd: error: {error}", file=sys.stderr)
        return 1
    return 0


def _save_plot(rows, path):
    from ._plotting import LossCurveDisplay, _pyplot

    plt = _pyplot()
    plt.switch_backend("Agg")
    fits = {row["model"]: row["estimator"] for row in rows[1:]}
    display = LossCurveDisplay(loss_curves={k: v.loss_curve_ for k, v in fits.items()},
                               optimum=rows[0]["optimum"]).plot()  # fmt: skip
    display.ax_.set_xscale("log")  # fits run from tens to thousands of epochs
    display.ax_.set_title("Loss curves; dashed: the optimum")
    display.figure_.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(display.figure_)
