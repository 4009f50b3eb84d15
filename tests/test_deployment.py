"""Dockerfile and docker-compose.yml agree with the settings the code reads. No container
engine runs here: the files are parsed and checked against ``Settings`` and the app."""

from __future__ import annotations

import re
import secrets
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url
from starlette.routing import Route

from orgql.app import create_app
from orgql.auth.signing import signing_key
from orgql.cli import main
from orgql.settings import Settings
from orgql.settings_display import environment_name

ROOT = Path(__file__).resolve().parents[1]
SETTING_NAMES = {environment_name(name) for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split into stages."""
    text = (ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    stages: list[list[str]] = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return Settings()


def app_paths() -> set[str]:
    app = create_app(Settings(database_url="postgresql://unused@127.0.0.1:1/unused"))
    return {route.path for route in app.routes if isinstance(route, Route)}


def test_compose_runs_postgresql_a_one_shot_migration_and_the_gateway(
    services: dict[str, Any],
) -> None:
    assert set(services) == {"postgres", "migrate", "gateway"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert shlex.split(services["migrate"]["command"][-1])[:2] == ["orgql", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["gateway"]["command"] == ["orgql", "serve"]
    assert services["gateway"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


@pytest.mark.parametrize("service", ["migrate", "gateway"])
def test_every_orgql_variable_in_compose_is_a_setting_with_a_valid_value(
    services: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = services[service]["environment"]
    names = {name for name in environment if name.startswith("ORGQL_")}

    assert names <= SETTING_NAMES, names - SETTING_NAMES
    settings_from(environment, monkeypatch)  # raises on a value the code would refuse


@pytest.mark.parametrize("service", ["migrate", "gateway"])
def test_the_database_url_points_at_the_compose_postgresql(
    services: dict[str, Any], service: str
) -> None:
    postgres = services["postgres"]["environment"]
    url = make_url(services[service]["environment"]["ORGQL_DATABASE_URL"])

    assert (url.host, url.port or 5432) == ("postgres", 5432)
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.database == postgres["POSTGRES_DB"]


def test_the_gateway_listens_on_all_interfaces_at_the_published_port(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from(services["gateway"]["environment"], monkeypatch)
    [published] = services["gateway"]["ports"]
    host_port, container_port = published.split(":")

    assert settings.host == "0.0.0.0"  # noqa: S104 (inside its container)
    assert int(container_port) == settings.port
    assert host_port == container_port


def test_the_gateway_runs_the_production_profile_with_its_key_from_a_secret(
    compose: dict[str, Any],
    services: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    gateway = services["gateway"]
    environment = gateway["environment"]
    [secret] = gateway["secrets"]
    key_file = tmp_path / "orgql-signing-key"
    key_file.write_text(secrets.token_urlsafe(48) + "\n")  # as the README makes it

    assert environment["ORGQL_ENVIRONMENT"] == "production"
    assert "ORGQL_AUTH_SIGNING_KEY" not in environment  # never in the environment
    assert environment["ORGQL_AUTH_SIGNING_KEY_FILE"] == f"/run/secrets/{secret}"
    assert compose["secrets"][secret] == {"file": "./orgql-signing-key"}
    assert "orgql-signing-key" in (ROOT / ".gitignore").read_text("utf-8").splitlines()
    assert "orgql-signing-key" in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    # With the secret mounted where the variable says, the gateway has its key.
    settings = settings_from(
        {**environment, "ORGQL_AUTH_SIGNING_KEY_FILE": str(key_file)}, monkeypatch
    )
    assert signing_key(settings) == key_file.read_text().strip()


def test_the_gateway_stops_after_its_shutdown_timeout_has_passed(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from(services["gateway"]["environment"], monkeypatch)
    grace = re.fullmatch(r"(\d+)s", services["gateway"]["stop_grace_period"])

    assert grace is not None
    assert int(grace.group(1)) > settings.shutdown_timeout_seconds


def test_health_checks_probe_routes_the_app_serves(services: dict[str, Any]) -> None:
    checks = " ".join(services["gateway"]["healthcheck"]["test"])
    dockerfile = "\n".join(dockerfile_stages()[-1])
    probed = set(re.findall(r"http://127\.0\.0\.1:8080(/\w+)", checks + dockerfile))

    assert probed == {"/readyz", "/healthz"}
    assert probed <= app_paths()


def test_the_dockerfile_is_multi_stage_slim_and_runs_as_a_non_root_user() -> None:
    stages = dockerfile_stages()
    runtime = stages[-1]

    assert len(stages) >= 2
    assert runtime[0].startswith("FROM python:")
    assert "-slim" in runtime[0]
    assert any(line.startswith("COPY --from=build ") for line in runtime)
    [user] = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert user.split(":")[0] not in ("0", "root")
    assert runtime[-1] == 'CMD ["orgql", "serve"]'


def dockerfile_settings() -> dict[str, str]:
    """The ``ORGQL_*`` variables the runtime image sets."""
    env = dict(
        pair.split("=", 1)
        for line in dockerfile_stages()[-1]
        if line.startswith("ENV ")
        for pair in shlex.split(line[4:])
    )
    return {name: value for name, value in env.items() if name.startswith("ORGQL_")}


def test_the_dockerfile_defaults_agree_with_the_settings_and_the_exposed_port() -> None:
    runtime = dockerfile_stages()[-1]
    orgql = dockerfile_settings()
    [exposed] = [line.split()[1] for line in runtime if line.startswith("EXPOSE ")]

    assert set(orgql) <= SETTING_NAMES
    assert orgql["ORGQL_PORT"] == exposed
    Settings.model_validate({name.removeprefix("ORGQL_").lower(): v for name, v in orgql.items()})


def test_the_image_runs_production_and_refuses_to_start_without_a_signing_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    orgql = dockerfile_settings()
    settings_from(orgql, monkeypatch)

    status = main(["serve"])

    assert orgql["ORGQL_ENVIRONMENT"] == "production"
    assert status == 2
    assert "ORGQL_AUTH_SIGNING_KEY_FILE is required in production" in capsys.readouterr().err


def test_the_image_installs_a_wheel_build_without_the_embedded_postgresql() -> None:
    """``pip install .`` builds a wheel, which fetches GraphiQL's assets (setup.py, so it is
    copied in); no extra, so no pgserver in the image."""
    build = dockerfile_stages()[0]

    assert "COPY pyproject.toml setup.py README.md ./" in build
    assert "RUN python -m venv /opt/orgql && /opt/orgql/bin/pip install ." in build
    assert not [line for line in build if "embedded" in line or "pgserver" in line]
