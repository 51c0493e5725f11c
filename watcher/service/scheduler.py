"""APScheduler wiring for `watcher run`: jobs only trigger work; claims on work are in the database.

One scheduler per process. Poll cycles run every WATCHER_POLL_INTERVAL seconds with jitter,
the outbox is drained every few seconds, the digest runs at WATCHER_DIGEST_TIME in
WATCHER_TIMEZONE with no misfire limit (a late run still sends) and is also checked at start
and every half hour, so a digest missed while watcher was down goes out once (but none for the
time before the database's first start: a fresh install sends its first digest at the next slot).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.errors import FetchCancelled, WatcherError
from watcher.text import plural

if TYPE_CHECKING:
    from watcher.app.root import Watcher

log = logging.getLogger(__name__)
DELIVER_EVERY = 10  # seconds
STOP_GRACE = 5.0  # seconds a signal gives running jobs before the process exits regardless


def guarded(name: str, fn: Callable[[], Any], w: Watcher) -> Callable[[], None]:
    """A job that logs its failure instead of taking the scheduler down, counts it, and records a heartbeat.

    A stop (fetch cancelled) is a warning. A watcher error (the database went away) is logged on one line;
    any other exception is a bug: logged with its traceback. Both are counted in
    ``watcher_job_failures{job,kind}`` and shown as ``last_failure`` by /healthz; the job runs again at its
    next time (a poll cycle's unfinished feeds were released, so they are polled then)."""

    def job() -> None:
        try:
            fn()
        except FetchCancelled as exc:
            log.warning("%s stopped: %s", name, exc)
        except WatcherError as exc:
            log.error("%s failed: %s", name, exc)
            w.metrics.observe_failure(name, exc)
        except Exception as exc:
            log.exception("%s failed with a bug (not an expected failure; please report it)", name)
            w.metrics.observe_failure(name, exc)
        finally:
            try:
                w.store.set_state(f"heartbeat:{w.owner}", {"at": datetime.now(UTC).isoformat(), "job": name})
            except Exception:  # noqa: BLE001 - the database may be down; the next beat will say so
                log.debug("heartbeat not recorded", exc_info=True)

    return job


def cycle_summary(report: Any) -> str:
    """``13 feeds polled, 4 new entries, 2 findings, 1 alert queued, 1 feed failed``."""
    return ", ".join(
        [
            plural(report.feeds_polled, "feed") + " polled",
            plural(report.entries_new, "new entry", "new entries"),
            plural(report.findings, "finding"),
            plural(report.alerts_queued, "alert") + " queued",
            plural(report.feeds_failed, "feed") + " failed",
        ]
    )


def build_scheduler(w: Watcher) -> BlockingScheduler:
    s = w.settings
    sched = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    jitter = max(1, min(60, s.poll_interval // 10))

    def poll() -> None:
        report, _ = w.poll_once(deadline=0)
        job = sched.get_job("poll")
        upcoming = job.next_run_time if job is not None else None
        log.info(
            "poll cycle done in %.1fs: %s; next poll at %s",
            report.duration,
            cycle_summary(report),
            upcoming.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if upcoming else "(stopping)",
        )

    sched.add_job(
        guarded("poll", poll, w),
        IntervalTrigger(seconds=s.poll_interval, jitter=jitter),
        id="poll",
        next_run_time=datetime.now(UTC),
        misfire_grace_time=s.poll_interval,
    )
    sched.add_job(
        guarded("deliver", w.deliver, w),
        IntervalTrigger(seconds=DELIVER_EVERY),
        id="deliver",
        misfire_grace_time=60,
    )
    sched.add_job(
        guarded("digest", w.digest.send_due, w),
        CronTrigger(hour=s.digest_time.hour, minute=s.digest_time.minute, timezone=s.tz),
        id="digest",
        misfire_grace_time=None,
    )
    sched.add_job(
        guarded("digest-catch-up", w.digest.send_due, w),
        IntervalTrigger(minutes=30),
        id="digest-catch-up",
        next_run_time=datetime.now(UTC),
        misfire_grace_time=None,
    )
    return sched


def start_listener(w: Watcher) -> Any:
    """Starts the Telegram command listener when a bot is configured; returns it (or None)."""
    from watcher.app.botcommands import BotHandler
    from watcher.notify.channels import TelegramChannel
    from watcher.notify.telegram_commands import TelegramCommands

    channel = w.channels.get("telegram")
    if not isinstance(channel, TelegramChannel):
        return None
    listener = TelegramCommands(
        channel.sender,
        BotHandler(w),
        w.settings.telegram_chat_ids,
        admin_ids=w.settings.telegram_admin_ids or None,
    )
    listener.start()
    return listener


def run_forever(w: Watcher, *, grace: float = STOP_GRACE) -> None:
    """Runs until SIGTERM/SIGINT. On the signal, fetches in flight are cancelled (their feeds and
    entries are left for the next start) and other running jobs finish; whatever still runs after
    ``grace`` seconds (a hung extraction, a database call) is abandoned by exiting with status 1 --
    its leases expire and the work is redone, as after a crash."""
    from watcher.service.health import start_health_server
    from watcher.web.app import start_web

    sched = build_scheduler(w)
    stopping = threading.Event()
    finished = threading.Event()

    def exit_if_stuck() -> None:
        if not finished.wait(grace):
            log.error("jobs still running %.0fs after the signal: exiting without them", grace)
            logging.shutdown()
            os._exit(1)

    def stop(signum: int, _frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            log.info("signal %s: stopping after running jobs finish (fetches in flight cancelled)", signum)
            w.cancel_fetches()
            threading.Thread(target=sched.shutdown, kwargs={"wait": True}, daemon=True).start()
            threading.Thread(target=exit_if_stuck, name="stop-grace", daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    listener = start_listener(w)
    health = start_health_server(w, sched, w.settings.health_host) if w.settings.health_port else None
    web = start_web(w)
    log.info(
        "watcher %s running: polling every %ss, digest at %s %s, database %s",
        w.owner,
        w.settings.poll_interval,
        w.settings.digest_time.strftime("%H:%M"),
        w.settings.timezone,
        w.store.dialect,
    )
    try:
        sched.start()
    finally:
        if listener is not None:
            listener.stop()
        if health is not None:
            health.shutdown()
        if web is not None:
            web.shutdown()
        finished.set()
        log.info("watcher stopped")
