"""``pytest --nbval`` as a reader types it, on a machine whose TFDS cache is empty.

The first run of a chapter prepares the TensorFlow Datasets data, and whatever TFDS
writes to stderr while it does would be an output the stored notebook does not hold,
so nbval would fail on the first run and pass on the second. This runs the README's
command for the data chapter in a fresh process with a new, empty TFDS cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.data
@pytest.mark.notebook
def test_nbval_passes_as_typed_with_an_empty_tfds_cache(movielens_dir, tmp_path):
    cache = tmp_path / "tensorflow_datasets"
    environment = {**os.environ, "TFDS_DATA_DIR": str(cache)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "notebooks/01_movielens_data.ipynb",
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
    assert (cache / "movielens").is_dir(), (
        "the run prepared TFDS's data in the new cache"
    )
