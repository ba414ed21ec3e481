"""chitieu: ward indicator submissions to a published DuckDB warehouse.

The modules at this level are what Prefect runs: ``nightly`` (the flow, one task per
stage), ``serve`` (its deployment on a cron schedule) and ``watch`` (the flow in a warm
process, a night after each change), beside ``settings``, ``progress`` and
``subprocesses``, which every part may use. The library under them is organised by
role; see docs/architecture.md.
"""
