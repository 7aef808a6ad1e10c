"""``python -m sparsereg`` and the ``sparsereg`` script: the command line of ``sparsereg.cli``,
run as the process's program (SIGTERM stops a command as Ctrl-C does)."""

import sys

_EXIT_INTERRUPTED = 130  # 128 + SIGINT, as the command's own Ctrl-C


def run():
    """The ``sparsereg`` program; returns its exit status."""
    try:
        # numpy, scikit-learn and the parsing of the options, before the command's own
        # Ctrl-C handling begins: a second in which Ctrl-C printed a traceback
        from .cli import _main_as_program

        return _main_as_program()
    except KeyboardInterrupt:
        print("sparsereg: interrupted.", file=sys.stderr)
        return _EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(run())
