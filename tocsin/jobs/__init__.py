"""Background jobs kept as database rows, run by a small thread pool in every server process.

See :mod:`tocsin.jobs.runner` for the runner and :mod:`tocsin.jobs.tables` for the row.
"""
