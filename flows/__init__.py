"""chitieu: ward indicator submissions to a published DuckDB warehouse."""
