"""TelegramSender and TelegramCommands through python-telegram-bot against the Bot API imitation."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from tests.botapi import BotApiServer, Fault
from watcher.errors import DeliveryError
from watcher.notify.render import AlertView, render_alert_html, render_alert_text
from watcher.notify.telegram import ChatPacer, TelegramDeliveryError, TelegramSender
from watcher.notify.telegram_commands import FAILED, HELP, TelegramCommands
from watcher.types import Finding, FindingKind

# PTB's RetryAfter reads its own deprecated attribute (watcher.notify.telegram filters it outside pytest)
pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type")
CHAT, STRANGER = 4242, 666
HOSTILE = '<script>alert("x")</script> & </b>'


def alert() -> AlertView:
    finding = Finding(FindingKind.NEW_DEAL, ("Microsoft", "OpenAI"), "compute_deal", None, None, "$250 billion",
                      f"They said {HOSTILE}", 0.9, "")  # fmt: skip
    return AlertView(
        finding, f"Big deal {HOSTILE}", "https://news.example.com/a?x=1&y=2", "news.example.com", 3, None
    )


def repr_fault(fault: Fault) -> str:
    return f"{fault.kind}-{fault.status}-{fault.description[:20]}"


def failure(sender: TelegramSender, text: str = "hello") -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        sender.send(CHAT, text, plain_fallback=text)
    return info.value


# -- sending ----------------------------------------------------------------------------------


def test_sends_html_with_buttons_and_everything_escaped(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    view = alert()
    ids = telegram_sender.send(CHAT, render_alert_html(view), plain_fallback=render_alert_text(view),
                               reply_markup_buttons=[("Confirmed", "confirm:7"), ("Dismiss", "dismiss:7")])  # fmt: skip
    assert ids == [1]
    (message,) = botapi.sent_to(CHAT)
    assert message.parse_mode == "HTML"
    assert f"Big deal {HOSTILE}" in message.text and f"They said {HOSTILE}" in message.text
    sent_markup = botapi.calls_to("sendMessage")[0].params["text"]
    assert '<a href="https://news.example.com/a?x=1&amp;y=2">' in sent_markup  # the title is the link
    buttons = message.reply_markup["inline_keyboard"][0]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("Confirmed", "confirm:7"),
        ("Dismiss", "dismiss:7"),
    ]
    assert botapi.calls_to("sendMessage")[0].params["link_preview_options"] == {"is_disabled": True}


def test_flood_control_surfaces_retry_after_exactly(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    botapi.fail("sendMessage", Fault.flood(17))
    error = failure(telegram_sender)
    assert error.retry_after == 17 and not error.permanent
    assert len(botapi.calls_to("sendMessage")) == 1  # no retry of its own: the outbox decides


@pytest.mark.parametrize(
    "fault", [Fault.server_error(500), Fault.server_error(502), Fault.drop()], ids=repr_fault
)
def test_server_errors_and_dropped_connections_are_transient(
    botapi: BotApiServer, telegram_sender: TelegramSender, fault: Fault
) -> None:
    botapi.fail("sendMessage", fault)
    error = failure(telegram_sender)
    assert not error.permanent and error.retry_after is None
    assert telegram_sender.send(CHAT, "again", plain_fallback="again") == [1]  # the sender still works


def test_a_slow_server_times_out_as_transient(botapi: BotApiServer) -> None:
    botapi.fail("sendMessage", Fault.slow(5))
    with TelegramSender(botapi.token, api_url=botapi.url, timeout=0.3, pacer=ChatPacer(0)) as sender:
        error = failure(sender)
    assert not error.permanent and "timed out" in str(error)
    assert isinstance(error, TelegramDeliveryError) and error.outcome_unknown  # Telegram may have sent it


@pytest.mark.parametrize(("fault", "unknown"), [(Fault.drop(), True), (Fault.server_error(502), False),
                                                (Fault.flood(1), False), (Fault.blocked(), False)])  # fmt: skip
def test_outcome_unknown_only_when_the_request_went_out_unanswered(
    botapi: BotApiServer, telegram_sender: TelegramSender, fault: Fault, unknown: bool
) -> None:
    botapi.fail("sendMessage", fault)
    error = failure(telegram_sender)
    assert isinstance(error, TelegramDeliveryError) and error.outcome_unknown is unknown


def test_connection_refused_is_transient_and_surely_not_sent() -> None:
    with BotApiServer() as gone:
        url = gone.url
    with TelegramSender("1:x", api_url=url, timeout=2, pacer=ChatPacer(0)) as sender:
        error = failure(sender)
    assert not error.permanent and isinstance(error, TelegramDeliveryError) and not error.outcome_unknown


@pytest.mark.parametrize(
    "fault",
    [Fault.blocked(), Fault.chat_not_found(), Fault.error(400, "Bad Request: message is too long")],
    ids=repr_fault,
)
def test_rejections_are_permanent(
    botapi: BotApiServer, telegram_sender: TelegramSender, fault: Fault
) -> None:
    botapi.fail("sendMessage", fault)
    assert failure(telegram_sender).permanent


def test_wrong_token_is_permanent_and_never_printed(botapi: BotApiServer) -> None:
    secret = "999999:SECRET-never-print-me"
    with TelegramSender(secret, api_url=botapi.url, timeout=5, pacer=ChatPacer(0)) as sender:
        error = failure(sender)
    assert error.permanent and "WATCHER_TELEGRAM_TOKEN" in str(error)
    assert "SECRET" not in str(error) and "SECRET" not in repr(error.__cause__).replace(secret, "")


def test_parse_error_resends_as_plain_text(botapi: BotApiServer, telegram_sender: TelegramSender) -> None:
    ids = telegram_sender.send(CHAT, "<b>broken <i>html</b>", plain_fallback="broken html, as plain text")
    assert len(ids) == 1
    first, second = botapi.calls_to("sendMessage")
    assert first.params["parse_mode"] == "HTML" and "parse_mode" not in second.params
    assert botapi.sent_to(CHAT)[0].text == "broken html, as plain text"


def test_injected_parse_error_keeps_the_buttons(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    botapi.fail("sendMessage", Fault.parse_error())
    telegram_sender.send(
        CHAT, "<b>ok</b>", plain_fallback="ok", reply_markup_buttons=[("Dismiss", "dismiss:1")]
    )
    (message,) = botapi.sent_to(CHAT)
    assert message.parse_mode is None and message.reply_markup is not None


def test_long_message_is_split_and_every_part_accepted(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    paragraphs = [
        f"<b>Finding {n}</b>\n<blockquote>{'Evidence words &amp; more. ' * 30}</blockquote>"
        for n in range(30)
    ]
    telegram_sender.max_parts = 10  # this test is about splitting; the cap has its own test below
    ids = telegram_sender.send(
        CHAT, "\n\n".join(paragraphs), plain_fallback="x", reply_markup_buttons=[("D", "d:1")]
    )
    messages = botapi.sent_to(CHAT)
    assert len(ids) == len(messages) > 1
    assert all(m.parse_mode == "HTML" for m in messages)
    assert [m.reply_markup is not None for m in messages] == [False] * (len(ids) - 1) + [True]
    assert sum(m.text.count("Finding ") for m in messages) == 30


def test_one_message_never_becomes_more_than_max_parts(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    """Issue 13 (4): a 600 KB headline became 294 messages; now at most three, the last one cut with a note."""
    from watcher.notify.render import MAX_ALERT_PARTS

    huge = "<b>" + "Headline words &amp; more. " * 24_000 + "</b>"  # ~600 KB
    ids = telegram_sender.send(CHAT, huge, plain_fallback="x", reply_markup_buttons=[("D", "d:1")])
    messages = botapi.sent_to(CHAT)
    assert len(ids) == len(messages) == MAX_ALERT_PARTS == 3
    assert messages[-1].text.endswith("…(cut: too long)") and messages[-1].reply_markup is not None
    assert all(m.parse_mode == "HTML" for m in messages)  # every part valid HTML, accepted as such


def test_a_failed_part_reports_what_went_out_and_resumes(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    markup = "\n\n".join(f"<b>Part {n}</b> " + "word " * 700 for n in range(3))
    botapi.fail("sendMessage", Fault.ok(), Fault.flood(3))  # the second part fails
    with pytest.raises(TelegramDeliveryError) as info:
        telegram_sender.send(CHAT, markup, plain_fallback="x")
    assert info.value.sent_message_ids == [1] and info.value.failed_part == 1 and info.value.retry_after == 3
    rest = telegram_sender.send(CHAT, markup, plain_fallback="x", start_part=info.value.failed_part)
    assert len(rest) == 2
    assert [m.text.split()[1] for m in botapi.sent_to(CHAT)] == ["0", "1", "2"]


def test_edit_replaces_text_and_ignores_not_modified(
    botapi: BotApiServer, telegram_sender: TelegramSender
) -> None:
    (mid,) = telegram_sender.send(
        CHAT, "<b>1 source</b>", plain_fallback="1 source", reply_markup_buttons=[("D", "d:1")]
    )
    telegram_sender.edit(CHAT, mid, "<b>3 sources</b> &amp; more")
    telegram_sender.edit(CHAT, mid, "<b>3 sources</b> &amp; more")  # Telegram: "message is not modified"
    message = botapi.sent_to(CHAT)[0]
    assert message.text == "3 sources & more" and message.reply_markup is None
    with pytest.raises(DeliveryError) as info:
        telegram_sender.edit(CHAT, 99, "<b>gone</b>")
    assert info.value.permanent


def test_edit_truncates_what_cannot_fit(botapi: BotApiServer, telegram_sender: TelegramSender) -> None:
    (mid,) = telegram_sender.send(CHAT, "short", plain_fallback="short")
    telegram_sender.edit(CHAT, mid, "<i>" + "long words " * 600 + "</i>")
    text = botapi.sent_to(CHAT)[0].text
    assert text.endswith("…") and len(text) <= 4096


def test_send_from_several_threads(botapi: BotApiServer, telegram_sender: TelegramSender) -> None:
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda n=n: results.append(
        telegram_sender.send(CHAT + n, f"<b>{n}</b>", plain_fallback=str(n)))) for n in range(8)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [[1]] * 8


def test_send_text_is_plain(botapi: BotApiServer, telegram_sender: TelegramSender) -> None:
    telegram_sender.send_text(CHAT, "a <b> & c")
    assert botapi.sent_to(CHAT)[0].text == "a <b> & c" and botapi.sent_to(CHAT)[0].parse_mode is None


def test_pacer_spaces_messages_per_chat() -> None:
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChatPacer(1.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait(1)
    pacer.wait(2)  # another chat: no wait
    assert pacer.delay(1) == 1.0
    pacer.wait(1)
    now[0] += 5
    pacer.wait(1)
    assert slept == [1.0]


def test_long_message_parts_are_paced(botapi: BotApiServer) -> None:
    slept: list[float] = []
    pacer = ChatPacer(1.0, clock=lambda: 0.0, sleep=slept.append)
    with TelegramSender(botapi.token, api_url=botapi.url, timeout=5, pacer=pacer) as sender:
        ids = sender.send(CHAT, "\n\n".join(["word " * 700] * 3), plain_fallback="x")
    assert len(ids) == 3 and slept == [1.0, 2.0]


# -- commands ---------------------------------------------------------------------------------


class Handler:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def status(self) -> str:
        self.calls.append(("status", None))
        return "All good: 12 feeds, 0 failing <b>&"

    def latest(self, n: int) -> str:
        self.calls.append(("latest", n))
        return f"latest {n}"

    def digest(self) -> str:
        self.calls.append(("digest", None))
        return "digest sent"

    def mute(self, hours: float) -> str:
        self.calls.append(("mute", hours))
        return f"muted {hours:g} h"

    def confirm(self, finding_id: int) -> str:
        self.calls.append(("confirm", finding_id))
        return f"confirmed #{finding_id}"

    def dismiss(self, finding_id: int) -> str:
        self.calls.append(("dismiss", finding_id))
        if finding_id == 13:
            raise RuntimeError("database is gone")
        return f"dismissed #{finding_id}"


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def commands(telegram_sender: TelegramSender, handler: Handler) -> Iterator[TelegramCommands]:
    listener = TelegramCommands(telegram_sender, handler, [CHAT], poll_timeout=1, backoff=lambda n: 0.0)
    yield listener
    listener.stop()


@pytest.mark.parametrize(
    ("text", "call", "reply"),
    [
        ("/status", ("status", None), "All good: 12 feeds, 0 failing <b>&"),
        ("/latest", ("latest", 5), "latest 5"),
        ("/latest@watcher_test_bot 3", ("latest", 3), "latest 3"),
        ("/digest", ("digest", None), "digest sent"),
        ("/mute 2.5", ("mute", 2.5), "muted 2.5 h"),
    ],
)
def test_commands_from_the_allowed_chat_are_answered(
    botapi: BotApiServer,
    commands: TelegramCommands,
    handler: Handler,
    text: str,
    call: tuple[str, object],
    reply: str,
) -> None:
    botapi.push_command(CHAT, text)
    assert commands.poll_once() == 1
    assert handler.calls == [call]
    assert [m.text for m in botapi.sent_to(CHAT)] == [reply]


@pytest.mark.parametrize(("text", "reply"), [("/latest lots", "Usage: /latest"), ("/mute", "Usage: /mute"),
                                             ("/mute -1", "Usage: /mute"), ("/help", HELP), ("/start", HELP)])  # fmt: skip
def test_bad_arguments_get_usage(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler, text: str, reply: str
) -> None:
    botapi.push_command(CHAT, text)
    commands.poll_once()
    assert handler.calls == [] and botapi.sent_to(CHAT)[0].text.startswith(reply)


def test_other_chats_get_nothing_and_are_logged(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    botapi.push_command(STRANGER, "/status")
    botapi.push_callback(STRANGER, "confirm:5")
    with caplog.at_level(logging.WARNING, logger="watcher.notify.telegram_commands"):
        assert commands.poll_once() == 2
    assert handler.calls == []
    assert botapi.calls_to("sendMessage") == [] and botapi.calls_to("answerCallbackQuery") == []
    assert [r.levelno for r in caplog.records] == [logging.WARNING] * 2
    assert all(str(STRANGER) in r.getMessage() for r in caplog.records)


def test_buttons_are_answered_with_answer_callback_query(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler
) -> None:
    first = botapi.push_callback(CHAT, "confirm:42")
    second = botapi.push_callback(CHAT, "dismiss:13")  # the handler raises
    third = botapi.push_callback(CHAT, "bogus")
    commands.poll_once()
    assert handler.calls == [("confirm", 42), ("dismiss", 13)]
    answers = {
        c.params["callback_query_id"]: c.params.get("text") for c in botapi.calls_to("answerCallbackQuery")
    }
    assert answers == {first: "confirmed #42", second: FAILED, third: "Unknown button."}
    assert botapi.calls_to("sendMessage") == []


@pytest.mark.parametrize(
    "data", ["dismiss:²", "confirm:٣", "confirm:", "confirm:-1", "confirm:1.5", "nope:1"]
)
def test_buttons_take_only_ascii_digits(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler, data: str
) -> None:
    """Issue 13 (6): 'dismiss:²' raised in the bot (str.isdigit, then int) and 'confirm:٣' was taken as 3."""
    botapi.push_callback(CHAT, data)
    commands.poll_once()
    assert handler.calls == []
    (answer,) = botapi.calls_to("answerCallbackQuery")
    assert answer.params.get("text") == "Unknown button."


@pytest.mark.parametrize("text", ["/latest ²", "/latest ٣", "/mute ٣", "/mute ²"])
def test_commands_take_only_ascii_numbers(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler, text: str
) -> None:
    """Issue 13 (6): '/latest ²' raised (the analyst got 'Sorry, that failed'); now it gets the usage."""
    botapi.push_command(CHAT, text)
    commands.poll_once()
    assert handler.calls == [] and botapi.sent_to(CHAT)[0].text.startswith("Usage: /")


def test_background_listener_answers_and_stops_cleanly(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler
) -> None:
    botapi.fail("getUpdates", Fault.server_error(502), Fault.drop())  # it recovers on its own
    commands.start()
    botapi.push_command(STRANGER, "/status")
    botapi.push_command(CHAT, "/latest 2")
    assert botapi.wait_for(lambda: len(botapi.sent_to(CHAT)) == 1)
    assert botapi.sent_to(CHAT)[0].text == "latest 2" and botapi.sent_to(STRANGER) == []
    with pytest.raises(RuntimeError):
        commands.poll_once()  # only one consumer of getUpdates at a time
    commands.stop()
    assert not commands.running
    assert botapi.pending_updates() == 0  # handled updates were confirmed to Telegram


def test_handled_updates_are_not_fetched_twice(
    botapi: BotApiServer, commands: TelegramCommands, handler: Handler
) -> None:
    botapi.push_command(CHAT, "/digest")
    commands.poll_once()
    assert commands.poll_once() == 0
    assert handler.calls == [("digest", None)]
