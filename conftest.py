"""Doctests of optional modules are collected only where their extras are installed."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("distributed") else ["sparsereg/dask.py"]
