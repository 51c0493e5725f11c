"""The baseline: what the analyst already knows.

``facts`` (the curated facts, their YAML form and checks), ``seeds`` (the seed articles
the facts are read from) and ``build`` (drafting facts from the seeds with the differ).
Pure apart from reading the files it is given; imports nothing of ingest, store, notify,
web or cli. Modules are imported by their full name; nothing is imported here.
"""
