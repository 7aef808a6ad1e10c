"""Type aliases of the public signatures (annotations only: nothing here is checked at run time)."""

import os
from typing import IO

from numpy.typing import ArrayLike
from scipy.sparse import sparray, spmatrix

#: what ``fit`` / ``predict`` take: an array-like (a pandas DataFrame included, through its
#: ``__array__``) or a SciPy sparse matrix or array
MatrixLike = ArrayLike | spmatrix | sparray
#: a file name, a path, or (where the function says so) an open binary file
FileLike = str | os.PathLike | IO[bytes]

__all__ = ["ArrayLike", "FileLike", "MatrixLike"]
