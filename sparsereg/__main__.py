"""``python -m sparsereg`` and the ``sparsereg`` script: the command line of ``sparsereg.cli``,
run as the process's program (SIGTERM stops a command as Ctrl-C does)."""

import sys


def run():
    """The ``sparsereg`` program; returns its exit status."""
    from .cli import _main_as_program

    return _main_as_program()


if __name__ == "__main__":
    sys.exit(run())
