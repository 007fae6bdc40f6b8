"""Follow the money: ingest, the canonical Parquet layout, engines, trace, detectors, scoring."""
