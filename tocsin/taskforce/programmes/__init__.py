"""Programmes, projects and activities in one hierarchy, with their finance,
geography, crime areas, justice-chain stages, partners, results and documents."""
