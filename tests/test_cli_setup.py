"""The ``orgql`` command before any real work: its version, where it keeps its data, and what
it says when the embedded PostgreSQL (the ``embedded`` extra) is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from orgql.cli import main
from orgql.settings import Settings, default_data_dir


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_status:
        main(["--version"])

    assert exit_status.value.code == 0
    assert capsys.readouterr().out == f"orgql {version('orgql')}\n"


def test_the_data_directory_is_the_users_own_whatever_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ORGQL_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    here = Settings().data_dir
    monkeypatch.chdir(tmp_path.parent)

    assert Settings().data_dir == here == default_data_dir()
    assert here.is_absolute()
    assert here.name == "orgql"


def test_the_data_directory_is_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGQL_DATA_DIR", "~/elsewhere")

    assert Settings().data_dir == Path.home() / "elsewhere"


def test_token_and_serve_share_the_signing_key_from_any_folder(tmp_path: Path) -> None:
    """`orgql token` run from two folders signs with the one key of the data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ORGQL_AUTH_SIGNING_KEY", "ORGQL_DATA_DIR")
    }
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # the user's data folder, on Linux
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    tokens = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        done = subprocess.run(
            [sys.executable, "-m", "orgql", "token"],
            cwd=tmp_path / folder,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        tokens.append(done.stdout.strip())

    if sys.platform.startswith("linux"):
        assert (tmp_path / "data" / "orgql" / "auth-signing-key").is_file()
    assert not list((tmp_path / "one").iterdir())
    assert not list((tmp_path / "two").iterdir())
    from orgql.auth.tokens import Authenticator

    settings = Settings(data_dir=tmp_path / "data" / "orgql", auth_signing_key=None)
    authenticator = Authenticator(settings)
    principals = [await_principal(authenticator, token) for token in tokens]
    assert [principal.subject for principal in principals] == ["operator", "operator"]


def await_principal(authenticator: Any, token: str) -> Any:
    import asyncio

    return asyncio.run(authenticator.authenticate(f"Bearer {token}"))


def test_serve_without_the_embedded_extra_nor_a_database_url_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORGQL_DATABASE_URL", raising=False)
    monkeypatch.setitem(sys.modules, "pgserver", None)  # `import pgserver` fails

    assert main(["serve", "--port", "1"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert captured.err.startswith("orgql: no database: ORGQL_DATABASE_URL is not set")
    assert "pip install 'orgql[embedded]'" in captured.err


def test_serve_warns_when_graphiqls_assets_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orgql.cli_serve import warn_without_graphiql_assets

    warn_without_graphiql_assets(tmp_path)

    err = capsys.readouterr().err
    assert err.startswith("orgql: warning: GraphiQL's scripts and styles are not installed")
    assert "graphiql.min.js" in err
    assert "python -m orgql.graphiql.build" in err


def test_a_wheel_build_without_the_registry_fails_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orgql.graphiql import build

    monkeypatch.delenv(build.SKIP_VARIABLE, raising=False)
    monkeypatch.setattr(build, "REGISTRY", "https://127.0.0.1:9")  # nothing listens there

    with pytest.raises(SystemExit) as stopped:
        build.ensure_for_wheel(tmp_path)

    message = str(stopped.value)
    assert message.startswith("orgql: cannot build a wheel with GraphiQL's scripts and styles:")
    assert "react@18.2.0 from https://127.0.0.1:9" in message
    assert f"{build.SKIP_VARIABLE}=1" in message


def test_serve_points_at_the_new_data_directory_when_an_old_one_is_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orgql.cli_serve import note_an_older_data_directory

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".orgql" / "pgdata").mkdir(parents=True)

    note_an_older_data_directory(Settings(data_dir=tmp_path / "new", database_url=None))
    note_an_older_data_directory(Settings(data_dir=tmp_path / ".orgql", database_url=None))

    assert capsys.readouterr().err == (
        f"orgql: note: {tmp_path / '.orgql'} holds the data of an earlier orgql; the data"
        f" directory is now {tmp_path / 'new'} (ORGQL_DATA_DIR=.orgql uses the old one)\n"
    )
