"""The project's own rules for docker-compose.yml, .env.example and the Dockerfile,
beyond what the Compose Specification's schema can say.

Usage: check_project.py ROOT   (prints one line per problem; exit 1 if any)
"""

import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

# `${VAR}`, `${VAR:-default}`, `${VAR:?message}`...; `$${...}` is a literal dollar.
VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
WHOLE_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?\-+][^}]*)?\}$")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|API_?KEY", re.IGNORECASE)
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")


class Checker:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def run(self) -> list[str]:
        compose_text = (self.root / "docker-compose.yml").read_text()
        compose = YAML(typ="safe").load(compose_text)
        services = compose.get("services") or {}
        for name in ("hub", "db"):
            if name not in services:
                self.fail(f"docker-compose.yml: no `{name}` service")
        if self.problems:
            return self.problems
        self.check_hub(services["hub"])
        self.check_db(services["db"], compose.get("volumes") or {})
        self.check_named_volumes(services, compose.get("volumes") or {})
        self.check_no_inline_secrets(services)
        self.check_env_example(set(referenced_vars(compose)))
        self.check_env_not_committed()
        return self.problems

    def check_hub(self, hub: dict) -> None:
        condition = (hub.get("depends_on") or {}).get("db", {})
        if not isinstance(condition, dict) or condition.get("condition") != "service_healthy":
            self.fail("hub: must depend on db with `condition: service_healthy`")
        if hub.get("ports") or hub.get("container_name"):
            self.fail("hub: no host ports and no container_name, or `--scale hub=3` fails")
        bind = (hub.get("environment") or {}).get("BIND")
        if bind != "0.0.0.0:8080":
            self.fail(f"hub: BIND must be 0.0.0.0:8080 inside the container (is {bind!r})")
        healthcheck = hub.get("healthcheck")
        if healthcheck is not None:
            if healthcheck.get("disable") or "/readyz" not in str(healthcheck.get("test")):
                self.fail("hub: its healthcheck must probe /readyz")
            return
        build = hub.get("build")
        if build is None:
            self.fail("hub: no healthcheck and no build whose Dockerfile has one")
            return
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        self.check_dockerfile(self.root / context / dockerfile)

    def check_dockerfile(self, path: Path) -> None:
        lines = joined_lines(path.read_text())
        stages = [i for i, l in enumerate(lines) if l.upper().startswith("FROM ")]
        if len(stages) < 2:
            self.fail(f"{path.name}: must be multi-stage (a builder and a slim runtime)")
            return
        final = lines[stages[-1]:]
        users = [l.split()[1] for l in final if l.upper().startswith("USER ")]
        if not users or users[-1].split(":")[0] in ("root", "0"):
            self.fail(f"{path.name}: the runtime stage must switch to a non-root USER")
        checks = [l for l in final if l.upper().startswith("HEALTHCHECK ")]
        if not checks or "/readyz" not in checks[-1] or "NONE" in checks[-1].upper().split()[1:2]:
            self.fail(f"{path.name}: the runtime stage needs a HEALTHCHECK that probes /readyz")

    def check_db(self, db: dict, volumes: dict) -> None:
        image = str(db.get("image", ""))
        if not re.match(r"^postgres:15(\b|[.-])", image):
            self.fail(f"db: must run PostgreSQL 15 (image is {image!r})")
        if "pg_isready" not in str((db.get("healthcheck") or {}).get("test")):
            self.fail("db: needs a pg_isready healthcheck")
        data = [v for v in db.get("volumes") or [] if volume_target(v) == "/var/lib/postgresql/data"]
        if not data or volume_source(data[0]) not in volumes:
            self.fail("db: /var/lib/postgresql/data must be a named volume declared under `volumes:`")

    def check_named_volumes(self, services: dict, volumes: dict) -> None:
        for name, service in services.items():
            for volume in service.get("volumes") or []:
                source = volume_source(volume)
                is_path = source is None or source.startswith((".", "/", "~", "$"))
                if not is_path and source not in volumes:
                    self.fail(f"{name}: volume {source!r} is not declared under `volumes:`")

    def check_no_inline_secrets(self, services: dict) -> None:
        for name, service in services.items():
            environment = service.get("environment") or {}
            if isinstance(environment, list):
                environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
            for key, value in environment.items():
                if value is None:
                    continue
                value = str(value)
                if SECRET_KEY.search(key) and value and not WHOLE_REF.match(value):
                    self.fail(f"{name}: {key} is written inline; take it from .env as ${{{key}}}")
                for password in URL_PASSWORD.findall(value):
                    if not WHOLE_REF.match(password):
                        self.fail(f"{name}: {key} holds a password inline; use a ${{VAR}} from .env")

    def check_env_example(self, used: set[str]) -> None:
        path = self.root / ".env.example"
        if not path.is_file():
            self.fail(".env.example is missing")
            return
        text = path.read_text()
        documented = set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=", text, re.MULTILINE))
        for var in sorted(used - documented):
            self.fail(f".env.example: ${{{var}}} is used in docker-compose.yml but not documented")
        for var in sorted(documented - used):
            self.fail(f".env.example: {var} is not used by docker-compose.yml")
        # Each variable needs a comment: the block of lines just above it.
        lines = text.splitlines()
        for i, line in enumerate(lines):
            match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=", line)
            if match and not any(l.startswith("#") for l in lines[max(0, i - 3):i]):
                self.fail(f".env.example: {match.group(1)} has no comment above it")

    def check_env_not_committed(self) -> None:
        tracked = subprocess.run(
            ["git", "-C", str(self.root), "ls-files", "--", ".env"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()
        if tracked:
            self.fail(".env is committed: it holds secrets; `git rm --cached .env`")
        ignored = subprocess.run(
            ["git", "-C", str(self.root), "check-ignore", "-q", ".env"], check=False
        ).returncode
        if ignored != 0:
            self.fail(".gitignore must ignore .env")


def referenced_vars(node):
    """The variables that compose interpolates: those in values (not comments)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from referenced_vars(value)
    elif isinstance(node, list):
        for value in node:
            yield from referenced_vars(value)
    elif isinstance(node, str):
        yield from VAR_REF.findall(node)


def joined_lines(text: str) -> list[str]:
    """Dockerfile instructions, one per entry, with continuation lines joined."""
    out, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
        else:
            out.append(current + line)
            current = ""
    if current:
        out.append(current)
    return out


def volume_source(volume) -> str | None:
    if isinstance(volume, dict):
        return volume.get("source")
    parts = str(volume).split(":")
    return parts[0] if len(parts) > 1 else None


def volume_target(volume) -> str | None:
    if isinstance(volume, dict):
        return volume.get("target")
    parts = str(volume).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    problems = Checker(root).run()
    for problem in problems:
        print(f"check-compose: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
