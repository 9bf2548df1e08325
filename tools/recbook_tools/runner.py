"""Execute the book's chapters with papermill, and prepare their nbval copies.

Each chapter is a Jupytext pair in ``notebooks/``: ``NN_name.py`` (py:percent,
the source) and ``NN_name.ipynb`` (the executed outputs the site shows). The
runner executes the source and, only when the whole run succeeded, replaces
the stored ``.ipynb`` in one atomic step. A failed, killed or interrupted
run leaves the stored notebook untouched and keeps its partial output in its
own file, ``build/failed/<chapter>.<mode>.<UTC time>.ipynb``, to read.
SIGTERM (a CI timeout, ``docker stop``) is handled as Ctrl-C is, with the
partial output's path. Before the kernel starts, the output folder and
``build/failed`` are each checked by writing and removing a probe file; a full
disk is reported as such, and a truncated fragment is not kept. A replaced
stored notebook keeps its file mode.

Quick runs inject the chapter's quick parameters (the notebook metadata
``recbook.quick_parameters``, set in the ``.py`` header) into the cell tagged
``parameters`` and write to ``build/quick/``, never over the stored outputs.
Whatever is injected is checked before any kernel starts (for ``recbook-run --quick``,
every chapter's before the first runs): the chapter has exactly one cell tagged
exactly ``parameters``, and that cell assigns every injected name
(:func:`injected_parameters`); otherwise the chapter's own values would silently win.

Command line: ``recbook-run [--quick] [--list] [NAME ...]``; run
``recbook-run --help`` for the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import glob
import importlib.metadata
import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from recbook import records

from . import notebook_records

NOTEBOOKS_DIR = Path("notebooks")
QUICK_DIR = Path("build/quick")
FAILED_DIR = Path("build/failed")
NBVAL_DIR = Path("build/nbval")
VOLATILE_METADATA = ("papermill", "execution")
INTERRUPTED = 130
"""Exit code of ``recbook-run`` after Ctrl-C (128 + SIGINT), as shells use."""
TERMINATED = 143
"""Exit code of ``recbook-run`` after SIGTERM (128 + SIGTERM), as shells use."""
CPUINFO = Path("/proc/cpuinfo")
CPU_CACHES = Path("/sys/devices/system/cpu/cpu0/cache")
"""Where a run's CPU model and cache sizes are read from (Linux)."""
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class ChapterError(RuntimeError):
    """A chapter could not be found, read or executed."""


class ParametersError(ChapterError, ValueError):
    """A chapter's parameters would not be injected as asked: no cell tagged exactly
    ``parameters``, two such cells, or a name its parameters cell does not assign."""


class ParametersTypeError(ParametersError, TypeError):
    """A chapter's ``recbook.quick_parameters`` is not a mapping of names to values."""


class ChapterInterrupted(ChapterError):
    """The run was interrupted (Ctrl-C)."""


class ChapterTerminated(ChapterInterrupted):
    """The run was terminated (SIGTERM: a CI timeout, ``docker stop``)."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so that everything unwinds as for Ctrl-C."""


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While inside, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``).

    The kernel is then shut down and the partial output kept exactly as after
    Ctrl-C. Outside the main thread (where signals cannot be handled) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        _terminated.set()
        raise Terminated()

    if signal.getsignal(signal.SIGTERM) is not _terminate_handler[0]:
        _terminated.clear()  # the outermost: a fresh run
    _terminate_handler[0] = terminate
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_terminate_handler: list = [None]


def disk_full(error: BaseException) -> bool:
    """Whether an error (or the error it was raised from) is "no space left on device"."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in DISK_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


RESULTS_PAGE = records.RESULTS_CHAPTER
"""The page that reads every other chapter's stored figures: executed after them."""


