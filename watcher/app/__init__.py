"""The composition root: one watcher assembled from its stages.

``root`` (:class:`~watcher.app.root.Watcher`: settings, store, baseline and channels put
together), ``pipeline`` (one poll cycle: ingest -> differ -> store -> outbox), ``backfill``
(the same path over a folder or a list of addresses), ``queries`` (read-only views for
the CLI, the bot and the web page) and ``botcommands`` (what the bot's commands do).
Modules are imported by their full name; nothing is imported here.
"""
