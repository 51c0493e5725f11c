"""Helpers shared by the benchmarks in bench/ (not a benchmark itself).

* the test servers (``tests/httpserver.py``: LocalServer/Route, ``tests/botapi.py``: BotApiServer)
  imported by path, so the scripts run without pytest and without ``tests`` on sys.path;
* settings for a Watcher on a temporary database with absolute config paths (so the scripts
  work from any directory);
* a settable clock, a machine description, percentiles and a plain-text table printer.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def load_test_module(name: str) -> ModuleType:
    """``tests/<name>.py`` as a module (cached in sys.modules under its own name)."""
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "tests" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def httpserver() -> ModuleType:
    return load_test_module("httpserver")


def botapi() -> ModuleType:
    return load_test_module("botapi")


def local_server(host: str = "127.0.0.1") -> Any:
    """A (not yet started) tests/httpserver.py LocalServer listening on ``host`` (e.g. 127.0.0.7).

    LocalServer binds 127.0.0.1; a socket bound there does not answer 127.0.0.2, so for the other
    loopback addresses the listening socket is swapped for one bound to ``host``. Distinct
    addresses are distinct hosts to watcher's per-host limit (which ignores the port).
    """
    mod = httpserver()
    server = mod.LocalServer()
    if host != "127.0.0.1":
        server._server.server_close()
        server._server = mod._Server((host, 0), mod._Handler)
        server._server.owner = server
        server._thread = threading.Thread(
            target=server._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"http-{host}",
            daemon=True,
        )
    return server


DEAL_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-11-23T07:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/tech">Tech</a></nav><article><h1>{title}</h1>
<p>OpenAI has signed a ${bn} billion agreement with {partner} to rent computing capacity over the next
{years} years, the companies said on Monday, in one of the largest such contracts this year.</p>
<p>The deal covers {gw} gigawatts of data-centre power in {place}, according to a statement from {partner}.
Microsoft, OpenAI's largest investor, was not a party to the agreement, people familiar with it said.</p>
<p>{partner} said the capacity would come online in stages from next year. Neither company gave further
financial details; analysts said the price was in line with recent deals for comparable capacity.</p>
<p>{filler}</p>
</article><footer>Copyright Example News</footer></body></html>"""


_WORDS = (
    "capacity contract cluster region chips power grid lease tenant build phase site cooling network demand "
    "supply model training inference customer revenue margin quarter growth forecast investor board filing "
    "regulator review approval market share price cost budget plan expansion campus turbine substation fibre "
    "vendor partner supplier engineer staff hiring office launch product service platform storage memory"
).split()


def deal_page(n: int) -> str:
    """A small news page (~2 KB of text) about an OpenAI compute deal with partner ``n``: relevant,
    a ``new_deal`` finding, and a distinct story (a paragraph of words drawn with seed ``n``)."""
    partner = f"Cloudco {n} Systems"
    rng = random.Random(n)
    filler = " ".join(rng.choice(_WORDS) for _ in range(120)).capitalize() + "."
    return DEAL_PAGE.format(title=f"OpenAI signs compute deal with {partner}", partner=partner, bn=2 + n % 50,
                            years=2 + n % 7, gw=1 + n % 4, place=("Texas", "Norway", "Ohio")[n % 3],
                            filler=filler)  # fmt: skip


class Clock:
    """The Watcher's clock: stands still until advanced (so feeds become due when we say)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def settings(database_url: str, **overrides: Any) -> Any:
    """Settings for a benchmark Watcher: absolute config paths, loopback allowed, no retry wait."""
    from watcher.config import load_settings

    values: dict[str, Any] = {
        "database_url": database_url,
        "feeds_file": ROOT / "config" / "feeds.yaml",
        "baseline_file": ROOT / "baseline" / "facts.yaml",
        "entities_file": ROOT / "config" / "entities.yaml",
        "allow_private_networks": True,
        "delivery_deadline": 0,
    }
    values.update(overrides)
    return load_settings(**values)


def write_feeds_file(path: Path, base: str, feeds: int) -> Path:
    """A feeds.yaml of ``feeds`` loopback feeds ``{base}/feed{n}.xml`` named feed0, feed1, ..."""
    import yaml

    path.write_text(
        yaml.safe_dump({"feeds": [{"name": f"feed{f}", "url": f"{base}/feed{f}.xml"} for f in range(feeds)]})
    )
    return path


def console_watcher(database_url: str, feeds_file: Path, clock: Clock) -> Any:
    """A Watcher on an existing database polling ``feeds_file``, its alerts to a console channel
    that prints nowhere (imported when called: a benchmark's ``--tree`` is on sys.path by then)."""
    import io

    from watcher.app.root import make_watcher
    from watcher.notify.channels import ConsoleChannel
    from watcher.store import open_store

    return make_watcher(
        settings(database_url, feeds_file=feeds_file),
        store=open_store(database_url, auto_upgrade=True),
        clock=clock,
        channels={"console": ConsoleChannel(io.StringIO())},
        stream=io.StringIO(),
    )


def open_fresh_store(database_url: str) -> Any:
    from watcher.store import open_store

    return open_store(database_url, auto_upgrade=True)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_tool(tool: str, server_url: str) -> list[str]:
    """``createdb``/``dropdb`` with the host, port and user of ``server_url``."""
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    return [
        tool,
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]


def pg_create(server_url: str, name: str) -> str:
    """``createdb`` a database on the server of ``server_url``; returns the URL of the new one."""
    from sqlalchemy.engine import make_url

    subprocess.run([*_pg_tool("createdb", server_url), name], check=True)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def pg_drop(server_url: str, name: str) -> None:
    subprocess.run([*_pg_tool("dropdb", server_url), "--force", "--if-exists", name], check=False)


# --------------------------------------------------------------------------- reporting


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def machine() -> dict[str, str]:
    """nproc, memory, CPU model, Python and library versions: printed with every result."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "?")  # fmt: skip
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)  # fmt: skip
    info = {
        "nproc": str(
            os.cpu_count() if not hasattr(os, "sched_getaffinity") else len(os.sched_getaffinity(0))
        ),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    info["tree"] = tree_state()
    try:
        import trafilatura

        info["trafilatura"] = trafilatura.__version__
    except ImportError:  # pragma: no cover - part of the stack
        pass
    return info


def tree_state() -> str:
    """The commit benchmarked, with "+edits" when watcher/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "watcher"],
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+edits" if dirty else "")


def load() -> str:
    """The 1/5/15-minute load averages (the benchmarks run on shared machines: read figures with it)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_machine() -> None:
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()) + f", load {load()}")


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain left/right aligned text table (numbers right-aligned)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(_numeric(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric, strict=True)
        )

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells[1:]]
    return "\n".join(line.rstrip() for line in lines)


def _numeric(text: str) -> bool:
    return re.fullmatch(r"[-+]?[\d,.]+(?:\s*(?:ms|s|MB|MiB|x|%))?|nan|-", text) is not None