def chapters(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The chapter sources (``NN_name.py``) by number; the results page, which reads
    the others, last."""
    found = sorted(
        notebooks_dir.glob("[0-9][0-9]_*.py"),
        key=lambda p: (p.stem == RESULTS_PAGE, p.stem),
    )
    if not found:
        raise ChapterError(f"No chapters (NN_name.py) in {notebooks_dir.resolve()}.")
    return found


def find_chapters(names: list[str], notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Resolve chapter names ("01", "1", "movielens_data", "01_movielens_data") to sources.

    No names means every chapter.
    """
    every = chapters(notebooks_dir)
    if not names:
        return every
    selected = []
    for name in names:
        stem = Path(name).stem
        matches = [
            p
            for p in every
            if stem in (p.stem, p.stem[:2], p.stem[3:])
            or (
                stem.isdigit() and p.stem[:2].isdigit() and int(stem) == int(p.stem[:2])
            )
        ]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in every)
            raise ChapterError(
                f"No single chapter is called {name!r}; the chapters are: {known}."
            )
        selected.append(matches[0])
    return selected


def read_source(source: Path) -> Any:
    """Read a chapter's Jupytext source.

    Raises:
        ChapterError: the file cannot be read or parsed (a broken YAML header, say); names the file.
    """
    import jupytext

    try:
        return jupytext.read(source)
    except Exception as error:
        # yaml, JSON and OS errors alike, none of which names the file.
        raise ChapterError(
            f"Cannot read {source}: {error.__class__.__name__}: {error}"
        ) from error


def read_stored(stored: Path) -> Any:
    """Read a stored executed notebook, with the metadata papermill expects.

    Raises:
        ChapterError: the file is not a valid notebook (a merge-conflict marker,
            say); the message names the file.
    """
    from papermill.iorw import load_notebook_node

    try:
        return load_notebook_node(str(stored))
    except Exception as error:
        # nbformat's NotJSONError and validation errors name no file.
        first = str(error).splitlines()[0] if str(error) else ""
        raise ChapterError(
            f"Cannot read {stored}: {error.__class__.__name__}: {first} Restore it "
            f"(git checkout {stored}) or re-run the chapter."
        ) from error


def absolute_data_dir() -> None:
    """Make a relative ``$MOVIELENS_DIR`` absolute, against the current folder.

    The kernel runs in ``notebooks/`` and inherits this environment, so a path
    relative to the caller's folder would otherwise point elsewhere.
    """
    from recbook.data import DATA_DIR_ENV

    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if value:
        os.environ[DATA_DIR_ENV] = str(Path(value).expanduser().resolve())


def failure_path(source: Path, quick: bool) -> Path:
    """Reserve a new file in ``build/failed/`` for this run's partial output.

    Its name holds the chapter, the mode and the UTC start time, e.g.
    ``01_movielens_data.quick.20261123T190501.ipynb`` (``-2``, ``-3``, ... are
    appended for runs started in the same second).

    Raises:
        ChapterError: ``build/failed`` cannot be written (see :func:`probe_writable`).
    """
    probe_writable(FAILED_DIR, "the folder of failed runs")
    started = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    stem = f"{source.stem}.{'quick' if quick else 'full'}.{started}"
    for number in range(1, 1000):
        path = FAILED_DIR / (
            f"{stem}.ipynb" if number == 1 else f"{stem}-{number}.ipynb"
        )
        try:
            path.open("x").close()
            return path
        except FileExistsError:
            continue
        except OSError as error:
            raise _cannot_write(
                FAILED_DIR, "the folder of failed runs", error
            ) from error
    raise ChapterError(
        f"Too many runs of {source.stem} started in the same second in {FAILED_DIR}."
    )


def _cannot_write(folder: Path, what: str, error: OSError) -> ChapterError:
    if error.errno in DISK_FULL:
        advice = f"the disk holding {folder.resolve()} is full: free some space"
    elif what == "the output folder":
        advice = "choose another --output-dir"
    else:
        advice = f"make {folder} writable"
    return ChapterError(
        f"Cannot write to {what} {folder} ({error.__class__.__name__}: "
        f"{error.strerror or error}); {advice}."
    )


PROBE = b"recbook-run write probe\n"


