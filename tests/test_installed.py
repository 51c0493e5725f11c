"""watcher as installed software: the wheel, installed into a fresh virtual environment, runs
from an unrelated folder with its shipped defaults and a database in the user data folder.

Builds without network (--no-build-isolation, setuptools from the test extra); the fresh
environment borrows the third-party libraries of the running one through a .pth line, so
nothing is downloaded. Takes about half a minute.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(600)


@dataclass
class Installed:
    wheel: Path
    bin: Path
    cwd: Path
    env: dict[str, str]
    data_home: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bin / "watcher"), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if check:
            assert done.returncode == 0, f"watcher {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    src = base / "src"  # a clean copy, as from a fresh clone: no egg-info, no build/ left over
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", "data"
        ),
    )
    dist = base / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            ".",
        ],
        cwd=src,
        check=True,
        timeout=240,
    )
    (wheel,) = dist.glob("watcher_deals-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
        + ["--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=240,
    )
    # dependencies: the running environment's site-packages, after the fresh one's own
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "borrowed_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    cwd = base / "elsewhere"
    cwd.mkdir()
    data_home = base / "xdg-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update(HOME=str(base / "home"), XDG_DATA_HOME=str(data_home), COLUMNS="80", NO_COLOR="1")
    return Installed(wheel, venv / "bin", cwd, env, data_home)


def test_wheel_ships_the_defaults_and_license(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for needed in (
        "watcher/defaults/config/entities.yaml",
        "watcher/defaults/config/feeds.yaml",
        "watcher/defaults/baseline/facts.yaml",
        "watcher/notify/templates/digest.txt.j2",
        "watcher/demo/site/feed.xml",
    ):
        assert needed in names
    assert any(n.startswith("watcher/defaults/seeds/") and n.endswith(".txt") for n in names)
    assert any(n.endswith("licenses/LICENSE") for n in names)


def test_installed_watcher_runs_from_an_unrelated_folder(installed: Installed) -> None:
    where = installed.run("-q", "baseline", "show", "--json").stdout
    assert where.count("\n") >= 5  # the shipped facts
    show = installed.run("--table", "baseline", "show").stdout
    assert "facts" in show
    assert installed.run("baseline", "show").stdout.startswith("id\tparties\t")  # into a pipe

    page = installed.cwd / "term.html"
    shutil.copy(ROOT / "watcher" / "demo" / "site" / "term.html", page)
    diff = installed.run("diff", "--json", "term.html")
    assert '"kind"' in diff.stdout

    demo = installed.run("demo")
    assert "Demo done" in demo.stdout and "temporary database removed" in demo.stdout

    # before anything was polled the read-only commands create no database
    status = installed.run("status")
    assert status.stdout.startswith("no database yet at ")
    findings = installed.run("findings", check=False)
    assert findings.returncode == 1 and "no database yet at" in findings.stderr
    assert not (installed.data_home / "watcher").exists()
    installed.run("deliver", "--deadline", "0")  # a command that writes creates it
    for args in (["status"], ["findings"], ["digest", "--preview"]):
        installed.run(*args)
    # the default database went to the user data folder, not to the working folder
    assert (installed.data_home / "watcher" / "watcher.db").is_file()
    assert sorted(p.name for p in installed.cwd.iterdir()) == ["term.html"]
    # and the code that ran is the installed copy, not the checkout
    origin = subprocess.run(
        [str(installed.bin / "python"), "-c", "import watcher, watcher.paths as p; print(watcher.__file__)"],
        cwd=installed.cwd,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(ROOT) not in origin


def test_the_shipped_feed_list_is_not_edited_in_place(installed: Installed) -> None:
    done = installed.run("feeds", "add", "Example", "https://example.org/feed.xml", check=False)
    assert done.returncode == 1
    assert "shipped with watcher" in done.stderr and "WATCHER_FEEDS_FILE" in done.stderr


def test_demo_keep_then_look_around(installed: Installed) -> None:
    demo = installed.run("demo", "--keep")
    match = re.search(r"database kept at (\S+\.db)", demo.stdout)
    assert match, demo.stdout
    kept = Path(match.group(1))
    try:
        looking = replace(installed, env={**installed.env, "WATCHER_DATABASE_URL": f"sqlite:///{kept}"})
        findings = looking.run("findings", "--json").stdout
        assert findings.count("\n") >= 1 and '"kind"' in findings
        assert looking.run("status").stdout.startswith("feed\t")
    finally:
        shutil.rmtree(kept.parent, ignore_errors=True)


def test_init_from_the_wheel_writes_files_watcher_then_uses(installed: Installed) -> None:
    target = installed.cwd.parent / "watcher-config"
    out = installed.run("init", str(target)).stdout
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    assert set(env) == {
        "WATCHER_ENTITIES_FILE",
        "WATCHER_FEEDS_FILE",
        "WATCHER_BASELINE_FILE",
        "WATCHER_SEEDS_DIR",
    }
    mine = replace(installed, env={**installed.env, **env})
    assert mine.run("baseline", "check").stdout.rstrip().endswith(": OK")
    mine.run("feeds", "add", "Example", "https://example.org/feed.xml")  # the copy is editable
    assert "Example" in (target / "feeds.yaml").read_text()
    assert installed.run("init", str(target), check=False).returncode == 1  # no overwrite without --force
