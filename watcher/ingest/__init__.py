"""Ingest: everything between a feed's address and an article's text.

``feeds`` (the feeds file, parsing a feed, what to fetch) with ``feed_parser`` (parsing in a
worker process under a time budget), ``http`` (the HTTP client and its policy) with ``deadlines``
(one deadline over a whole request) and ``addresses`` (which hosts may be fetched), ``extract`` (page
text under a time budget), both over the worker processes of ``worker``, the extraction itself in
``pagetext`` (decoding, metadata, trafilatura), ``articles_io`` (articles read from files and addresses for ``diff`` and
``backfill``), and ``stories`` (which articles tell one story).
Modules are imported by their full name; nothing is imported here.
"""
