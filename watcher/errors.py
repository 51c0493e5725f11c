"""watcher's own exceptions: one root, one subclass per boundary.

Each error says what went wrong and what to do, names the url/path/channel involved, and
chains the third-party cause (``raise FetchError(...) from exc``). Messages never carry
page content or secrets.
"""

from __future__ import annotations

from enum import StrEnum


class WatcherError(Exception):
    """Root of every error watcher raises on purpose."""


class ConfigError(WatcherError):
    """A setting or a config file is invalid; the message names the variable or file."""


class BaselineError(WatcherError):
    """The baseline fact file is missing or invalid."""

    def __init__(self, message: str, *, path: str | None = None, problems: list[str] | None = None):
        super().__init__(message)
        self.path = path
        self.problems = problems or []


class FetchErrorKind(StrEnum):
    """Why a fetch failed. A ``StrEnum``: the value is what is stored (``feeds.last_error_kind``), printed
    and used as the metrics label (``watcher_fetch_errors{kind=...}``)."""

    NETWORK = "network"  # connection refused or dropped, DNS, TLS
    TIMEOUT = "timeout"  # no complete response within WATCHER_HTTP_TIMEOUT
    STATUS = "status"  # an HTTP status that is not a success (4xx, 5xx)
    TOO_LARGE = "too_large"  # over WATCHER_MAX_PAGE_BYTES, as sent or as decompressed
    REFUSED = "refused"  # not a fetchable URL, or a private address
    REDIRECTS = "redirects"  # too many redirects, or a loop
    DECODE = "decode"  # a body that cannot be decompressed


class FetchError(WatcherError):
    """An HTTP fetch failed (network, status, size cap, refused address)."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        kind: FetchErrorKind = FetchErrorKind.NETWORK,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(f"{message} ({url})")
        self.url = url
        self.kind = FetchErrorKind(kind)
        self.status = status
        self.retry_after = retry_after


class FetchCancelled(WatcherError):
    """A fetch was cancelled because watcher is stopping (SIGTERM). Not a failure of the feed or
    page: whatever it was for is left unprocessed and done on the next cycle."""

    def __init__(self, *, url: str):
        super().__init__(f"fetch cancelled: watcher is stopping; it is retried on the next start ({url})")
        self.url = url


class FeedParseError(WatcherError):
    """A feed's bytes could not be parsed into entries."""

    def __init__(self, message: str, *, url: str):
        super().__init__(f"{message} ({url})")
        self.reason, self.url = message, url


class ExtractionError(WatcherError):
    """Article text could not be extracted from a page."""

    def __init__(self, message: str, *, url: str | None):
        super().__init__(
            f"{message} ({url})" if url else message
        )  # no url: a local file, named by the caller
        self.url = url or ""


class StorageError(WatcherError):
    """The database could not be reached or migrated, or refused what was written.

    ``transient`` is True when the database went away (restart, network) or failed as a whole
    (SQLite locked, disk full): the transaction's work is retried as a whole later. Otherwise the
    database refused this one statement (a constraint, a value it cannot store) and the caller
    records it against the item in hand.
    """

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class NoDatabaseError(StorageError):
    """A read-only command found no database to read (nothing polled yet); it creates none."""


class DeliveryError(WatcherError):
    """A message could not be delivered on a channel."""

    def __init__(
        self, message: str, *, channel: str, permanent: bool = False, retry_after: float | None = None
    ):
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.permanent = permanent
        self.retry_after = retry_after
