"""Conferences and meetings: panels, recommendations, follow-up actions, the calendar."""
