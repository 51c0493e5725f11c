"""Telegram delivery: a synchronous sender over python-telegram-bot.

PTB is async-only; its coroutines run on one event loop owned by the sender
(:class:`~watcher.notify.loop.LoopThread`), so :meth:`TelegramSender.send` may be called
from any thread (a scheduler job, the CLI). Nothing from PTB leaves this module: callers
get message ids, strings and :class:`~watcher.errors.DeliveryError`.

Pacing and retries belong to the outbox: no ``AIORateLimiter`` here. A flood-control
answer becomes ``DeliveryError(retry_after=<exact seconds>)``; :class:`ChatPacer` spaces
messages to one chat (Telegram allows about one per second per chat).
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from watcher.errors import DeliveryError
from watcher.notify.loop import LoopThread
from watcher.notify.render import MAX_ALERT_PARTS
from watcher.notify.split import (
    TELEGRAM_LIMIT,
    split_plain_text,
    split_telegram_html,
    utf16_len,
    visible_text,
)

log = logging.getLogger(__name__)
# PTB's own RetryAfter.__init__ reads its deprecated int-valued ``retry_after``; we read it
# either way (retry_seconds), so that one warning is noise.
warnings.filterwarnings(
    "ignore", message=r".*attribute `retry_after` will be of type", category=PTBDeprecationWarning
)
CHANNEL = "telegram"
Buttons = Sequence[tuple[str, str]]  # (label, callback_data)
T = TypeVar("T")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # the request never left
CUT_NOTE = "\n…(cut: too long)"


class TelegramDeliveryError(DeliveryError):
    """A send failed at part ``failed_part``; parts before it went out as ``sent_message_ids``.

    Retry with ``send(..., start_part=err.failed_part)`` to avoid repeating earlier parts.
    ``outcome_unknown`` is True when the request reached Telegram but no answer came back
    (a read time-out, a connection dropped after sending): the part may have been delivered.
    """

    def __init__(self, cause: DeliveryError, *, sent_message_ids: list[int], failed_part: int,
                 outcome_unknown: bool = False) -> None:  # fmt: skip
        super().__init__(str(cause).removeprefix(f"{CHANNEL}: "), channel=CHANNEL,
                         permanent=cause.permanent, retry_after=cause.retry_after)  # fmt: skip
        self.sent_message_ids = sent_message_ids
        self.failed_part = failed_part
        self.outcome_unknown = outcome_unknown
        self.timed_out = outcome_unknown and isinstance(cause.__cause__, TimedOut)


class ChatPacer:
    """Spaces messages to one chat at least ``min_interval`` seconds apart (thread-safe).

    ``delay(chat)`` says how long to wait without waiting; ``wait(chat)`` reserves the next
    slot and sleeps until it. Clock and sleep are injectable for tests.
    """

    def __init__(self, min_interval: float = 1.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.min_interval = min_interval
        self._clock, self._sleep = clock, sleep
        self._next: dict[int, float] = {}
        self._lock = threading.Lock()

    def delay(self, chat_id: int) -> float:
        with self._lock:
            return max(0.0, self._next.get(chat_id, 0.0) - self._clock())

    def wait(self, chat_id: int) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(chat_id, now))
            self._next[chat_id] = slot + self.min_interval
        if slot > now:
            self._sleep(slot - now)


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def outcome_unknown(exc: BaseException | None) -> bool:
    """True if Telegram may have acted on a request we got no answer to (not safe to resend blindly)."""
    if not isinstance(exc, NetworkError) or isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, _NOT_SENT)


def is_parse_error(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and "can't parse entities" in exc.message.lower()


def translate_error(exc: BaseException, token: str = "") -> DeliveryError:
    """Maps a PTB/transport error to a DeliveryError (permanent or transient)."""
    detail = str(exc).replace(token, "<token>") if token else str(exc)
    if isinstance(exc, RetryAfter):
        seconds = retry_seconds(exc)
        return DeliveryError(
            f"flood control, retry after {seconds:g} s", channel=CHANNEL, retry_after=seconds
        )
    if isinstance(exc, ChatMigrated):
        hint = f"the group moved to chat id {exc.new_chat_id}: update WATCHER_TELEGRAM_CHAT_IDS"
        return DeliveryError(hint, channel=CHANNEL, permanent=True)
    if isinstance(exc, InvalidToken):
        return DeliveryError("the bot token was rejected: check WATCHER_TELEGRAM_TOKEN", channel=CHANNEL,
                             permanent=True)  # fmt: skip
    if isinstance(exc, BadRequest | Forbidden):
        return DeliveryError(f"rejected: {detail}", channel=CHANNEL, permanent=True)
    if isinstance(exc, TimedOut | TimeoutError):
        return DeliveryError(f"timed out: {detail}", channel=CHANNEL)
    return DeliveryError(f"network or server error: {detail}", channel=CHANNEL)


def _keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]]
    )


class TelegramSender:
    """Sends and edits HTML messages; one event loop thread per sender. Close it when done."""

    def __init__(self, token: str, *, api_url: str = "https://api.telegram.org", timeout: float = 20.0,
                 pacer: ChatPacer | None = None, link_previews: bool = False,
                 limit: int = TELEGRAM_LIMIT, max_parts: int = MAX_ALERT_PARTS) -> None:  # fmt: skip
        self._token = token
        self._timeout = timeout
        self._limit = limit
        self.max_parts = max_parts
        self.pacer = pacer or ChatPacer()
        self._preview = LinkPreviewOptions(is_disabled=not link_previews)
        self._loop = LoopThread("telegram")
        request = HTTPXRequest(
            connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
        )
        polling = HTTPXRequest(
            connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
        )
        self._bot = Bot(
            token, base_url=api_url.rstrip("/") + "/bot", request=request, get_updates_request=polling
        )

    @property
    def loop(self) -> LoopThread:
        return self._loop

    def send(self, chat_id: int, html: str, *, plain_fallback: str, reply_markup_buttons: Buttons | None = None,
             start_part: int = 0) -> list[int]:  # fmt: skip
        """Sends ``html`` (split if long, at most ``max_parts`` messages); returns the message ids sent.

        A part Telegram cannot parse is resent as plain text (``plain_fallback`` for a
        one-part message, else that part's visible text). Buttons go on the last part.
        Raises TelegramDeliveryError (a DeliveryError) naming the part that failed.
        """
        parts = self._parts(html, plain_fallback)
        markup = _keyboard(reply_markup_buttons)
        ids: list[int] = []
        for index in range(start_part, len(parts)):
            part_html, part_plain = parts[index]
            self.pacer.wait(chat_id)
            keyboard = markup if index == len(parts) - 1 else None
            try:
                ids.append(self._call(self._send_part(chat_id, part_html, part_plain, keyboard)))
            except DeliveryError as exc:
                raise TelegramDeliveryError(exc, sent_message_ids=ids, failed_part=index,
                                            outcome_unknown=outcome_unknown(exc.__cause__)) from exc.__cause__  # fmt: skip
        return ids

    def send_text(self, chat_id: int, text: str) -> list[int]:
        """Sends plain text (no parse mode), split if long."""
        ids = []
        for part in split_plain_text(text, self._limit):
            self.pacer.wait(chat_id)
            ids.append(self._call(self._send_plain(chat_id, part, None)))
        return ids

    def edit(self, chat_id: int, message_id: int, html: str, *, plain_fallback: str | None = None,
             reply_markup_buttons: Buttons | None = None) -> None:  # fmt: skip
        """Replaces a message's text (truncated with '…' if too long; the keyboard is replaced too)."""
        parts = split_telegram_html(html, self._limit - 1)
        markup_html = parts[0] if len(parts) == 1 else parts[0] + "…"
        plain = plain_fallback if plain_fallback and len(parts) == 1 else visible_text(markup_html)
        self._call(self._edit(chat_id, message_id, markup_html, plain, _keyboard(reply_markup_buttons)))

    def close(self) -> None:
        """Closes the HTTP connections and stops the loop thread (idempotent)."""
        try:
            self._loop.run(self._bot.shutdown(), timeout=self._timeout)
        except (RuntimeError, TimeoutError, TelegramError):
            log.debug("telegram: shutdown was not clean", exc_info=True)
        self._loop.close()

    def __enter__(self) -> TelegramSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------

    def _parts(self, html: str, plain_fallback: str) -> list[tuple[str, str]]:
        html_parts = split_telegram_html(html, self._limit)
        if len(html_parts) > self.max_parts:
            log.warning("telegram: a message of %d parts cut to %d", len(html_parts), self.max_parts)
            room = self._limit - utf16_len(CUT_NOTE)
            last = split_telegram_html(html_parts[self.max_parts - 1], room)[0] + CUT_NOTE  # no markup in it
            html_parts = [*html_parts[: self.max_parts - 1], last]
        if len(html_parts) == 1 and utf16_len(plain_fallback) <= self._limit:
            return [(html_parts[0], plain_fallback)]
        return [(part, visible_text(part)) for part in html_parts]

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self._loop.run(coro, timeout=self._timeout * 2 + 5)
        except (TelegramError, TimeoutError) as exc:
            raise translate_error(exc, self._token) from exc

    async def _send_part(
        self, chat_id: int, html: str, plain: str, markup: InlineKeyboardMarkup | None
    ) -> int:
        try:
            message = await self._bot.send_message(chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                                   link_preview_options=self._preview)  # fmt: skip
        except BadRequest as exc:
            if not is_parse_error(exc):
                raise
            log.warning(
                "telegram: chat %s could not parse our HTML (%s); resending as plain text", chat_id, exc
            )
            return await self._send_plain(chat_id, plain, markup)
        return message.message_id

    async def _send_plain(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> int:
        message = await self._bot.send_message(
            chat_id, text, reply_markup=markup, link_preview_options=self._preview
        )
        return message.message_id

    async def _edit(self, chat_id: int, message_id: int, html: str, plain: str,
                    markup: InlineKeyboardMarkup | None) -> None:  # fmt: skip
        try:
            await self._bot.edit_message_text(html, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                                              reply_markup=markup, link_preview_options=self._preview)  # fmt: skip
        except BadRequest as exc:
            if "message is not modified" in exc.message.lower():
                return
            if not is_parse_error(exc):
                raise
            log.warning("telegram: could not parse our HTML for an edit (%s); using plain text", exc)
            await self._bot.edit_message_text(plain, chat_id=chat_id, message_id=message_id, reply_markup=markup,
                                              link_preview_options=self._preview)  # fmt: skip