def probe_writable(folder: Path, what: str = "the folder") -> None:
    """Create ``folder`` if needed, then write, flush and remove a probe file in it.

    Raises:
        ChapterError: the folder cannot be created or written (read-only, not a
            folder, no space left); the message names it and what to do.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".recbook-probe.", dir=folder)
        try:
            os.write(fd, PROBE)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as error:
        raise _cannot_write(folder, what, error) from error


def prepare_output_dir(output_dir: Path) -> None:
    """Create the output folder and check that it can be written, or stop before executing.

    Raises:
        ChapterError: ``output_dir`` is a file, or cannot be created or written.
    """
    probe_writable(output_dir, "the output folder")


def kernel_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished children (the kernels run so far)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


PARAMETERS_TAG = "parameters"
"""The tag of the cell whose assignments papermill's injected values follow (exactly)."""


def quick_parameters(
    notebook: Any, chapter: str | Path = "the chapter"
) -> dict[str, Any]:
    """The chapter's quick parameters, from its notebook metadata (``{}`` if none).

    They are ``recbook.quick_parameters`` in the ``.py`` header, one ``name: value``
    line each; ``chapter`` names the chapter in the error.

    Raises:
        ParametersTypeError: ``recbook`` or its ``quick_parameters`` is not a mapping
            (``quick_parameters: 1``, a list).
    """
    header = notebook.metadata.get("recbook", {})
    key, quick = "recbook", header
    if isinstance(header, Mapping):
        key, quick = "recbook.quick_parameters", header.get("quick_parameters", {})
    if not isinstance(quick, Mapping):
        raise ParametersTypeError(
            f"{chapter}: {key} in its header (the notebook metadata) must be a "
            "mapping, with quick_parameters under recbook and one 'name: value' line "
            f"each under it (like 'epochs: 1'); got {quick!r} ({type(quick).__name__})."
        )
    return dict(quick)


def _cell(notebook: Any, index: int) -> str:
    """``cell 4 (`epochs = 30`)``: a cell by its index in the notebook and first line."""
    lines = notebook.cells[index].source.strip().splitlines()
    first = lines[0][:50] if lines else ""
    return f"cell {index} (`{first}`)"


def parameters_cell(
    notebook: Any, chapter: str | Path = "the chapter", names: tuple = ()
) -> int:
    """The index of the one cell tagged exactly ``parameters`` (:data:`PARAMETERS_TAG`).

    Papermill puts injected values after that cell. Without it, it puts them at
    the top, and the chapter's own assignments then override them: a quick run
    would run the full chapter and say nothing. ``names``, the names to inject,
    let the error point at the cell that assigns them.

    Raises:
        ParametersError: no cell is tagged exactly ``parameters`` (a cell tagged
            ``parameter``, ``Parameters`` or the like is named, else the cell that
            assigns ``names``), or more than one is.
    """
    import difflib

    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    tagged = [i for i, held in enumerate(tags) if PARAMETERS_TAG in held]
    if len(tagged) == 1:
        return tagged[0]
    if tagged:
        cells = " and ".join(_cell(notebook, i) for i in tagged)
        raise ParametersError(
            f"{chapter}: {len(tagged)} cells are tagged {PARAMETERS_TAG!r}, {cells}; "
            "papermill injects after the first alone. Keep the tag on one cell and "
            "move every parameter into it."
        )
    near = [
        f"{_cell(notebook, i)} is tagged {tag!r}"
        for i, held in enumerate(tags)
        for tag in held
        if difflib.get_close_matches(tag.lower(), [PARAMETERS_TAG], cutoff=0.75)
    ]
    assigning = []
    for i, cell in enumerate(notebook.cells):
        code = cell.source if cell.cell_type == "code" else ""
        held = [name for name in _assigned(code) or () if name in names]
        if held:
            assigning.append(f"{_cell(notebook, i)} assigns {', '.join(held)}")
    found = "; ".join(near or assigning[:1])
    raise ParametersError(
        f"{chapter}: no cell is tagged exactly {PARAMETERS_TAG!r}"
        + (f" ({found})" if found else "")
        + ", so the injected values would come before the chapter's own, which "
        "override them. Tag the cell that assigns the chapter's parameters "
        'exactly `# %% tags=["parameters"]` in the .py source.'
    )


