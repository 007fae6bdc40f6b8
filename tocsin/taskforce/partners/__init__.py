"""Partner organizations, focal points, co-operation agreements and the co-operation network."""
