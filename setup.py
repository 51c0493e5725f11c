"""Packs the repository's default files into the wheel at build time.

The top-level ``config/`` (entities and feeds), ``baseline/`` and ``seeds/`` stay the one source;
``build_py`` copies them to ``watcher/defaults/`` inside the built package, where
``watcher.paths`` finds them when watcher runs outside a checkout. Editable installs need no
copy: there ``watcher.paths`` reads the repository's folders directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DEFAULTS = {  # source in the repository -> glob of what ships
    "config": ("entities.yaml", "feeds.yaml"),
    "baseline": ("facts.yaml",),
    "seeds": ("*.txt", "*.meta.yaml"),
}


class BuildPyWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "watcher" / "defaults"
        for folder, patterns in DEFAULTS.items():
            out = target / folder
            out.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for src in sorted((ROOT / folder).glob(pattern)):
                    shutil.copy2(src, out / src.name)


setup(cmdclass={"build_py": BuildPyWithDefaults})
