"""The compiled engines: the extension built at install, or built once for this machine.

The tour engine (``_tour``) and the multi-carrier search (``_vrp``) are C++ extension modules
whose sources ship in ``route/solver/native/``. ``pip install`` compiles them with the package
(``setup.py``), so an installed paperroute starts searching at once. A source checkout run in
place (``PYTHONPATH``), or an install whose binaries no longer match their sources, builds the
module it needs on first use with the system's C++ compiler, a few seconds, into a cache
(:func:`cache_dir`), and loads it from there afterwards.

A binary is used only if it was built from exactly the sources beside it: each carries the
hash of its sources (``SOURCE_HASH``), and a cached one also the SHA-256 of its own bytes in a
file beside it. A stale binary (sources changed) or a corrupt one (truncated, overwritten, not
loadable) is detected and rebuilt. Builds write to a temporary file and rename it into place
under a lock, so two processes starting together build once and never read a half-written file.

This module uses the standard library only: ``setup.py`` loads it to build the same modules.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

#: The engines and the C++ sources each is built from (all headers count for every module).
MODULES: dict[str, tuple[str, ...]] = {"_tour": ("tour.cpp",), "_vrp": ("vrp.cpp",)}
#: Where the sources are.
SOURCE_DIR = Path(__file__).resolve().parent / "native"
#: Compiler flags of every build (setup.py adds them to the platform's own).
CXX_FLAGS = ("-O3", "-std=c++17", "-pthread", "-fvisibility=hidden", "-fno-semantic-interposition")
#: Bumped when the build recipe changes in a way the sources do not show.
_RECIPE = "2"


class BuildError(RuntimeError):
    """The compiled engine could not be built or loaded; the message says what to do."""


def source_hash(name: str) -> str:
    """Hash of the sources, headers and recipe module ``name`` is built from (16 hex digits)."""
    h = hashlib.sha256(f"{name}:{_RECIPE}:{sys.implementation.cache_tag}".encode())
    files = sorted({*MODULES[name], *(p.name for p in SOURCE_DIR.glob("*.hpp"))})
    for file in files:
        h.update(file.encode())
        h.update((SOURCE_DIR / file).read_bytes())
    return h.hexdigest()[:16]


def build_spec(name: str) -> dict[str, object]:
    """What ``setup.py`` needs to build module ``name`` as a setuptools extension."""
    return {
        "name": f"route.solver.{name}",
        "sources": [str((SOURCE_DIR / s).relative_to(Path.cwd())) for s in MODULES[name]],
        "include_dirs": [str(SOURCE_DIR.relative_to(Path.cwd()))],
        "define_macros": [("PAPERROUTE_SOURCE_HASH", f'"{source_hash(name)}"')],
        "extra_compile_args": list(CXX_FLAGS),
        "extra_link_args": ["-pthread"],
        "language": "c++",
    }


def cache_dir() -> Path:
    """Where modules built on first use are kept.

    ``PAPERROUTE_CACHE_DIR`` if set, else the platform's cache folder (``~/.cache/paperroute``
    on Linux, ``~/Library/Caches/paperroute`` on macOS, ``%LOCALAPPDATA%\\paperroute`` on
    Windows).
    """
    env = os.environ.get("PAPERROUTE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "paperroute"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "paperroute"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paperroute"


_LOADED: dict[str, ModuleType] = {}
_BUILDS: dict[str, threading.Thread] = {}
_ERRORS: dict[str, BaseException] = {}
_GUARD = threading.Lock()


def load(name: str) -> ModuleType:
    """The compiled module ``name``: the installed one if current, else from the cache.

    Raises
    ------
    BuildError
        If no current binary is installed and none can be built (no C++ compiler, no Python
        headers), with the compiler's message and what to install.
    """
    with _GUARD:
        if name in _LOADED:
            return _LOADED[name]
        pending = _BUILDS.get(name)
    if pending is not None:
        pending.join()
    with _GUARD:
        if name not in _LOADED:
            if name in _ERRORS:
                raise BuildError(str(_ERRORS.pop(name)))
            _LOADED[name] = _find(name)
        return _LOADED[name]


def prepare(names: tuple[str, ...] = tuple(MODULES)) -> None:
    """Start loading (building if need be) the modules in the background; :func:`load` waits.

    Building runs the compiler in a child process, so it goes on while the caller reads the
    street network.
    """
    with _GUARD:
        for name in names:
            if name in _LOADED or name in _BUILDS:
                continue
            thread = threading.Thread(target=_background, args=(name,), daemon=True)
            _BUILDS[name] = thread
            thread.start()


def is_ready(name: str) -> bool:
    """Whether ``name`` loads without compiling (installed and current, or cached)."""
    if name in _LOADED:
        return True
    if _installed(name) is not None:
        return True
    path = _cached_path(name)
    return path.exists() and _checksum_ok(path)


def _background(name: str) -> None:
    try:
        module = _find(name)
    except BaseException as exc:  # reported by load(), in the caller's thread
        with _GUARD:
            _ERRORS[name] = exc
            _BUILDS.pop(name, None)
        return
    with _GUARD:
        _LOADED.setdefault(name, module)
        _BUILDS.pop(name, None)


def _find(name: str) -> ModuleType:
    installed = _installed(name)
    if installed is not None:
        return installed
    path = _cached_path(name)
    module = _load_checked(name, path, remove=False)
    if module is not None:
        return module
    with locked(path):
        # Another process may have built it meanwhile; only the lock holder removes files.
        module = _load_checked(name, path, remove=True)
        if module is None:
            _build(name, path)
            module = _load_checked(name, path, remove=False)
    if module is None:
        raise BuildError(f"the compiled {name} module built at {path} does not load")
    return module


def _installed(name: str) -> ModuleType | None:
    """The module built with the package, if it matches the sources beside it."""
    try:
        module = importlib.import_module(f"route.solver.{name}")
    except ImportError:
        return None
    if not SOURCE_DIR.exists() or getattr(module, "SOURCE_HASH", None) == source_hash(name):
        return module
    return None


def _cached_path(name: str) -> Path:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return cache_dir() / f"{name}-{source_hash(name)}{suffix}"


def _checksum_ok(path: Path) -> bool:
    side = path.with_name(path.name + ".sha256")
    try:
        return side.read_text().strip() == hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return False


def _load_checked(name: str, path: Path, *, remove: bool) -> ModuleType | None:
    """The cached module at ``path``, or None if missing, stale or corrupt (then removed if
    ``remove``)."""
    if not path.exists():
        return None
    module = None
    if _checksum_ok(path):
        try:
            spec = importlib.util.spec_from_file_location(f"route.solver.{name}", path)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
        except (ImportError, OSError):
            module = None
    if module is not None and getattr(module, "SOURCE_HASH", None) == source_hash(name):
        return module
    if not remove:
        return None
    for stale in (path, path.with_name(path.name + ".sha256")):
        with contextlib.suppress(OSError):
            stale.unlink()
    return None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` (other processes building it wait)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(
            f"cannot create the cache folder {path.parent} for paperroute's compiled search "
            f"({exc}); set PAPERROUTE_CACHE_DIR to a writable folder"
        ) from None
    lock = path.with_name(path.name + ".lock")
    with open(lock, "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: the atomic rename alone keeps readers safe
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _compiler() -> list[str]:
    cxx = os.environ.get("CXX") or sysconfig.get_config_var("CXX") or "c++"
    return shlex.split(str(cxx))


def _build(name: str, path: Path) -> None:
    """Compile ``name`` into ``path`` (through a temporary file, then a rename)."""
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        raise BuildError(
            f"paperroute's compiled search needs Python's headers to build ({include}/Python.h "
            "is missing): install the python3-dev package, or install paperroute from a wheel"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    extra = ["-undefined", "dynamic_lookup"] if sys.platform == "darwin" else []
    cmd = [
        *_compiler(),
        *CXX_FLAGS,
        "-fPIC",
        "-shared",
        f"-I{include}",
        f"-I{SOURCE_DIR}",
        f'-DPAPERROUTE_SOURCE_HASH="{source_hash(name)}"',
        *(str(SOURCE_DIR / s) for s in MODULES[name]),
        *extra,
        "-o",
        tmp,
    ]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(
            f"paperroute's compiled search could not be built: no C++ compiler ({exc}). "
            "Install one (g++ or clang++, or set CXX), or install paperroute from a wheel"
        ) from None
    if run.returncode != 0:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(
            f"building paperroute's compiled {name} module failed:\n{run.stderr.strip()}"
        )
    # The checksum goes first: whoever sees the binary sees its checksum.
    digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
    side = path.with_name(path.name + ".sha256")
    side_tmp = side.with_name(side.name + ".tmp")
    side_tmp.write_text(digest + "\n")
    os.replace(side_tmp, side)
    os.replace(tmp, path)
