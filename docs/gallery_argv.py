"""Command-line arguments the documentation build gives the gallery's scripts."""

from pathlib import Path


def reset_argv(gallery_conf, script_vars):
    """``sys.argv[1:]`` for an example: ``l1_vs_l2.py`` draws its figure without writing it."""
    if Path(script_vars["src_file"]).name == "l1_vs_l2.py":
        return ["--out", "-"]
    return []
