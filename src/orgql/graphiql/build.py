"""``python -m orgql.graphiql.build``: fetch GraphiQL's scripts and styles, and their licences,
from the npm registry into ``assets/`` (checked against the registry's sha512 integrity).

Building a wheel runs it too (``setup.py``): a wheel carries the assets, or its build fails
saying why. Standard library only, so that the build needs nothing but setuptools.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from orgql.graphiql import ASSET_DIR, LICENCE_FILE, PACKAGES

REGISTRY = "https://registry.npmjs.org"
TIMEOUT_SECONDS = 60
#: Set to build a wheel without the assets (its GraphiQL page then loads them from the CDN).
SKIP_VARIABLE = "ORGQL_BUILD_WITHOUT_GRAPHIQL_ASSETS"


class AssetError(Exception):
    """The assets could not be fetched or did not match the registry's integrity."""


def _get(url: str) -> bytes:
    if not url.startswith("https://"):  # the registry's own tarball URLs
        raise AssetError(f"refusing a non-HTTPS URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "orgql-build"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
        body: bytes = answer.read()
        return body


def fetch(package: str, version: str, files: dict[str, str], into: Path) -> None:
    meta = json.loads(_get(f"{REGISTRY}/{package}/{version}"))
    tarball = _get(meta["dist"]["tarball"])
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise AssetError(f"{package}@{version}: the tarball does not match its integrity")
    wanted = {**files, "package/LICENSE": LICENCE_FILE.format(package=package)}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for inside, name in wanted.items():
            member = archive.extractfile(inside)
            if member is None:
                raise AssetError(f"{package}@{version} has no {inside}")
            (into / name).write_bytes(member.read())


def expected_files() -> list[str]:
    """Every file of a complete ``assets/``: the scripts and styles, one licence per package."""
    return [
        name
        for package, (_, files) in PACKAGES.items()
        for name in (*files.values(), LICENCE_FILE.format(package=package))
    ]


def missing(into: Path = ASSET_DIR) -> list[str]:
    return [name for name in expected_files() if not (into / name).is_file()]


def build(into: Path = ASSET_DIR) -> None:
    into.mkdir(exist_ok=True)
    for package, (version, files) in PACKAGES.items():
        try:
            fetch(package, version, files, into)
        except (OSError, ValueError, KeyError, tarfile.TarError) as exc:
            raise AssetError(f"{package}@{version} from {REGISTRY}: {exc}") from exc
        print(f"orgql: {package}@{version} -> {into}", file=sys.stderr)


def ensure_for_wheel(into: Path = ASSET_DIR) -> None:
    """Before a wheel is built: fetch what is missing, or stop the build saying why."""
    if not missing(into):
        return
    if os.environ.get(SKIP_VARIABLE):
        print(f"orgql: {SKIP_VARIABLE} set: a wheel without GraphiQL's assets", file=sys.stderr)
        return
    try:
        build(into)
    except AssetError as exc:
        raise SystemExit(
            f"orgql: cannot build a wheel with GraphiQL's scripts and styles: {exc}.\n"
            f"They are fetched from {REGISTRY} at build time. Build with access to it, or put"
            f" them in {into} beforehand (`python -m orgql.graphiql.build` on a machine that"
            f" has it), or set {SKIP_VARIABLE}=1 for a wheel whose GraphiQL page loads them"
            " from the unpkg.com CDN instead."
        ) from None


def main() -> int:
    try:
        build()
    except AssetError as exc:
        print(f"orgql: cannot fetch GraphiQL's assets: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