def _assigned(source: str) -> list[str] | None:
    """The names ``source`` assigns at its top level, in order; ``None`` if not Python."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        names += [
            name.id
            for target in targets
            for name in ast.walk(target)
            if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store)
        ]
    return list(dict.fromkeys(names))


def assigned_names(
    notebook: Any, index: int, chapter: str | Path = "the chapter"
) -> list[str]:
    """The names cell ``index`` (the parameters cell) assigns at its top level, in order.

    Raises:
        ParametersError: the cell is not valid Python.
    """
    names = _assigned(notebook.cells[index].source)
    if names is None:
        raise ParametersError(
            f"{chapter}: its parameters {_cell(notebook, index)} is not valid Python; "
            "correct it."
        )
    return names


def injected_parameters(
    notebook: Any,
    chapter: str | Path,
    quick: bool,
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What a run injects: the quick parameters (if ``quick``), then ``parameters``.

    Checked before the kernel starts: when anything is injected, the chapter has
    exactly one cell tagged ``parameters`` (:func:`parameters_cell`), and that cell
    assigns every injected name (:func:`assigned_names`); a name it does not
    assign (``epoch`` for ``epochs``) would change nothing.

    Raises:
        ParametersTypeError: the quick parameters are not a mapping.
        ParametersError: no or two parameters cells, or a name the cell does not assign.
    """
    import difflib

    quick_values = quick_parameters(notebook, chapter) if quick else {}
    extra = dict(parameters or {})
    if not quick_values and not extra:
        return {}
    index = parameters_cell(notebook, chapter, tuple({**quick_values, **extra}))
    defined = assigned_names(notebook, index, chapter)
    for where, values in (
        ("recbook.quick_parameters in its .py header", quick_values),
        ("the parameters given to recbook_tools.runner.execute", extra),
    ):
        for name in values:
            if name in defined:
                continue
            close = difflib.get_close_matches(str(name), defined, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParametersError(
                f"{chapter}: {where} sets {name!r}{hint}, which its parameters "
                f"{_cell(notebook, index)} does not assign, so it would change "
                f"nothing; that cell assigns {', '.join(defined) or 'nothing'}. "
                f"Correct the name, or assign it in the parameters cell."
            )
    return {**quick_values, **extra}


def parameter_defaults(notebook: Any) -> dict[str, Any]:
    """The literal values the cell tagged ``parameters`` assigns (other assignments left out)."""
    import ast

    defaults = {}
    for cell in notebook.cells:
        if "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                ):
                    try:
                        defaults[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        continue
    return defaults


def quick_is_full(notebook: Any, chapter: str | Path = "the chapter") -> bool:
    """Whether the quick parameters are the chapter's own: its quick run is its full run.

    Raises:
        ParametersTypeError: the quick parameters are not a mapping (names ``chapter``).
    """
    defaults = parameter_defaults(notebook)
    return all(
        name in defaults and defaults[name] == value
        for name, value in quick_parameters(notebook, chapter).items()
    )


def strip_volatile(notebook: Any) -> Any:
    """Drop papermill's timings and run details, which change on every run."""
    for key in VOLATILE_METADATA:
        notebook.metadata.pop(key, None)
    for cell in notebook.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    return notebook


def file_mode(target: Path) -> int:
    """The mode a written ``target`` gets: the existing file's, else ``0o666`` less the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(notebook: Any, target: Path) -> None:
    """Write a notebook so that ``target`` is either the old file or the whole new one.

    The new file keeps the old one's mode (a new one gets the usual ``0o666``
    less the umask, 0644 typically), not the temporary file's 0600.
    """
    import nbformat

    write_text_atomically(target, lambda handle: nbformat.write(notebook, handle))


def write_text_atomically(target: Path, write: Callable[[TextIO], Any]) -> None:
    """Call ``write`` on a temporary file beside ``target``, then put it in its place.

    ``target`` is either the old file or the whole new one, with the old one's mode
    (:func:`write_atomically`).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
        os.chmod(tmp, file_mode(target))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def execute(
    source: Path,
    quick: bool = False,
    output_dir: Path | None = None,
    parameters: dict[str, Any] | None = None,
) -> Path:
    """Execute one chapter and store its executed notebook; return where it went.

    The output folder is checked and a relative ``$MOVIELENS_DIR`` made
    absolute before the kernel starts. The notebook's ``recbook_run`` metadata
    records the wall time, the kernel's CPU time (``kernel_cpu_seconds``: unlike
    the wall time, not inflated by other work on the machine), the mode and
    the cores.

    Args:
        source: the chapter's ``.py`` source.
        quick: inject the quick parameters (for tests) instead of running as written.
        output_dir: where the executed notebook goes; by default beside the
            source for a full run, ``build/quick`` for a quick one.
        parameters: more parameters to inject (over the quick ones), for tests
            of other settings (for example one device); give an ``output_dir``
            with them, so that the stored notebook is not replaced.

    Raises:
        ChapterError: the chapter cannot be read, the output folder cannot be
            written, or the execution failed or the kernel died (the partial
            notebook is kept in its own file in ``build/failed/``, and the
            stored one is left as it was).
        ChapterInterrupted: Ctrl-C, with the same guarantees.
        ChapterTerminated: SIGTERM, with the same guarantees.
    """
    with sigterm_as_interrupt():
        return _execute(source, quick, output_dir, parameters)


def _interrupted(source: Path, kept: str, where: str = "") -> ChapterInterrupted:
    if isinstance(sys.exc_info()[1], Terminated) or _terminated.is_set():
        return ChapterTerminated(
            f"{source.name} was terminated (SIGTERM){where}. {kept}"
        )
    return ChapterInterrupted(f"{source.name} was interrupted (Ctrl-C){where}. {kept}")


_terminated = threading.Event()
"""Set while a SIGTERM is being handled (the kernel may die of it first)."""


def _execute(
    source: Path,
    quick: bool,
    output_dir: Path | None,
    parameters: dict[str, Any] | None,
) -> Path:
    import nbclient.exceptions
    import papermill

    notebook = read_source(source)
    parameters = injected_parameters(notebook, source, quick, parameters) or None
    if output_dir is None:
        output_dir = QUICK_DIR if quick else source.parent
    prepare_output_dir(output_dir)
    absolute_data_dir()
    target = output_dir / f"{source.stem}.ipynb"
    failed = failure_path(source, quick)
    kept = f"Its partial output is in {failed}; {target} was left as it was."
    tic, cpu = time.perf_counter(), kernel_cpu_seconds()
    try:
        executed = papermill.execute_notebook(
            notebook,
            str(failed),
            parameters=parameters,
            cwd=str(source.parent),
            progress_bar=sys.stderr.isatty(),
            report_mode=False,
        )
    except papermill.PapermillExecutionError as error:
        if error.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel first
            raise _interrupted(source, kept, f" in cell {error.exec_count}") from None
        raise ChapterError(
            f"{source.name} failed in cell {error.exec_count} "
            f"({error.ename}: {error.evalue}). {kept}"
        ) from error
    except nbclient.exceptions.DeadKernelError as error:
        if _terminated.is_set():
            raise _interrupted(source, kept) from None
        raise ChapterError(
            f"{source.name}: the kernel died (killed, perhaps for lack of memory: {error}). {kept}"
        ) from error
    except KeyboardInterrupt:
        raise _interrupted(source, kept) from None
    except Exception as error:
        if disk_full(error):
            # The partial output could not be written whole: keep no truncated fragment.
            failed.unlink(missing_ok=True)
            raise ChapterError(
                f"{source.name}: no space left on the disk holding "
                f"{failed.parent.resolve()} while writing its output "
                f"({error}); the fragment was removed and {target} was left as it "
                f"was. Free some space and run again."
            ) from error
        if failed.exists() and failed.stat().st_size == 0:
            # papermill stopped before writing anything: keep no empty file.
            failed.unlink()
        raise
    executed = strip_volatile(executed)
    executed.metadata[notebook_records.RUN_METADATA] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - tic, 1),
        "kernel_cpu_seconds": round(kernel_cpu_seconds() - cpu, 1),
        "quick": quick,
        "cpus": os.cpu_count(),
        **cpu_description(),
        "gpus": len(glob.glob("/proc/driver/nvidia/gpus/*")),
        "backend": os.environ.get("KERAS_BACKEND", "jax"),
        "versions": library_versions(),
    }
    try:
        write_atomically(executed, target)
    except OSError as error:
        if not disk_full(error):
            raise
        raise ChapterError(
            f"{source.name} ran, but no space is left on the disk holding "
            f"{target.parent.resolve()} to store it ({error}); {target} was left as "
            f"it was. The whole executed notebook is in {failed}."
        ) from error
    failed.unlink(missing_ok=True)
    return target


