"""The outbox loop: claims due deliveries, sends them on their channel, records the outcome.

It owns pacing and retries (python-telegram-bot's own rate limiter pauses everything and
retries nothing): a 429 is retried after exactly its ``retry_after``; 5xx, time-outs and
dropped connections after an exponential back-off; a permanent error (bad chat id, bot
blocked) stops retrying and shows in `watcher status`. A burst of many alerts for one chat
becomes one summary message. An alert whose story gained sources is edited, not re-sent.

Leases: a claim holds its rows under a token of its own; the lease of a row is renewed right
before that row is sent (a summary renews all its rows), and the send's result is written only
while the token still holds (see :mod:`watcher.store.outbox_ops`). A row whose lease ran out
and was taken by another drain is skipped, not sent again. One send is bounded (an alert is
at most ``MAX_ALERT_PARTS`` messages, its fields truncated), so :func:`send_lease` can give a
lease that outlasts it. A summary's rows are marked sent in one transaction with its message
ids: a crash leaves either all of them sent or all of them due (at most one message again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from watcher.errors import DeliveryError
from watcher.notify.items import group_records
from watcher.notify.render import AlertView
from watcher.reports import ProblemKind, Report
from watcher.store import Store
from watcher.store.outbox_ops import DeliveryJob

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=30)
MAX_SUMMARY = 25  # alerts named in one summary message; a larger burst becomes several
MIN_LEASE = timedelta(minutes=2)


def send_lease(request_timeout: float, max_parts: int) -> timedelta:
    """A lease that outlasts one send: each part may take two request time-outs plus 5 s (and 1 s pacing)."""
    one_send = timedelta(seconds=max_parts * (2 * request_timeout + 6))
    return max(MIN_LEASE, one_send + timedelta(minutes=1))


class Channel(Protocol):
    """One way of reaching the analyst. ``send`` returns the remote message id(s)."""

    name: str

    def send(self, target: str, view: AlertView, *, finding_id: int, resume: str | None) -> str: ...

    def send_summary(self, target: str, views: Sequence[AlertView]) -> str: ...

    def edit(self, target: str, remote_id: str, view: AlertView, *, finding_id: int) -> None: ...

    def notice(self, target: str, text: str) -> None:
        """A plain operational message (a feed failing), outside the outbox."""
        ...


def view_of(job: DeliveryJob, store: Store | None = None, origin: str | None = None) -> AlertView:
    """The alert of a claimed row: the story's finding once, with every source that carries it."""
    if store is not None and job.story_id is not None:
        items = group_records(store.story_sources(job.story_id, job.signature))
        if items:
            item = items[0]
            first = next((s for s in item.sources if s.finding_id == job.finding_id), item.sources[0])
            return AlertView(finding=job.finding, title=first.title, url=first.url, site=first.outlet,
                             sources=len(item.sources), published=job.published, outlets=item.sources,
                             origin=origin, finding_id=job.finding_id)  # fmt: skip
    return AlertView(finding=job.finding, title=job.title, url=job.url, site=job.site, sources=job.sources,
                     published=job.published, origin=origin, finding_id=job.finding_id)  # fmt: skip


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """Exactly ``retry_after`` when the server said so, else 2 s doubling per attempt, capped."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return min(timedelta(seconds=2 * 2 ** min(attempts, 20)), MAX_BACKOFF)


@dataclass
class DrainReport(Report):
    """What one drain did, and the problem of each delivery that did not go out (``channel:target``)."""

    sent: int = 0
    edited: int = 0
    summarised: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0
    pending: int = 0

    def headline(self) -> str:
        return (
            f"{self.sent} sent, {self.edited} edited, {self.summarised} in summaries, {self.retried} to retry, "
            f"{self.failed} failed permanently, {self.uncertain} uncertain, {self.pending} pending"
        )


@dataclass
class Outbox:
    store: Store
    channels: dict[str, Channel]
    owner: str
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = time.sleep
    summary_threshold: int = 5  # this many new alerts for one chat at once become one summary
    lease: timedelta = MIN_LEASE
    origin_of: Callable[[str | None], str | None] = lambda fact_id: None  # 'the seed of 2025-10-15'

    def drain(self, deadline: float = 0.0) -> DrainReport:
        """Sends what is due; with a deadline (seconds) keeps retrying transient failures until it passes."""
        report = DrainReport()
        started = time.monotonic()
        end = self.clock() + timedelta(seconds=deadline)
        while True:
            jobs = self.store.claim_deliveries(self.clock(), self.owner, self.lease)
            if jobs:
                self._send_batch(jobs, report)
                continue
            wait = self._wait_for_next(end)
            if wait is None:
                break
            self.sleep(wait)
        report.pending = self.store.pending_deliveries(self.clock())
        report.duration = time.monotonic() - started
        return report

    def _wait_for_next(self, end: datetime) -> float | None:
        """Seconds until the next retry, when it falls before the deadline; else None."""
        nxt = self.store.next_delivery_at(self.clock())
        if nxt is None or nxt > end:
            return None
        return max((nxt - self.clock()).total_seconds(), 0.0) + 0.2

    def _send_batch(self, jobs: list[DeliveryJob], report: DrainReport) -> None:
        groups: dict[tuple[str, str], list[DeliveryJob]] = {}
        for job in jobs:
            groups.setdefault((job.channel, job.target), []).append(job)
        muted = self._muted_until()
        for (channel_name, target), group in groups.items():
            channel = self.channels.get(channel_name)
            if channel is None:
                for job in group:  # a channel no longer configured: keep the row for when it is
                    self.store.postpone(job.id, self.clock() + timedelta(hours=1), "channel not configured",
                                        lease=job.lease)  # fmt: skip
                continue
            if muted is not None and channel_name == "telegram":
                for job in group:
                    self.store.postpone(job.id, muted, "muted", lease=job.lease)
                continue
            fresh = [j for j in group if not j.is_edit and not j.remote_id]
            if len(fresh) >= self.summary_threshold:
                for start in range(0, len(fresh), MAX_SUMMARY):
                    self._summary(channel, target, fresh[start : start + MAX_SUMMARY], report)
                group = [j for j in group if j not in fresh]
            for job in group:
                self._one(channel, job, report)

    def _view(self, job: DeliveryJob) -> AlertView:
        return view_of(job, self.store, self.origin_of(job.finding.baseline_fact))

    def _renew(self, jobs: Sequence[DeliveryJob]) -> list[DeliveryJob]:
        """The jobs whose lease still holds, renewed for one more send; the others are logged and skipped."""
        if not jobs:
            return []
        held = self.store.renew_leases([j.id for j in jobs], jobs[0].lease, self.clock() + self.lease)
        for job in jobs:
            if job.id not in held:
                log.warning(
                    "delivery %s to %s:%s: lease lost (taken over or finished by another sender); not sending",
                    job.id,
                    job.channel,
                    job.target,
                )
        return [j for j in jobs if j.id in held]

    def _record_sent(self, jobs: Sequence[DeliveryJob], remote: str) -> None:
        marked = set(
            self.store.mark_sent_many([(j.id, j.sources) for j in jobs], jobs[0].lease, remote, self.clock())
        )
        for job in jobs:
            if job.id not in marked:
                log.error(
                    "delivery %s to %s:%s was sent (%s) but its lease was lost; not marked sent",
                    job.id,
                    job.channel,
                    job.target,
                    remote,
                )

    def _muted_until(self) -> datetime | None:
        raw = self.store.get_state("mute_until")
        if not raw:
            return None
        until = datetime.fromisoformat(raw)
        return until if until > self.clock() else None

    def _summary(self, channel: Channel, target: str, jobs: list[DeliveryJob], report: DrainReport) -> None:
        jobs = self._renew(jobs)
        if not jobs:
            return
        try:
            remote = channel.send_summary(target, [self._view(j) for j in jobs])
        except DeliveryError as exc:
            for job in jobs:
                self._failed(job, exc, report)
            return
        self._record_sent(jobs, remote)  # one transaction for every row the message names
        report.summarised += len(jobs)

    def _one(self, channel: Channel, job: DeliveryJob, report: DrainReport) -> None:
        if not self._renew([job]):
            return
        view = self._view(job)
        try:
            if job.is_edit and job.remote_id:
                channel.edit(job.target, job.remote_id, view, finding_id=job.finding_id)
                remote = job.remote_id
                report.edited += 1
            else:
                remote = channel.send(job.target, view, finding_id=job.finding_id, resume=job.remote_id)
                report.sent += 1
        except DeliveryError as exc:
            self._failed(job, exc, report)
            return
        self._record_sent([job], remote)

    def _failed(self, job: DeliveryJob, exc: DeliveryError, report: DrainReport) -> None:
        partial = getattr(exc, "sent_message_ids", None)
        if partial:  # parts of a long message went out: remember them so a retry resumes after them
            self.store.record_partial(job.id, ",".join(str(i) for i in partial), lease=job.lease)
        item = f"{job.channel}:{job.target}"
        if getattr(exc, "timed_out", False):
            # The request reached the server and the answer came too late: the message most likely
            # arrived. Resending would show it twice, so the row is held as 'uncertain' (watcher status
            # lists it; the digest carries the finding anyway; `watcher deliver --resend-uncertain`).
            log.error(
                "delivery %s to %s:%s timed out after sending; held as uncertain: %s",
                job.id,
                job.channel,
                job.target,
                exc,
            )
            self.store.mark_uncertain(job.id, str(exc), lease=job.lease)
            report.uncertain += 1
            report.problem(item, ProblemKind.DELIVERY_UNCERTAIN, str(exc))
            return
        if exc.permanent:
            log.error("delivery %s to %s:%s failed permanently: %s", job.id, job.channel, job.target, exc)
            self.store.mark_failed(job.id, str(exc), lease=job.lease)
            report.failed += 1
            report.problem(item, ProblemKind.DELIVERY_FAILED, str(exc))
            return
        delay = retry_delay(job.attempts, exc.retry_after)
        log.warning(
            "delivery %s to %s:%s failed (%s); retry in %.0fs",
            job.id,
            job.channel,
            job.target,
            exc,
            delay.total_seconds(),
        )
        self.store.mark_retry(job.id, str(exc), self.clock() + delay, lease=job.lease)
        report.retried += 1
        report.problem(item, ProblemKind.DELIVERY_RETRY, str(exc))
