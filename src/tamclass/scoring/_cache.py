"""Where numba keeps the compiled scoring kernels: a per-user folder, never inside the installed package.

numba's default for ``cache=True`` is a ``__pycache__`` folder beside the source file. For a package installed
into ``site-packages`` those ``.nbi`` / ``.nbc`` files are not in pip's record of the install, so uninstalling
tamclass (which ``pip install -e .`` does over a regular install) leaves ``site-packages/tamclass/`` behind without
its ``__init__.py``. Python then finds that folder first and imports ``tamclass`` as an empty namespace package,
which hides the editable install (``module 'tamclass' has no attribute 'signatures'``).

So the kernels' cache goes to a per-user folder instead: ``$NUMBA_CACHE_DIR`` when the user set one (numba then
chose it already), else ``<user cache>/tamclass/numba`` (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows), else a folder in the temporary directory. numba
keys each cached kernel by the full path of its source file and checks the file's time stamp and size, so two
installs never share an entry. Only the dispatchers of the calling module are touched; numba's global
configuration is restored at once, so other numba code in the same process is unaffected.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _user_cache_root() -> Path:
    """The platform's per-user cache folder (what ``platformdirs.user_cache_dir`` gives, without the dependency)."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def cache_dir() -> Path | None:
    """The folder for tamclass's numba cache (``None``: none is writable; numba then uses its own fallbacks)."""
    candidates = [_user_cache_root() / "tamclass" / "numba"]
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    candidates.append(Path(tempfile.gettempdir()) / f"tamclass-numba-{uid}")
    for path in candidates:
        if _writable(path):
            return path
    return None


def keep_out_of_package(namespace: dict) -> None:
    """Re-point the cache of every numba dispatcher defined in ``namespace`` (a module's ``globals()``).

    Call it on the last line of a module whose functions use ``@numba.njit(cache=True)``: numba picks a cache
    location when a function is decorated, and :meth:`Dispatcher.enable_caching` picks it again under the
    configuration set here. Nothing is compiled or loaded until the first call, so this costs nothing.
    """
    from numba.core import config
    from numba.core.dispatcher import Dispatcher

    if config.CACHE_DIR:  # the user's NUMBA_CACHE_DIR: numba already put the cache there
        return
    target = cache_dir()
    if target is None:
        return
    module = namespace.get("__name__")
    old = config.CACHE_DIR
    config.CACHE_DIR = str(target)
    try:
        for obj in list(namespace.values()):
            if isinstance(obj, Dispatcher) and getattr(obj.py_func, "__module__", None) == module:
                obj.enable_caching()
    finally:
        config.CACHE_DIR = old