def cpu_description() -> dict[str, Any]:
    """The CPU's model name and cpu0's cache sizes, as Linux reports them.

    ``cpu_model`` from :data:`CPUINFO` (``model name``), ``cpu_caches`` from
    :data:`CPU_CACHES` (``{"L1d": "48K", "L1i": "64K", "L2": "2048K", ...}``);
    either is left out where the file does not exist (another system).
    """
    found: dict[str, Any] = {}
    try:
        for line in CPUINFO.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "cpu model"):
                found["cpu_model"] = value.strip()
                break
    except OSError:
        pass
    kinds = {"Data": "d", "Instruction": "i", "Unified": ""}
    caches = {}
    for index in sorted(CPU_CACHES.glob("index*"), key=lambda p: p.name):
        try:
            level, kind, size = (
                (index / name).read_text().strip() for name in ("level", "type", "size")
            )
        except OSError:
            continue
        caches[f"L{level}{kinds.get(kind, kind)}"] = size
    if caches:
        found["cpu_caches"] = caches
    return found


VERSIONED = ("keras", "keras-rs", "jax", "jaxlib", "tensorflow", "tensorflow-cpu")
"""The libraries whose versions a run records (those installed)."""


def library_versions() -> dict[str, str]:
    """Installed versions of :data:`VERSIONED`, by distribution name.

    ``tensorflow-cpu`` is reported as ``tensorflow``: the same library.
    """
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    if "tensorflow-cpu" in versions:
        versions.setdefault("tensorflow", versions.pop("tensorflow-cpu"))
    return versions


