"""Learning from files bigger than memory: readers that yield batches of rows.

See :func:`open_source`. CSV and Parquet need pyarrow and pandas
(``pip install "sparsereg[stream]"``), imported when such a file is opened.
"""

from ._readers import Chunk, Position, Source, open_source

__all__ = ["Chunk", "Position", "Source", "open_source"]
