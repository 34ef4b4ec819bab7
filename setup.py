"""Build the compiled engines with the package (the rest of the metadata is in pyproject.toml).

The engines' sources are in route/solver/native/; route/solver/native.py (standard library only)
says what each module is built from, and stamps every binary with the hash of its sources so
that a stale build is recognised and rebuilt at run time.
"""

import importlib.util
import os
from pathlib import Path

from setuptools import Extension, setup

os.chdir(Path(__file__).resolve().parent)
_spec = importlib.util.spec_from_file_location("_paperroute_native", "route/solver/native.py")
if _spec is None or _spec.loader is None:
    raise SystemExit("route/solver/native.py is missing")
native = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(native)

setup(ext_modules=[Extension(**native.build_spec(name)) for name in native.MODULES])
