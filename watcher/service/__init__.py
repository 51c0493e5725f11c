"""The long-running service: ``scheduler`` (``watcher run``: poll, deliver and digest
jobs under APScheduler, signals) and ``health`` (``/healthz`` and ``/metrics``).
Modules are imported by their full name; nothing is imported here.
"""
