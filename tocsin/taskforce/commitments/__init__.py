"""The organization's commitments: instruments of the acquis broken into
paragraph- or article-level commitments, their assessments and the
programmes behind them."""
