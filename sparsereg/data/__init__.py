"""Data bundled for the demo: the Google ML crash course split of California housing (1990 census)."""
