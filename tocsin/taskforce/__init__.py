"""The task force workspace: programmes and their results, the organization's
commitments, lessons learned, partners, agreements, events and experts.

Each topic is a subpackage with its own ``tables`` module; import from the
submodules (``tocsin.taskforce.programmes.records`` …).
"""
