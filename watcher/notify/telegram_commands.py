"""The command listener: /status, /latest [n], /digest, /mute <hours> and the alert buttons.

It long-polls getUpdates on the :class:`TelegramSender`'s event loop, answers only the
allowed chats, and asks a :class:`CommandHandler` (plain text in, plain text out) for the
answers; the handler runs in a worker thread, so it may block or use the sender.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from telegram import Update
from telegram.error import RetryAfter, TelegramError

from watcher.notify.split import split_plain_text
from watcher.notify.telegram import TelegramSender, retry_seconds, translate_error

log = logging.getLogger(__name__)

HELP = "Commands: /status, /latest [n], /digest, /mute <hours> (0 unmutes). Buttons: Confirmed, Dismiss."
FAILED = "Sorry, that failed; the watcher log has the details."
NOT_ADMIN = "Sorry, only the watcher's admins may confirm or dismiss findings; nothing was changed."
_ASCII_NUMBER = re.compile(r"[0-9]+")  # what a number may look like in a command or a button
_ASCII_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class CommandHandler(Protocol):
    """What answers the analyst's commands and buttons (the lead's implementation); plain text."""

    def status(self) -> str: ...
    def latest(self, n: int) -> str: ...
    def digest(self) -> str: ...
    def mute(self, hours: float) -> str: ...
    def confirm(self, finding_id: int) -> str: ...
    def dismiss(self, finding_id: int) -> str: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    """A command message or a button press, translated from a PTB Update."""

    update_id: int
    chat_id: int | None
    text: str | None = None  # "/latest 3"
    query_id: str | None = None  # a callback query's id
    data: str | None = None  # its callback_data: "confirm:42"
    user_id: int | None = None  # who pressed the button or sent the command


def to_incoming(update: Update) -> Incoming | None:
    query = update.callback_query
    if query is not None:
        chat = query.message.chat.id if query.message is not None else None
        return Incoming(
            update.update_id, chat, query_id=query.id, data=query.data or "", user_id=query.from_user.id
        )
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        user = message.from_user.id if message.from_user is not None else None
        return Incoming(update.update_id, message.chat.id, text=message.text, user_id=user)
    return None


def answer_command(handler: CommandHandler, text: str) -> str:
    """Parses '/name[@bot] [arg]' and asks the handler; usage text for bad arguments."""
    word, _, rest = text.strip().partition(" ")
    name, arg = word[1:].split("@")[0].lower(), rest.strip()
    if name == "status":
        return handler.status()
    if name == "digest":
        return handler.digest()
    if name == "latest":
        n = int(arg) if _ASCII_NUMBER.fullmatch(arg) else (5 if not arg else 0)
        return handler.latest(n) if 1 <= n <= 50 else "Usage: /latest [n], n from 1 to 50"
    if name == "mute":
        hours = float(arg) if _ASCII_DECIMAL.fullmatch(arg) else -1.0
        return (
            handler.mute(hours) if 0 <= hours <= 24 * 30 else "Usage: /mute <hours>, e.g. /mute 2 (0 unmutes)"
        )
    return HELP


def answer_button(handler: CommandHandler, data: str) -> str:
    action, _, ident = data.partition(":")
    if not _ASCII_NUMBER.fullmatch(ident):  # not str.isdigit: '²' and '٣' are digits to it
        return "Unknown button."
    if action == "confirm":
        return handler.confirm(int(ident))
    if action == "dismiss":
        return handler.dismiss(int(ident))
    return "Unknown button."


def may_press(admin_ids: frozenset[int] | None, user_id: int | None) -> bool:
    """Whether this user may Confirm/Dismiss: anyone in an allowed chat unless admins are set."""
    return admin_ids is None or (user_id is not None and user_id in admin_ids)


class TelegramCommands:
    """Long-polls getUpdates on the sender's loop and answers allowed chats only.

    ``start()``/``stop()`` run it in the background (stop it before closing the sender);
    ``poll_once()`` handles one batch synchronously. Chats not in ``allowed_chat_ids`` get
    no answer at all (not even to a button) and are logged at WARNING. With ``admin_ids``
    (WATCHER_TELEGRAM_ADMIN_IDS) only those users may press Confirm/Dismiss; anyone else in an
    allowed chat gets a polite refusal in the button's answer, and the baseline is not touched.
    """

    def __init__(self, sender: TelegramSender, handler: CommandHandler, allowed_chat_ids: Iterable[int], *,
                 poll_timeout: int = 30, backoff: Callable[[int], float] = lambda n: min(60.0, 2.0**n),
                 admin_ids: Iterable[int] | None = None) -> None:  # fmt: skip
        self._sender, self._bot, self._handler = sender, sender._bot, handler
        self.allowed = frozenset(allowed_chat_ids)
        self.admin_ids = frozenset(admin_ids) if admin_ids else None
        self._poll_timeout, self._backoff = poll_timeout, backoff
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = self._sender.loop.run(self._spawn())

    def stop(self, timeout: float = 10.0) -> None:
        """Stops polling and confirms handled updates to Telegram (idempotent)."""
        if self._task is not None:
            self._sender.loop.run(self._cancel(), timeout=timeout)
            self._task = None

    def poll_once(self, timeout: int = 0) -> int:
        """Fetches and handles one batch of updates; returns how many there were."""
        if self.running:
            raise RuntimeError("poll_once while the listener runs in the background")
        try:
            return self._sender.loop.run(
                self._poll_batch(timeout), timeout=timeout + self._sender._timeout * 2 + 5
            )
        except (TelegramError, TimeoutError) as exc:
            raise translate_error(exc, self._sender._token) from exc

    async def _spawn(self) -> asyncio.Task[None]:
        return asyncio.create_task(self._poll_forever(), name="telegram-commands")

    async def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._offset is not None:
            try:
                await self._bot.get_updates(offset=self._offset, timeout=0)
            except TelegramError as exc:
                log.info(
                    "telegram: could not confirm handled updates: %s",
                    translate_error(exc, self._sender._token),
                )

    async def _poll_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._poll_batch(self._poll_timeout)
                failures = 0
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
            except TelegramError as exc:
                failures += 1
                delay = self._backoff(failures)
                log.warning("telegram: getUpdates failed (%s); retrying in %.0f s",
                            translate_error(exc, self._sender._token), delay)  # fmt: skip
                await asyncio.sleep(delay)

    async def _poll_batch(self, timeout: int) -> int:
        updates = await self._bot.get_updates(offset=self._offset, timeout=timeout,
                                              allowed_updates=["message", "callback_query"])  # fmt: skip
        for update in updates:
            self._offset = update.update_id + 1
            incoming = to_incoming(update)
            if incoming is not None:
                await self._handle(incoming)
        return len(updates)

    async def _handle(self, incoming: Incoming) -> None:
        if incoming.chat_id not in self.allowed:
            what = "a button press" if incoming.query_id else f"command {incoming.text!r}"
            log.warning(
                "telegram: ignoring %s from chat %s (not in WATCHER_TELEGRAM_CHAT_IDS)",
                what,
                incoming.chat_id,
            )
            return
        try:
            reply = await asyncio.to_thread(self._answer, incoming)
        except Exception:
            log.exception("telegram: the handler failed on %s", incoming)
            reply = FAILED
        try:
            await self._reply(incoming, reply)
        except TelegramError as exc:
            log.warning(
                "telegram: could not answer chat %s: %s",
                incoming.chat_id,
                translate_error(exc, self._sender._token),
            )

    def _answer(self, incoming: Incoming) -> str:
        if incoming.query_id is not None:
            if not may_press(self.admin_ids, incoming.user_id):
                log.warning("telegram: user %s in chat %s may not change the baseline (not in "
                            "WATCHER_TELEGRAM_ADMIN_IDS)", incoming.user_id, incoming.chat_id)  # fmt: skip
                return NOT_ADMIN
            return answer_button(self._handler, incoming.data or "")
        return answer_command(self._handler, incoming.text or "")

    async def _reply(self, incoming: Incoming, reply: str) -> None:
        if incoming.query_id is not None:
            await self._bot.answer_callback_query(incoming.query_id, text=reply[:200] or None)
            return
        assert incoming.chat_id is not None
        for part in split_plain_text(reply, self._sender._limit) if reply.strip() else []:
            await self._sender._send_plain(incoming.chat_id, part, None)
