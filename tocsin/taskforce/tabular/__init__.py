"""Bulk CSV and Excel: templates for activities, validated all-or-nothing imports,
and formula-safe exports of any selection."""
