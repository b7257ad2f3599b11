"""Reading settings from the environment, failing fast and by name when a required one is missing."""

import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED = object()


class MissingSetting(ImproperlyConfigured):
    pass


def env(name: str, default: str | object = REQUIRED) -> str:
    """The variable `name`; without a default, its absence is an error naming it."""
    value = os.environ.get(name)
    if value not in (None, ""):
        return value
    if default is REQUIRED:
        raise MissingSetting(f"the environment variable {name} is required (see .env.example)")
    return default  # type: ignore[return-value]


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "").lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str | object = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]
