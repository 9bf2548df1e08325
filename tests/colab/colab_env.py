"""A Colab-like Python environment, built once from Colab's own list of versions.

``pip-freeze.txt`` beside this file is the ``pip freeze`` of Google Colab's
default CPU runtime, copied from the public repository googlecolab/backend-info
(Apache-2.0; see CONTRIBUTING.md's Colab section for the commit and how to
refresh it). :func:`build` makes a virtual environment in ``.venv-colab`` with Colab's
Python minor version and Colab's versions of the packages a chapter imports
(and of everything they pull in), plus papermill to execute the chapters, and
a stand-in ``google.colab`` module imported at start-up, so that a chapter's
setup cell sees what it sees in Colab. The environment is rebuilt only when
the freeze file or this recipe changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FREEZE = Path(__file__).with_name("pip-freeze.txt")
VENV = REPO / ".venv-colab"

PYTHON = "3.13"
"""Colab's Python minor version (os-info.txt of backend-info: 3.13.15)."""

COLAB_PACKAGES = (
    "tensorflow",
    "keras",
    "jax",
    "jaxlib",
    "numpy",
    "pandas",
    "matplotlib",
    "ipython",
    "ipykernel",
    "tensorflow-datasets",
    "tensorflow-metadata",
    "protobuf",
    "jinja2",
    "jupytext",
    "pytest",
)
"""Installed at Colab's versions: what the chapters import (jinja2 for pandas' Styler),
and pytest."""

HARNESS = ("papermill",)
"""Not on Colab: executes the chapters in the environment (at its newest version)."""

PROTECTED = (
    "tensorflow",
    "keras",
    "jax",
    "jaxlib",
    "numpy",
    "pandas",
    "matplotlib",
    "ipython",
    "ipykernel",
)
"""Packages a chapter's install cell must never replace: Colab's stack and its frontend's kernel."""

STUBS = {
    "__init__.py": (
        '"""Stand-in for Colab\'s google.colab: the chapters look for it in '
        'sys.modules."""\n'
    ),
    "output.py": (
        '"""Stand-in for google.colab.output, which JAX imports when it finds '
        'google.colab."""\n'
    ),
}
"""The stand-in ``google.colab`` package: module name -> text."""


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_versions(freeze: Path = FREEZE) -> dict[str, str]:
    """Colab's ``name -> version`` pins (lines installed from a URL are left out)."""
    pins = {}
    for line in freeze.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line.strip())
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def find_python(version: str = PYTHON) -> str:
    """A Python ``version`` interpreter: ``pythonX.Y`` on PATH, else pyenv's.

    Raises:
        FileNotFoundError: none is installed (the error says how to get one).
    """
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        map(str, pyenv_root.glob(f"versions/{version}*/bin/python{version}")),
        reverse=True,
    )
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0 and done.stdout.strip() == str(
            tuple(map(int, version.split(".")))
        ):
            return candidate
    raise FileNotFoundError(
        f"No Python {version} (Colab's) found on PATH or under {pyenv_root}/versions: "
        f"install it (for example `pyenv install {version}`)."
    )


def recipe_key(freeze: Path = FREEZE) -> str:
    """What the environment is built from: the freeze file, the Python and the package lists."""
    digest = hashlib.sha256(freeze.read_bytes())
    digest.update(repr((PYTHON, COLAB_PACKAGES, HARNESS)).encode())
    return digest.hexdigest()


def python_of(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def build(venv: Path = VENV, freeze: Path = FREEZE) -> Path:
    """The Colab-like environment's Python, building the environment when it is stale."""
    stamp = venv / ".colab-recipe"
    key = recipe_key(freeze)
    if stamp.is_file() and stamp.read_text() == key and python_of(venv).exists():
        install_stub(python_of(venv))
        return python_of(venv)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([find_python(), "-m", "venv", str(venv)], check=True)
    constraints = venv / "colab-constraints.txt"
    pins = colab_versions(freeze)
    constraints.write_text(
        "".join(f"{name}=={version}\n" for name, version in pins.items())
    )
    pip = [
        str(python_of(venv)),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    subprocess.run(
        [*pip, "-c", str(constraints), f"pip=={pins['pip']}", *COLAB_PACKAGES],
        check=True,
    )
    subprocess.run([*pip, *HARNESS], check=True)
    install_stub(python_of(venv))
    stamp.write_text(key)
    return python_of(venv)


def install_stub(python: Path) -> None:
    """Write the stand-in ``google.colab``, imported at every start of ``python`` as in Colab."""
    site = Path(
        subprocess.run(
            [
                str(python),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    package = site / "google" / "colab"
    package.mkdir(parents=True, exist_ok=True)
    for name, text in STUBS.items():
        (package / name).write_text(text)
    (site / "colab_stub.pth").write_text("import google.colab\n")


def installed(python: Path) -> dict[str, str]:
    """``name -> version`` of every distribution in the environment of ``python``."""
    done = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        normalize(name): version for name, version in json.loads(done.stdout).items()
    }


def changed(
    before: dict[str, str], after: dict[str, str], names=PROTECTED
) -> dict[str, tuple]:
    """``name -> (before, after)`` for each of ``names`` whose version differs."""
    return {
        n: (before.get(n), after.get(n))
        for n in map(normalize, names)
        if before.get(n) != after.get(n)
    }


def restore(python: Path, base: dict[str, str]) -> None:
    """Put the environment back to ``base``: remove what was added, reinstall what changed."""
    now = installed(python)
    added = sorted(set(now) - set(base))
    if added:
        subprocess.run(
            [str(python), "-m", "pip", "uninstall", "--quiet", "-y", *added], check=True
        )
    moved = [
        f"{name}=={version}"
        for name, version in base.items()
        if now.get(name) != version
    ]
    if moved:
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                *moved,
            ],
            check=True,
        )


def clean_environment(venv: Path = VENV, **extra: str) -> dict[str, str]:
    """Process environment for the Colab-like Python: this process's, less its venv and backend."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KERAS_BACKEND", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


if __name__ == "__main__":
    print(build())
    sys.exit(0)
