"""Coverage-guided fuzzing of every importer (see docs/fuzzing.md)."""
