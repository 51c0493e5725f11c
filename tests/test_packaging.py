"""Project files a newcomer and an operator rely on."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml


def test_docker_compose_is_valid_and_complete() -> None:
    compose = yaml.safe_load(Path("docker-compose.yml").read_text())
    services = compose["services"]
    assert {"watcher", "postgres", "mailpit"} <= set(services)
    assert services["watcher"]["build"]
    assert "watcher" in " ".join(services["watcher"]["command"])
    assert services["watcher"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]
    assert any(v.split(":")[0] in compose.get("volumes", {}) for v in services["postgres"]["volumes"])
    web = services["watcher"]["environment"]
    assert (
        web["WATCHER_WEB_HOST"] == "0.0.0.0" and "WATCHER_WEB_TOKEN:?" in web["WATCHER_WEB_TOKEN"]
    )  # no open dashboard
    assert services["watcher"]["ports"] == ["127.0.0.1:8765:8765"]
    assert (
        ".env" in services["watcher"]["env_file"][0]["path"]
        if isinstance(services["watcher"]["env_file"][0], dict)
        else ".env" in services["watcher"]["env_file"]
    )


def test_env_example_is_committed_and_env_ignored() -> None:
    assert Path(".env.example").is_file()
    assert ".env" in Path(".gitignore").read_text().split()
    for line in Path(".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            assert line.startswith(("WATCHER_", "POSTGRES_")), line


def test_dependencies_have_lower_bounds() -> None:
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        assert ">=" in dep, dep
    assert project["scripts"]["watcher"] == "watcher.cli:main"
    assert "test" in project["optional-dependencies"] and "postgres" in project["optional-dependencies"]


def test_docker_compose_matches_the_compose_specification() -> None:
    import json
    from importlib import resources

    import jsonschema

    schema_file = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    compose = yaml.safe_load(Path("docker-compose.yml").read_text())
    jsonschema.validate(compose, schema)


def test_compose_images_are_pinned_and_watcher_is_health_checked() -> None:
    services = yaml.safe_load(Path("docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: {image} is not pinned"
    watcher = services["watcher"]
    assert watcher["environment"]["WATCHER_HEALTH_HOST"] == "0.0.0.0"  # reachable from outside the container
    port = watcher["environment"]["WATCHER_HEALTH_PORT"]
    assert f":{port}/healthz" in " ".join(watcher["healthcheck"]["test"])


def test_distribution_name_license_and_package_data() -> None:
    pyproject = tomllib.loads(Path("pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "watcher-deals"  # "watcher" is taken on the package index
    assert pyproject["project"]["license"] == "MIT"
    assert "MIT License" in Path("LICENSE").read_text()
    for pattern in pyproject["tool"]["setuptools"]["package-data"]["watcher"]:
        assert list(Path("watcher").glob(pattern)), f"package-data entry {pattern} matches no file"
