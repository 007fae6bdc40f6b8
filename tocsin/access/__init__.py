"""Users, roles, units, handling codes, the read policy and the audit log.

Import from the submodules (``tocsin.access.policy`` …); this package keeps its
``__init__`` empty because :mod:`tocsin.store.base` depends on
:mod:`tocsin.access.handling`.
"""
