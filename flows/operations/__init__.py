"""Running chitieu: the CLI, exit codes, run lock, warm-up, status and Dask."""
