"""Start-up cost of `bankon` against bare imports, measured in the same run.

Run by hand (figures are printed, never asserted in tests):

    /work/venv/bin/python bench/startup.py            # 40 rounds
    /work/venv/bin/python bench/startup.py --rounds 100

Each round runs every command once, in turn, so that a busy machine slows all of them
alike; the ratios compare medians. Targets (issue 2): `--version` and `--help` within
1.2x `python -c "import typer"`; `client list` within 1.2x
`python -c "import typer, sqlalchemy.orm, rich.table"`. A second part runs the commands
with `python -X importtime` and lists the heavy packages each one imports.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
BANKON = str(Path(PYTHON).with_name("bankon"))
AGENT = ("7712345671", 'ООО "Региональный тестовый центр"')
CLIENTS = [
    ("Новая Техника", "4346051140", "Ксения Абрамова", "nt@example.ru"),
    ("Крахмал", "3257031038", "Viktor", "krahmal@example.ru"),
    ("Ромашка", "7705923096", "Вадим", "romashka@example.ru"),
    ("Тест-С-Петербург", "7809018702", "asd", "spb@example.ru"),
    ("Терновка", "6149006872", "Тестовый Пользователь", "ternovka@example.ru"),
    ("АО Р-ФАРМ", "7726311464", "Игнатьев В.", "info@r-pharm.com"),
]
# (label, argv, baseline label or None)
COMMANDS: list[tuple[str, list[str], str | None]] = [
    ("import typer", [PYTHON, "-c", "import typer"], None),
    ("bankon --version", [BANKON, "--version"], "import typer"),
    ("bankon --help", [BANKON, "--help"], "import typer"),
    (
        "import typer, sqlalchemy.orm, rich.table",
        [PYTHON, "-c", "import typer, sqlalchemy.orm, rich.table"],
        None,
    ),
    ("bankon client list", [BANKON, "client", "list"], "import typer, sqlalchemy.orm, rich.table"),
]
TARGET_RATIO = 1.2
FORBIDDEN = {
    "bankon --version": ("sqlalchemy", "questionary", "cryptography", "email_validator", "alembic"),
    "bankon --help": ("sqlalchemy", "questionary", "cryptography", "email_validator", "alembic"),
    "bankon client list": ("cryptography", "questionary", "email_validator", "alembic"),
}
WATCHED = (
    "typer",
    "pydantic",
    "rich",
    "sqlalchemy",
    "psycopg",
    "alembic",
    "questionary",
    "prompt_toolkit",
    "cryptography",
    "email_validator",
    "stdnum",
    "platformdirs",
)


def bench_environment(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BANKON_") and key != "NO_COLOR"
    }
    env.update(
        BANKON_HOME=str(home),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        BANKON_AGENT=AGENT[0],
        PYTHONDONTWRITEBYTECODE="",
    )
    return env


def prepare_database(env: dict[str, str]) -> None:
    """A small SQLite database made with bankon itself (so it is migrated and current)."""
    subprocess.run(
        [BANKON, "agent", "add", "--inn", AGENT[0], "--name", AGENT[1]],
        env=env, check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for name, inn, contact, email in CLIENTS:
        subprocess.run(
            [BANKON, "client", "add", "--inn", inn, "--name", name, "--contact", contact,
             "--email", email, "--no-invite"],
            env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def imported_modules(argv: list[str], env: dict[str, str]) -> list[tuple[str, int]]:
    """Top-level packages imported by the command, with the sum of their modules' own import
    times (us), so that a package counts wherever in the tree its modules were imported."""
    if argv[0] == BANKON:
        argv = [PYTHON, "-X", "importtime", "-m", "bankon_cli.main", *argv[1:]]
    else:
        argv = [PYTHON, "-X", "importtime", *argv[1:]]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    totals: dict[str, int] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, name = line[len("import time:") :].split("|")
        top = name.strip().split(".")[0]
        totals[top] = totals.get(top, 0) + int(own)
    return sorted(totals.items(), key=lambda item: -item[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bankon-bench-startup-"))
    try:
        env = bench_environment(home)
        prepare_database(env)
        for _label, argv, _ in COMMANDS:  # warm the OS cache and the bytecode caches
            time_once(argv, env)
        walls: dict[str, list[float]] = {label: [] for label, _, _ in COMMANDS}
        cpus: dict[str, list[float]] = {label: [] for label, _, _ in COMMANDS}
        for _ in range(args.rounds):
            for label, argv, _ in COMMANDS:
                wall, cpu = time_once(argv, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
        failures = 0
        for title, samples in (("wall time", walls), ("CPU time (user + system)", cpus)):
            print(f"Start-up, {args.rounds} rounds, {title} of each subprocess (ms):")
            print(f"  {'command':44} {'median':>8} {'min':>8}  ratio (median, min)")
            medians = {label: statistics.median(values) for label, values in samples.items()}
            minima = {label: min(values) for label, values in samples.items()}
            for label, _, baseline in COMMANDS:
                line = f"  {label:44} {medians[label] * 1000:8.1f} {minima[label] * 1000:8.1f}"
                if baseline:
                    ratio = medians[label] / medians[baseline]
                    ratio_min = minima[label] / minima[baseline]
                    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
                    failures += ratio > TARGET_RATIO
                    line += f"  {ratio:.2f}x / {ratio_min:.2f}x of «{baseline}» ({verdict})"
                print(line)
        print("\nHeavy packages imported (python -X importtime, ms of their own modules):")
        for label, argv, _ in COMMANDS:
            modules = dict(imported_modules(argv, env))
            shown = ", ".join(
                f"{name} {modules[name] / 1000:.0f}" for name in WATCHED if name in modules
            )
            forbidden = [name for name in FORBIDDEN.get(label, ()) if name in modules]
            failures += bool(forbidden)
            verdict = f"  FORBIDDEN: {', '.join(forbidden)}" if forbidden else ""
            print(f"  {label:44} {shown}{verdict}")
        return 1 if failures else 0
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
