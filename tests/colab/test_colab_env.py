"""The Colab-like environment's recipe, on small hand-made inputs.

Seconds: no environment is built.
"""

from __future__ import annotations

import colab_env
import pytest


def test_colab_versions_reads_pins_and_leaves_out_url_installs(tmp_path):
    freeze = tmp_path / "pip-freeze.txt"
    freeze.write_text(
        "absl-py==1.4.0\n"
        "google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz\n"
        "Jinja2==3.1.6\n"
        "ml_dtypes==0.6.0\n"
    )
    assert colab_env.colab_versions(freeze) == {
        "absl-py": "1.4.0",
        "jinja2": "3.1.6",
        "ml-dtypes": "0.6.0",
    }


def test_the_copied_freeze_holds_colabs_stack():
    pins = colab_env.colab_versions()
    assert len(pins) > 600
    assert {name: pins[name] for name in ("tensorflow", "keras", "jax", "ipython")} == {
        "tensorflow": "2.20.0",
        "keras": "3.13.2",
        "jax": "0.7.2",
        "ipython": "7.34.0",
    }
    assert set(colab_env.COLAB_PACKAGES) <= set(pins), (
        "every package installed at Colab's version is on Colab"
    )


def test_changed_names_each_replaced_protected_package():
    before = {"keras": "3.13.2", "jax": "0.7.2", "keras-rs": None}
    after = {"keras": "3.15.1", "jax": "0.7.2", "keras-rs": "0.4.0"}
    assert colab_env.changed(before, after) == {"keras": ("3.13.2", "3.15.1")}
    assert colab_env.changed(before, {"jax": "0.7.2"}, names=["Keras"]) == {
        "keras": ("3.13.2", None)
    }


def test_missing_python_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        FileNotFoundError,
        match=r"No Python 3\.99 \(Colab's\) found .* `pyenv install 3\.99`",
    ):
        colab_env.find_python("3.99")


def test_the_environment_gets_no_backend_or_path_of_this_one(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = colab_env.clean_environment(RECBOOK_REPOSITORY="file:///checkout")
    assert "KERAS_BACKEND" not in env and "PYTHONPATH" not in env
    assert env["PATH"].split(":")[0] == str(colab_env.VENV / "bin")
    assert env["RECBOOK_REPOSITORY"] == "file:///checkout"
