"""The web platform: server-rendered pages, the JSON API under /api/v1, static assets."""