NBVAL_CONFTEST = '''"""Written by recbook-run --prepare-nbval: these stored notebooks are
the results page's input here, not nbval tests (the notebook tier checks them)."""

collect_ignore = {inputs!r}
'''


def prepare_nbval(
    notebooks_dir: Path = NOTEBOOKS_DIR, output_dir: Path = NBVAL_DIR
) -> list[Path]:
    """Copy the stored notebooks whose quick run is their full run, outputs kept.

    ``pytest --nbval`` on the copies re-executes each such chapter (with its quick
    parameters injected, which are its own: :func:`quick_is_full`) and compares
    every output with those stored by the full run. A chapter whose quick run is
    shorter is not tested there: the notebook tier executes it once with its quick
    parameters and compares the cells tagged ``nbval-check-output`` itself (counts,
    vocabulary sizes, parameter totals: outputs that do not depend on the training
    budget), so that no chapter is executed twice in one test run. Its stored
    notebook is still copied, unchanged, for the results page to read beside its
    own copy, and ``output_dir/conftest.py`` (:data:`NBVAL_CONFTEST`) keeps pytest
    from collecting it. The copies to test are returned.

    All or nothing: the copies are written into a new folder beside
    ``output_dir``, which then takes its place; on any error ``output_dir``
    is left as it was.

    Raises:
        ChapterError: a chapter has no stored notebook, or it cannot be read.
    """
    from papermill.parameterize import parameterize_notebook

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        names: list[str] = []
        inputs: list[str] = []
        for source in chapters(notebooks_dir):
            stored = source.with_suffix(".ipynb")
            if not stored.exists():
                raise ChapterError(
                    f"{source.name} has no executed {stored.name}: run recbook-run {source.stem}."
                )
            notebook = read_stored(stored)
            if not quick_is_full(notebook, stored):
                write_atomically(notebook, fresh / stored.name)
                inputs.append(stored.name)
                continue
            parameters = quick_parameters(notebook, stored)
            if parameters:
                notebook = parameterize_notebook(
                    notebook, parameters, report_mode=False
                )
            write_atomically(strip_volatile(notebook), fresh / stored.name)
            names.append(stored.name)
        (fresh / "conftest.py").write_text(
            NBVAL_CONFTEST.format(inputs=inputs), encoding="utf-8"
        )
        replace_folder(fresh, output_dir)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return [output_dir / name for name in names]


