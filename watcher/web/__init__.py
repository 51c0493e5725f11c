"""The web dashboard: routes, templates, auth (Flask, server-rendered)."""
