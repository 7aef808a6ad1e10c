"""The command line of the plain-C FTRL loop (ftrl_limit.py, found by --c-limit or
$SPARSEREG_C_LIMIT) that the speed benchmarks run as their peer."""

import sys


def c_limit_command(c_limit, folder, variants, reps, *, alpha, beta, l1, l2):
    """``ftrl_limit.py`` on ``folder``'s X.npz and y.npy: ``variants`` (comma-separated),
    ``reps`` epochs each, the paper's absolute alpha (eta0), beta and lambdas."""
    return [
        sys.executable,
        str(c_limit),
        str(folder / "X.npz"),
        str(folder / "y.npy"),
        "--alpha",
        str(alpha),
        "--beta",
        str(beta),
        "--l1",
        str(l1),
        "--l2",
        str(l2),
        "--variants",
        variants,
        "--reps",
        str(reps),
    ]
