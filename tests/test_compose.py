"""docker-compose.yml and the Dockerfile, read as files: valid against the Compose Specification,
complete, converging on a cold `up`, publishing only the app's ports, and giving the app the same
settings names as the local stack. No Docker engine is needed; `make compose-smoke` runs the stack
where there is one.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from devstack import config

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]

SERVERS = {"primary", "replica", "shard0", "shard1", "kafka", "minio", "jaeger", "mailpit"}
ONE_SHOTS = {"migrate", "collectstatic", "kafka-topics", "minio-setup"}
APP_COMMANDS = {
    "web": None,  # the image's default command: gunicorn
    "relay-outbox": ["python", "manage.py", "relay_outbox"],
    "consume-notifications": ["python", "manage.py", "consume_notifications"],
    "consume-inventory-sync": ["python", "manage.py", "consume_inventory_sync"],
    "consume-manifests": ["python", "manage.py", "consume_manifests"],
    "migrate": ["python", "manage.py", "migrate_all"],
    "collectstatic": ["python", "manage.py", "collectstatic", "--noinput"],
}
# What a browser or developer on the host uses: the site, the S3 endpoint standing in for the CDN
# (pages load their CSS and images from it), and the mail catcher's and Jaeger's UIs.
PUBLISHED = {
    "web": ["127.0.0.1:8000:8000"],
    "minio": ["127.0.0.1:9000:9000"],
    "mailpit": ["127.0.0.1:8025:8025"],
    "jaeger": ["127.0.0.1:16686:16686"],
}
# Read from the environment by the libraries and tools rather than by our settings modules.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "OTEL_SERVICE_NAME", "DJANGO_SETTINGS_MODULE"}
SETTINGS_READERS = {"env", "env_bool", "env_int", "env_list"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[?-]([^}]*))?\}")


def schema_path() -> Path | None:
    """The Compose Specification schema, beside this checkout or beside the main one (worktrees)."""
    candidates = [ROOT.parent / "shared" / "compose-spec.json"]
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=ROOT, capture_output=True, text=True
    )
    if common.returncode == 0:
        candidates.append(Path(common.stdout.strip()).parent.parent / "shared" / "compose-spec.json")
    return next((path for path in candidates if path.is_file()), None)


def docker_compose_answers() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return probe.returncode == 0 and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def reads_environment(call: ast.Call) -> bool:
    """`env("X")` and its typed siblings, `os.environ.get("X")`, `os.environ.setdefault("X", ...)`, `os.getenv("X")`."""
    function = call.func
    if isinstance(function, ast.Name):
        return function.id in SETTINGS_READERS
    if isinstance(function, ast.Attribute):
        return ast.unparse(function) == "os.getenv" or (
            function.attr in ("get", "setdefault") and ast.unparse(function.value) == "os.environ"
        )
    return False


def names_read_by_the_app() -> set[str]:
    """Every environment variable name the project's settings, gunicorn config and WSGI entry read."""
    names = set(READ_BY_LIBRARIES)
    for path in [*(ROOT / "urbanharvest").rglob("*.py"), ROOT / "manage.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args and reads_environment(node):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
    return names


def app_environment(service: str) -> dict[str, str]:
    return {name: str(value) for name, value in SERVICES[service]["environment"].items()}


def interpolate(value: str, variables: dict[str, str]) -> str:
    return INTERPOLATION.sub(lambda match: variables[match.group(1)], value).replace("$$", "$")


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_compose_file_follows_the_compose_specification():
    schema = schema_path()
    if schema is None and not docker_compose_answers():
        pytest.skip("neither ../shared/compose-spec.json nor a Docker engine is here to validate docker-compose.yml")

    if schema is not None:
        errors = [
            error.message for error in jsonschema.Draft7Validator(json.loads(schema.read_text())).iter_errors(COMPOSE)
        ]
    else:
        check = subprocess.run(["docker", "compose", "config", "--quiet"], cwd=ROOT, capture_output=True, text=True)
        errors = [check.stderr] if check.returncode else []

    assert errors == []


def test_every_server_and_process_the_app_needs_is_a_service():
    needed = SERVERS | ONE_SHOTS | set(APP_COMMANDS)

    assert needed - set(SERVICES) == set()


def test_each_app_process_runs_its_command_from_the_projects_image():
    commands = {name: SERVICES[name].get("command") for name in APP_COMMANDS}
    images = {SERVICES[name]["image"] for name in APP_COMMANDS}

    assert commands == APP_COMMANDS
    assert images == {"urbanharvest-app:local"}
    assert all(SERVICES[name]["build"] == "." for name in APP_COMMANDS)


def test_every_long_running_service_has_a_health_check_and_one_shots_do_not_restart():
    long_running = {name for name, service in SERVICES.items() if service.get("restart") != "no"}
    without_check = {name for name in long_running if not SERVICES[name].get("healthcheck", {}).get("test")}

    assert long_running == set(SERVICES) - ONE_SHOTS
    assert without_check == set()


def test_depends_on_names_defined_services_with_the_condition_they_reach():
    expected = {name: "service_completed_successfully" if name in ONE_SHOTS else "service_healthy" for name in SERVICES}
    wrong = {
        (service, dependency, spec["condition"])
        for service, definition in SERVICES.items()
        for dependency, spec in definition.get("depends_on", {}).items()
        if expected.get(dependency) != spec["condition"]
    }

    assert wrong == set()


def test_every_one_shot_is_awaited_by_a_long_running_service_so_up_wait_converges():
    awaited = {
        dependency
        for name, service in SERVICES.items()
        if name not in ONE_SHOTS
        for dependency in service.get("depends_on", {})
    }

    assert ONE_SHOTS - awaited == set()


def test_only_the_apps_own_ports_are_published_and_on_loopback():
    published = {name: service["ports"] for name, service in SERVICES.items() if service.get("ports")}

    assert published == PUBLISHED


def test_the_app_gets_the_same_settings_names_the_local_stack_provides():
    stack_names = set(config.local_servers(config.profile("test")))
    read = names_read_by_the_app()

    for service in APP_COMMANDS:
        compose_names = set(app_environment(service))
        assert stack_names - compose_names == set(), service
        assert compose_names - read == set(), service
    assert stack_names - read == set()


def test_every_variable_compose_interpolates_is_in_env_example_and_every_name_there_is_read():
    interpolated = set(INTERPOLATION.findall(COMPOSE_FILE.read_text()))
    example = set(env_example())

    assert {name for name, _message in interpolated} - example == set()
    assert example - names_read_by_the_app() - {name for name, _message in interpolated} == set()


def test_the_app_configured_as_compose_configures_it_passes_django_checks():
    secrets = {name: "s3cretvalue" + name.lower() for name, _message in INTERPOLATION.findall(COMPOSE_FILE.read_text())}
    env = {name: interpolate(value, secrets) for name, value in app_environment("web").items()}
    env = {"PATH": os.environ["PATH"], **env}

    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, cwd=ROOT, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert env["DJANGO_SETTINGS_MODULE"] == "urbanharvest.settings.compose"


def test_the_image_is_pinned_unprivileged_and_installs_dependencies_before_the_code():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and not line.startswith(("#", " "))]
    order = [f"{keyword} {rest}" for keyword, rest in instructions]

    assert re.search(r"^FROM python:3\.11\.\d+-slim-\w+$", dockerfile, re.MULTILINE)
    assert order.index("COPY requirements.txt ./") < order.index("COPY . .")
    assert "USER app" in order
    assert 'CMD ["gunicorn", "--config", "urbanharvest/gunicorn.conf.py"]' in order
    assert "WEB_BIND=0.0.0.0:8000" in dockerfile


def test_every_third_party_image_is_pinned_to_a_release():
    images = {service["image"] for name, service in SERVICES.items() if name not in APP_COMMANDS}
    floating = {image for image in images if ":" not in image or image.endswith((":latest", ":edge"))}

    assert floating == set()


def test_the_stacks_shell_scripts_parse():
    scripts = [*(ROOT / "deploy").rglob("*.sh")]
    topics_script = SERVICES["kafka-topics"]["command"][0].replace("$$", "$")

    results = [subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True) for script in scripts]
    results.append(subprocess.run(["bash", "-n"], input=topics_script, capture_output=True, text=True))

    assert [result.stderr for result in results if result.returncode] == []
    assert scripts
