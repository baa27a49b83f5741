"""Scale benchmark of trustqa (``make bench``, ``python bench/run.py``): see bench/run.py."""
