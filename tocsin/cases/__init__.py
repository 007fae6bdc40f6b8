"""Cases and asset recovery: subjects, team, notes and tasks; assets from identification
to disposal; international co-operation requests, their letters and the record of
exchanges; the competent authorities directory; the statistics an asset-recovery office
reports.

Library modules: :mod:`.records` (cases), :mod:`.assets`, :mod:`.requests`,
:mod:`.authorities`, :mod:`.letters`, :mod:`.stats`. The web and CLI only call them.
"""
