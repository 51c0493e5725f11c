"""Ingest: everything between a feed's address and an article's text.

``feeds`` (the feeds file, fetching and parsing a feed, what to fetch), ``http`` (the HTTP
client and its policy) with ``deadlines`` (one deadline over a whole request) and
``addresses`` (which hosts may be fetched), ``extract`` (page text under a time budget) with its
worker process ``extract_worker``, both calling the extraction itself in ``pagetext`` (decoding,
metadata, trafilatura), ``articles_io`` (articles read from files and addresses for ``diff`` and
``backfill``), and ``stories`` (which articles tell one story).
Modules are imported by their full name; nothing is imported here.
"""
