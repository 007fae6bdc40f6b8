"""IATI 2.03 activity files: read (streaming, validated, all or nothing) and write
(valid against the IATI schemas bundled in ``schemas/``, byte-stable)."""
