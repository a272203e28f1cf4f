"""The package describes itself: its version, its command's --version, the extras that
its shipped test support needs."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import resell_core as rc
from resell_core.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
TESTING = ROOT / "src" / "resell_core" / "testing"


def _declared_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


def test_version_is_the_one_pyproject_declares() -> None:
    """resell_core.__version__ is the version of pyproject.toml, read from the metadata."""
    assert rc.__version__ == _declared_version()
    assert rc.__version__ == importlib.metadata.version("resell-core")


def test_main_version_prints_the_program_and_its_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """main(["--version"]) prints "resell-core X.Y.Z" and exits 0, with no command needed."""
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"resell-core {rc.__version__}\n"


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "resell_core", "--version"],
        [str(Path(sys.executable).parent / "resell-core"), "--version"],
    ],
    ids=["python -m resell_core", "resell-core"],
)
def test_the_installed_command_prints_the_version(command: list[str]) -> None:
    """`python -m resell_core --version` and the installed `resell-core --version` agree."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"resell-core {_declared_version()}\n"


def _third_party_imports(folder: Path) -> set[str]:
    """Top-level names of the modules imported under ``folder``, stdlib and ours left out."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names} - {"resell_core"}


def _requirements(extra: str | None) -> set[str]:
    """The distributions resell-core requires, always or with ``extra``, by normal name."""
    found = set()
    for requirement in importlib.metadata.requires("resell-core") or []:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        marker = requirement.partition(";")[2]
        wanted = f'extra == "{extra}"' in marker if extra else not marker.strip()
        if wanted:
            found.add(name.lower().replace("_", "-"))
    return found


def test_testing_extra_brings_what_resell_core_testing_imports() -> None:
    """Every third-party module resell_core.testing imports comes with the package itself
    or with its ``testing`` extra (pip install 'resell-core[testing]')."""
    distributions = importlib.metadata.packages_distributions()
    imported = _third_party_imports(TESTING)
    needed = {dist.lower() for name in imported for dist in distributions.get(name, [name])}

    missing = needed - _requirements(None) - _requirements("testing")

    assert {"hypothesis", "pytest"} <= needed
    assert missing == set(), f"add to the testing extra: {sorted(missing)}"
