"""Learning from files bigger than memory: streaming readers, training and prediction.

:func:`fit_stream` reads batches (CSV, gzip'd CSV and Parquet through pyarrow's
streaming readers, SVMlight through scikit-learn, or any iterable of batches),
hashes them with the Pipeline's transformers, scores each batch before training on
it (progressive validation), holds rows out, runs several passes, and saves
checkpoints from which a run resumes to the same model, to the bit. The command
line ``sparsereg`` is built on it. Reading files needs ``pip install "sparsereg[stream]"``.
"""

from ._fit import StreamFit, StreamProgress, fit_stream
from ._history import StreamHistory
from ._readers import open_source
from ._source import Chunk, Position, Source

__all__ = [
    "Chunk",
    "Position",
    "Source",
    "StreamFit",
    "StreamHistory",
    "StreamProgress",
    "fit_stream",
    "open_source",
]
