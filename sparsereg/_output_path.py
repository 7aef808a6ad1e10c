"""Whether a file can be written where a call will write it at its end (``atomic_file``):
asked before any work, so that hours of training do not end in a failed rename."""

import os

from ._atomic import resolved_path


class OutputPathError(ValueError):
    """A path that cannot be a file written: ``misnamed`` when it names no file, or a folder
    or device (a usage error on the command line), else its folder cannot be written;
    ``quoted``: whether a message shows the path quoted (an empty one is seen only so)."""

    def __init__(self, reason, misnamed, quoted=False):
        super().__init__(reason)
        self.reason = reason
        self.misnamed = misnamed
        self.quoted = quoted


def check_output_path(path):
    """The path written for ``path`` (a symbolic link's target: it is written through).
    Raise ``OutputPathError`` (whose ``reason`` follows the path in a message) if ``path``
    exists but is no regular file (a folder: the file renamed over it at the end would fail),
    names no file (empty, or ending in a folder separator), or its folder (its target's, for
    a symbolic link) is missing or not writable."""
    if os.path.exists(path) and not os.path.isfile(path):
        what = "a directory" if os.path.isdir(path) else "not a regular file"
        raise OutputPathError(f"is {what}; give the path of a file to write.", True)
    if not os.path.basename(os.fsdecode(path)):
        raise OutputPathError(
            "names no file (empty, or ending in a folder separator); give the path of a file "
            "to write.",
            True,
            quoted=True,
        )
    try:
        written = resolved_path(path)
    except OSError as exc:
        raise OutputPathError(f"cannot be written: {exc.strerror}.", False) from None
    folder = os.path.dirname(os.path.abspath(written))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise OutputPathError(f"cannot be written: {folder} is not a writable folder.", False)
    return written
