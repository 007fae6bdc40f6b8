"""Programme coherence: the threat picture, coverage of the portfolio, gaps,
overlapping and duplicate activities, and recommendations for fund managers.

The analysis core works on in-memory frames (:mod:`.portfolio`, :mod:`.picture`)
loaded from the database in a few queries, so it also runs on generated
portfolios without a database (``bench/coherence_portfolio.py``). The method —
indicator kinds, grading factors, OCG indicators and weights, thresholds — is
data: ``data/method.yaml`` and ``data/ocg_method.yaml``.
"""
