"""A local imitation of the Telegram Bot API, for tests of anything that talks to Telegram.

Start it (or use the ``botapi`` fixture from ``tests/conftest_notify.py``)::

    with BotApiServer() as api:                       # threaded, 127.0.0.1, a free port
        bot = telegram.Bot(api.token, base_url=api.url + "/bot")
        # or Settings(telegram_token=api.token, telegram_api_url=api.url, ...)

What it does, like Telegram:

* ``POST /bot<token>/<method>`` for getMe, sendMessage, editMessageText, getUpdates,
  answerCallbackQuery (deleteWebhook/setMyCommands/close answer ``true``); a wrong token
  gets 401, an unknown method 404. Parameters are read from form, JSON or query bodies.
* ``parse_mode=HTML`` is validated: unsupported or unbalanced tags, a bare ``<`` or an
  unknown named entity get ``400 Bad Request: can't parse entities: ...``; the length is
  counted after entity parsing in UTF-16 units (> 4096 gets ``400 Bad Request: message is
  too long``; empty text ``message text is empty``).
* getUpdates long-polls: it waits up to ``timeout`` seconds for updates the test pushes
  with :meth:`push_command` / :meth:`push_callback`; ``offset`` confirms earlier ones.

What the test sees and controls:

* ``api.calls`` (every request: method and parsed params, faulted ones too),
  ``api.calls_to("sendMessage")``, ``api.messages`` (messages as stored, with edits),
  ``api.wait_for(lambda: ...)`` to wait for something to happen without sleeping.
* ``api.fail("sendMessage", Fault.flood(3), Fault.drop())``: the next calls of that method
  get those faults in order (``"*"`` matches any method). Faults: ``flood(n)`` (429 with
  ``retry_after``), ``server_error(500|502)``, ``drop()`` (the socket is closed without an
  answer), ``ok()`` (a normal answer, to skip a call), ``parse_error()``, ``blocked()`` (403), ``chat_not_found()``, ``error(code, text)``,
  ``slow(seconds)`` (answers normally, late).
* ``api.known_chats = {1, 2}``: sendMessage to another chat gets ``400 chat not found``.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TELEGRAM_LIMIT = 4096
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "blockquote", "span", "tg-spoiler", "tg-emoji"}  # fmt: skip
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_JSON_PARAMS = {"reply_markup", "link_preview_options", "allowed_updates", "entities", "reply_parameters"}
_INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "timeout"}
_MARKUP = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>|<|&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z0-9]+);"
)


class ParseError(Exception):
    """The text is not valid Telegram HTML (message as Telegram words it)."""


def parse_telegram_html(markup: str) -> str:
    """The visible text of ``markup`` as Telegram parses it; raises ParseError like Telegram."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _MARKUP.finditer(markup):
        out.append(markup[pos : m.start()])
        pos = m.end()
        offset = len(markup[: m.start()].encode())
        if m.group(0) == "<":
            raise ParseError(f"Unsupported start tag at byte offset {offset}")
        if m.group(4):
            out.append(_entity(m.group(4), offset))
        elif m.group(1):
            if not stack or stack[-1] != m.group(2).lower():
                raise ParseError(f'Unexpected end tag "{m.group(2)}" at byte offset {offset}')
            stack.pop()
        else:
            name = m.group(2).lower()
            if name not in _ALLOWED_TAGS:
                raise ParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
            stack.append(name)
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    out.append(markup[pos:])
    return "".join(out)


