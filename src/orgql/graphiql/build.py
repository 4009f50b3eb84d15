"""``python -m orgql.graphiql.build``: fetch GraphiQL's scripts and styles from the npm
registry into ``assets/`` (checked against the registry's sha512 integrity)."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile

import httpx

from orgql.graphiql import ASSET_DIR, PACKAGES

REGISTRY = "https://registry.npmjs.org"


def fetch(client: httpx.Client, package: str, version: str, files: dict[str, str]) -> None:
    meta = client.get(f"{REGISTRY}/{package}/{version}").raise_for_status().json()
    tarball = client.get(meta["dist"]["tarball"]).raise_for_status().content
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise SystemExit(f"orgql: {package}@{version}: the tarball does not match its integrity")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for inside, name in files.items():
            member = archive.extractfile(inside)
            if member is None:
                raise SystemExit(f"orgql: {package}@{version} has no {inside}")
            (ASSET_DIR / name).write_bytes(member.read())


def main() -> int:
    ASSET_DIR.mkdir(exist_ok=True)
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        for package, (version, files) in PACKAGES.items():
            fetch(client, package, version, files)
            print(f"orgql: {package}@{version} -> {ASSET_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
