"""Engines that run the follow-the-money analytics: embedded (DuckDB) and Spark."""
