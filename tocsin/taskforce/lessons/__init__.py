"""Lessons learned: observations, their cycle to a validated lesson, and lessons to design."""
