"""pytest settings for the whole repository, wherever pytest is started in it.

nbval compares a notebook's fresh outputs with its stored ones after the sanitizer
``tests/nbval-sanitize.cfg`` (random table ids, memory addresses, wall times), so
``pytest --nbval notebooks/01_movielens_data.ipynb`` works as typed.
"""

from pathlib import Path

SANITIZER = Path(__file__).with_name("tests") / "nbval-sanitize.cfg"


def pytest_configure(config):
    if getattr(config.option, "nbval_sanitize_with", False) is None:
        config.option.nbval_sanitize_with = str(SANITIZER)
