"""Tests of the compiled engines' loader: stale and corrupt builds are recognised and rebuilt.

Each scenario runs in a fresh interpreter on a private copy of the loader and the C++ sources,
with its own cache folder, so that nothing loaded in this process (or shared with other tests)
decides the outcome. A comment appended to a header gives sources no installed binary was built
from, which forces a build into the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import importlib.util, json, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("native_copy", sys.argv[1])
nat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nat)
nat.SOURCE_DIR = Path(sys.argv[2])
ready = nat.is_ready("_tour")
mod = nat.load("_tour")
import numpy as np
n = 8  # a one-way ring: 0 -> 1 -> ... -> 7 -> 0 costs 1 a leg, anything else 9
m = np.full((n, n), 9, dtype=np.int64)
m[np.arange(n), (np.arange(n) + 1) % n] = 1
np.fill_diagonal(m, 0)
t = np.array([0, 2, 1, 3, 5, 4, 6, 7], dtype=np.int64)
length = mod.polish(m, n, False, n - 1, t)
print(json.dumps({
    "ready": ready,
    "file": mod.__file__,
    "hash": mod.SOURCE_HASH,
    "expected": nat.source_hash("_tour"),
    "cached": str(nat._cached_path("_tour")),
    "length": int(length),
}))
"""


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the loader and its sources, edited so that only a build matches it."""
    root = tmp_path_factory.mktemp("native")
    shutil.copy(ROOT / "route" / "solver" / "native.py", root / "native.py")
    shutil.copytree(ROOT / "route" / "solver" / "native", root / "native")
    with open(root / "native" / "common.hpp", "a") as fh:
        fh.write("\n// edited by tests/test_native.py\n")
    return root


def _load(copy: Path, cache: Path) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(copy / "native.py"), str(copy / "native")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PAPERROUTE_CACHE_DIR": str(cache)},
    )
    out: dict[str, object] = json.loads(run.stdout)
    return out


def _checksum_matches(path: Path) -> bool:
    side = path.with_name(path.name + ".sha256")
    return side.read_text().strip() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_stale_corrupt_and_tampered_builds_are_rebuilt(copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # Sources no binary was built from: built into the cache, then used from there.
    first = _load(copy, cache)
    assert first["ready"] is False
    assert first["hash"] == first["expected"]
    assert first["file"] == first["cached"]
    assert first["length"] == 8  # the compiled polish found the one-way ring
    built = Path(str(first["cached"]))
    assert _checksum_matches(built)
    again = _load(copy, cache)
    assert again["ready"] is True
    assert again["file"] == first["file"]

    # Truncated binary: its checksum fails, it is rebuilt and works.
    built.write_bytes(built.read_bytes()[:4096])
    assert not _checksum_matches(built)
    rebuilt = _load(copy, cache)
    assert rebuilt["ready"] is False
    assert rebuilt["file"] == first["file"]
    assert rebuilt["length"] == 8
    assert _checksum_matches(built)

    # A binary overwritten together with its checksum (a copy of another file): it does not
    # load as this module, and is rebuilt.
    junk = b"\x7fELF" + b"\0" * 8192
    built.write_bytes(junk)
    built.with_name(built.name + ".sha256").write_text(hashlib.sha256(junk).hexdigest() + "\n")
    replaced = _load(copy, cache)
    assert replaced["ready"] is True  # the checksum alone cannot tell
    assert replaced["length"] == 8
    assert built.read_bytes() != junk
    assert _checksum_matches(built)

    # Sources changed again: the earlier build is stale and is not used.
    with open(copy / "native" / "common.hpp", "a") as fh:
        fh.write("// edited again\n")
    fresh = _load(copy, cache)
    assert fresh["ready"] is False
    assert fresh["file"] != first["file"]
    assert fresh["hash"] == fresh["expected"] != first["hash"]
