"""Data-protection and human-rights safeguards: whose data a record holds, on which legal
basis and for which purpose, until when; facts and assessments with their source and
grading; consultation and disclosure logged with their justification; the review queue,
subject-access reports, and corrections that reach every recipient.

Library modules: :mod:`.config` (the rules as data), :mod:`.records` (statements,
processing records, transmissions), :mod:`.review`, :mod:`.oversight`, :mod:`.report`.
Grading schemes and handling codes live in :mod:`tocsin.access.grading`.
"""
