"""Running the nightly safely: one writer per warehouse, runs of dead processes recovered, checks before a run."""
