"""Great Expectations quality gates: run the suites of ``expectations/`` in the warehouse."""