def replace_folder(fresh: Path, target: Path) -> None:
    """Put folder ``fresh`` in place of folder ``target`` (which may not exist) by renames."""
    old = target.with_name(f".{target.name}.old.{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``recbook-run``)."""
    parser = argparse.ArgumentParser(
        prog="recbook-run",
        description="Execute the book's chapters and store their outputs "
        "(a failed run leaves the stored notebook untouched).",
    )
    parser.add_argument(
        "names",
        nargs="*",
        help="chapters to run (default: all), e.g. 01 or movielens_data",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"quick parameters, written to {QUICK_DIR}/",
    )
    parser.add_argument(
        "--output-dir", type=Path, help="where to write the executed notebooks"
    )
    parser.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS_DIR)
    parser.add_argument(
        "--list",
        action="store_true",
        help="list the chapters and their quick parameters",
    )
    parser.add_argument(
        "--prepare-nbval",
        action="store_true",
        help=f"write nbval copies to {NBVAL_DIR}/",
    )
    args = parser.parse_args(argv)
    with sigterm_as_interrupt():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    try:
        if args.prepare_nbval:
            for path in prepare_nbval(args.notebooks_dir, args.output_dir or NBVAL_DIR):
                print(f"nbval copy: {path}")
            return 0
        selected = find_chapters(args.names, args.notebooks_dir)
        if args.list:
            for source in selected:
                quick = quick_parameters(read_source(source), source)
                print(f"{source.stem}: quick {quick}")
            return 0
        if args.quick:  # every chapter checked before the first runs
            for source in selected:
                injected_parameters(read_source(source), source, quick=True)
        started = time.perf_counter()
        for index, source in enumerate(selected, 1):
            mode = "quick" if args.quick else "full"
            print(f"[{index}/{len(selected)}] {source.stem} ({mode}) ...", flush=True)
            tic = time.perf_counter()
            target = execute(source, quick=args.quick, output_dir=args.output_dir)
            print(
                f"    wrote {target} in {time.perf_counter() - tic:.1f} s", flush=True
            )
            for name, value in notebook_records.read(target).items():
                print(f"    {name} = {value}")
        print(
            f"done: {len(selected)} chapter(s) in {time.perf_counter() - started:.1f} s"
        )
    except ChapterError as error:
        print(f"recbook-run: {error}", file=sys.stderr)
        if isinstance(error, ChapterTerminated):
            return TERMINATED
        return INTERRUPTED if isinstance(error, ChapterInterrupted) else 1
    except Terminated:
        print("recbook-run: terminated (SIGTERM) between chapters.", file=sys.stderr)
        return TERMINATED
    except KeyboardInterrupt:
        print("recbook-run: interrupted (Ctrl-C) between chapters.", file=sys.stderr)
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