def _entity(body: str, offset: int) -> str:
    if body.startswith("#"):
        return html.unescape(f"&{body};")
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body]
    raise ParseError(f'Unsupported HTML entity "&{body};" at byte offset {offset}')


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or before) answering one call."""

    kind: str  # "error" | "drop" | "slow" | "ok"
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0

    @classmethod
    def ok(cls) -> Fault:
        """No fault: answer this call normally (to fail a later call: fail(m, Fault.ok(), Fault.drop()))."""
        return cls("ok")

    @classmethod
    def flood(cls, retry_after: int) -> Fault:
        return cls("error", 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("error", status, "Internal Server Error" if status == 500 else "Bad Gateway")

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def parse_error(cls) -> Fault:
        return cls("error", 400, "Bad Request: can't parse entities: Unsupported start tag at byte offset 0")

    @classmethod
    def blocked(cls) -> Fault:
        return cls("error", 403, "Forbidden: bot was blocked by the user")

    @classmethod
    def chat_not_found(cls) -> Fault:
        return cls("error", 400, "Bad Request: chat not found")

    @classmethod
    def error(cls, status: int, description: str) -> Fault:
        return cls("error", status, description)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", delay=seconds)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    fault: Fault | None = None


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    text: str  # visible text after entity parsing
    raw: str  # the text parameter as sent
    parse_mode: str | None
    reply_markup: Any = None
    edits: list[str] = field(default_factory=list)  # raw texts of later edits


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


class BotApiServer:
    """The fake Bot API; see the module docstring."""

    def __init__(self, token: str = "123456:TEST-token", host: str = "127.0.0.1"):
        self.token = token
        self.known_chats: set[int] | None = None
        self.calls: list[Call] = []
        self.messages: list[StoredMessage] = []
        self._faults: dict[str, list[Fault]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message: dict[int, int] = {}
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="botapi", daemon=True
        )

    @property
    def url(self) -> str:
        """The API root, as ``Settings.telegram_api_url`` takes it (no ``/bot`` suffix)."""
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> BotApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ---------------------------------------------------------------

    def fail(self, method: str, *faults: Fault) -> None:
        with self._cond:
            self._faults.setdefault(method, []).extend(faults)

    def push_command(self, chat_id: int, text: str, *, user_id: int | None = None) -> int:
        """Queues a message (e.g. "/latest 3") from ``chat_id``; returns its update_id."""
        message = self._message_json(chat_id, self._next_id(chat_id), text, user_id=user_id)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push({"message": message})

    def push_callback(
        self, chat_id: int, data: str, *, message_id: int = 1, user_id: int | None = None
    ) -> str:
        """Queues a button press with ``callback_data`` from ``chat_id``; returns the query id."""
        query_id = f"cq{self._next_update}"
        query = {"id": query_id, "from": self._user(user_id or chat_id), "chat_instance": str(chat_id),
                 "data": data, "message": self._message_json(chat_id, message_id, "alert")}  # fmt: skip
        self._push({"callback_query": query})
        return query_id

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[StoredMessage]:
        with self._cond:
            return [m for m in self.messages if m.chat_id == chat_id]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Waits until ``predicate()`` holds (re-checked after every call); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    # -- request handling (called by the handler thread) --------------------------------

    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """Returns (status, body), or None to drop the connection."""
        with self._cond:
            fault = self._take_fault(method)
            self.calls.append(Call(method, params, fault))
            self._cond.notify_all()
        if fault and fault.kind == "drop":
            return None
        if fault and fault.kind == "slow":
            self._stopping.wait(fault.delay)
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if fault and fault.kind == "error":
                raise ApiError(fault.status, fault.description, fault.retry_after)
            result = self._dispatch(method, params)
        except ApiError as exc:
            body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return exc.status, body
        return 200, {"ok": True, "result": result}

    def _take_fault(self, method: str) -> Fault | None:
        for key in (method, "*"):
            if self._faults.get(key):
                return self._faults[key].pop(0)
        return None

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: self._user(1, bot=True),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message,
            "getUpdates": self._get_updates,
            "answerCallbackQuery": lambda p: True,
            "deleteWebhook": lambda p: True,
            "setMyCommands": lambda p: True,
            "close": lambda p: True,
        }
        if method not in handlers:
            raise ApiError(404, "Not Found")
        return handlers[method](params)

    def _checked_text(self, params: dict[str, Any]) -> str:
        raw = str(params.get("text", ""))
        try:
            text = parse_telegram_html(raw) if str(params.get("parse_mode", "")).upper() == "HTML" else raw
        except ParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text.strip()) > TELEGRAM_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or (self.known_chats is not None and chat_id not in self.known_chats):
            raise ApiError(400, "Bad Request: chat not found")
        text = self._checked_text(params)
        stored = StoredMessage(chat_id, self._next_id(chat_id), text, str(params["text"]),
                               params.get("parse_mode"), params.get("reply_markup"))  # fmt: skip
        with self._cond:
            self.messages.append(stored)
            self._cond.notify_all()
        return self._message_json(chat_id, stored.message_id, text, from_bot=True)

    def _edit_message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            found = [m for m in self.messages
                     if m.chat_id == params.get("chat_id") and m.message_id == params.get("message_id")]  # fmt: skip
        if not found:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._checked_text(params)
        message = found[0]
        if text == message.text and params.get("reply_markup") == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same")  # fmt: skip
        with self._cond:
            message.text, message.reply_markup = text, params.get("reply_markup")
            message.edits.append(str(params["text"]))
            self._cond.notify_all()
        return self._message_json(message.chat_id, message.message_id, text, from_bot=True)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self._updates[:limit])

    # -- JSON builders -----------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def _next_id(self, chat_id: int) -> int:
        with self._cond:
            self._next_message[chat_id] = self._next_message.get(chat_id, 0) + 1
            return self._next_message[chat_id]

    @staticmethod
    def _user(user_id: int, bot: bool = False) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": bot, "first_name": "watcher" if bot else "Analyst"}
        if bot:
            user["username"] = "watcher_test_bot"
        return user

    def _message_json(self, chat_id: int, message_id: int, text: str, *, from_bot: bool = False,
                      user_id: int | None = None) -> dict[str, Any]:  # fmt: skip
        return {"message_id": message_id, "date": int(time.time()), "text": text,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "chat"},
                "from": self._user(1, bot=True) if from_bot else self._user(user_id or chat_id)}  # fmt: skip


def _parse_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any]
    if "json" in content_type and body:
        params = json.loads(body)
    else:
        raw = parse_qs(body.decode() if body else query, keep_blank_values=True)
        params = {key: values[-1] for key, values in raw.items()}
        for key in _JSON_PARAMS & params.keys():
            params[key] = json.loads(params[key])
    for key in _INT_PARAMS & params.keys():
        if isinstance(params[key], str) and re.fullmatch(r"-?\d+", params[key]):
            params[key] = int(params[key])
    return params


def _handler_for(api: BotApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no 40 ms Nagle + delayed-ACK stall per answer

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            m = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", parts.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not m:
                self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            params = _parse_params(self.headers.get("Content-Type", ""), body, parts.query)
            answer = api.handle(m.group(1), m.group(2), params)
            if answer is None:
                self._drop()
            else:
                self._answer(*answer)

        do_GET = do_POST

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
