"""Build step: the wheel carries the built banner (banner_js/dist/* -> package banner_dist/).

Everything else is in pyproject.toml. `npm run build` runs in banner_js/ when the build output
is missing or older than its sources (npm ci first when node_modules is missing); without
npm, an existing dist is used as it is (with a warning). An editable install
(./scripts/bootstrap.sh) copies nothing: the app reads the checkout's banner_js/dist/ there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
BANNER = HERE / "banner_js"
DIST = BANNER / "dist"
TARGET = "consent_service/banner_dist"


def _newest(paths) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def _stale() -> bool:
    core = DIST / "loader.min.js"
    if not core.is_file():
        return True
    sources = [*(BANNER / "src").rglob("*"), *(BANNER / "scripts").rglob("*"),
               BANNER / "package.json", BANNER / "package-lock.json"]
    return _newest(sources) > _newest(DIST.rglob("*"))


def build_banner() -> None:
    if not (BANNER / "package.json").is_file():
        # An sdist-less wheel rebuild from an unpacked wheel: nothing to build from.
        if not (DIST / "loader.min.js").is_file():
            raise SystemExit("banner_js/ is missing and no built banner is present")
        return
    if not _stale():
        return
    npm = shutil.which("npm")
    if npm is None:
        if (DIST / "loader.min.js").is_file():
            # e.g. the Docker build, which builds the banner in a Node stage of its own
            print("warning: npm not found; packaging banner_js/dist as it is", flush=True)
            return
        raise SystemExit("building the wheel needs the banner bundle: install Node.js 20+ "
                         "with npm (banner_js/dist/loader.min.js is missing)")
    if not (BANNER / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=BANNER, check=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=BANNER, check=True)
    if not (DIST / "loader.min.js").is_file():
        raise SystemExit("npm run build wrote no banner_js/dist/loader.min.js")


class BuildPyWithBanner(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        build_banner()
        target = Path(self.build_lib) / TARGET
        if target.exists():
            shutil.rmtree(target)
        # Every built file, whatever the banner build names them (manifest, chunks, texts).
        shutil.copytree(DIST, target)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not getattr(self, "editable_mode", False) and DIST.is_dir():
            outputs += [str(Path(self.build_lib) / TARGET / p.relative_to(DIST))
                        for p in DIST.rglob("*") if p.is_file()]
        return outputs


class SdistWithBanner(sdist):
    # The sdist carries the banner's sources (MANIFEST.in) and, when built, its output, so a
    # wheel built from it (python -m build) needs npm only when the output is stale.
    def run(self):
        if shutil.which("npm") is not None or not _stale():
            build_banner()
        super().run()


setup(cmdclass={"build_py": BuildPyWithBanner, "sdist": SdistWithBanner})
