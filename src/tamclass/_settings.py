"""Package-wide settings (``tc.settings``) and the ``"tamclass"`` logger.

Logging follows the standard library's rules for a library: every message goes to the ``logging``
logger named ``"tamclass"`` and *propagates* to the root logger, so an application's own handlers
(``logging.basicConfig``, pytest's ``caplog``, a log file) receive it. When the application has not
configured logging at all (the root logger has no handler), a fallback handler prints the message to
``stderr`` as ``tamclass: message``, so nothing is lost either way and nothing is printed twice.

The level has three sources, first match wins:

1. a level set explicitly: ``tc.settings.verbosity = "info"`` (or ``logging.getLogger("tamclass").setLevel``,
   which is what the command line's ``-v`` / ``-q`` do);
2. otherwise, when scanpy has been imported, ``scanpy.settings.verbosity`` (0 error, 1 warning, 2 info,
   3 hint, 4 debug), read at each message so a later change is followed;
3. otherwise ``WARNING``.

No global RNG state lives here: every random draw takes its own ``random_state``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

#: scanpy's Verbosity values (scanpy/_settings.py) -> logging levels; 15 is scanpy's HINT level
_SCANPY_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: 15, 4: logging.DEBUG}
_NAMES = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "hint": 15, "debug": logging.DEBUG}


def _scanpy_level() -> int | None:
    """The logging level scanpy's verbosity stands for, or None when scanpy was not imported."""
    sc = sys.modules.get("scanpy")
    verbosity = getattr(getattr(sc, "settings", None), "verbosity", None)
    if verbosity is None:
        return None
    try:
        return _SCANPY_LEVELS.get(min(max(int(verbosity), 0), 4))
    except (TypeError, ValueError):
        return None


class _TamclassLogger(logging.Logger):
    """A logger whose unset level follows scanpy's verbosity (read at each call, not cached)."""

    def getEffectiveLevel(self) -> int:
        if self.level != logging.NOTSET:
            return self.level
        level = _scanpy_level()
        return logging.WARNING if level is None else level

    def isEnabledFor(self, level: int) -> bool:
        # logging caches the answer per level; scanpy's verbosity can change between calls, so no cache
        return not self.disabled and level >= self.getEffectiveLevel()


class _FallbackHandler(logging.Handler):
    """Print to the *current* ``sys.stderr``, but only while the application configured no logging."""

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers:  # the record propagates to the application's handlers instead
            return
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


logger = logging.getLogger("tamclass")
if type(logger) is logging.Logger:  # first import: give the "tamclass" logger the scanpy-following level
    logger.__class__ = _TamclassLogger
if not any(isinstance(h, _FallbackHandler) for h in logger.handlers):
    _handler = _FallbackHandler()
    _handler.setFormatter(logging.Formatter("tamclass: %(message)s"))
    logger.addHandler(_handler)
logger.propagate = True


def _level(value: int | str | None) -> int:
    if value is None:
        return logging.NOTSET
    if isinstance(value, bool):
        raise ValueError(f"verbosity must be a level name, a logging level or 0-4, got {value!r}")
    if isinstance(value, int):
        return _SCANPY_LEVELS[value] if 0 <= value <= 4 else value
    name = str(value).strip().lower()
    if name not in _NAMES:
        raise ValueError(f"verbosity {value!r}: use one of {sorted(_NAMES)}, a logging level or 0-4 (as scanpy)")
    return _NAMES[name]


@dataclass
class Settings:
    """Package-wide settings, ``tamclass.settings``.

    Attributes
    ----------
    chunk_size
        Cells per chunk when a matrix is streamed (:func:`tamclass.tl.score`; default 10,000). Smaller
        chunks use less memory; results do not depend on it.
    n_jobs
        Threads for the numba scoring kernels (``rank``, ``aucell``). ``None`` (default) keeps numba's
        own setting (``NUMBA_NUM_THREADS``, all cores); a positive number caps it for tamclass's calls
        only (numba's thread count is per calling thread and is restored afterwards).
    progress
        Show tqdm progress bars for long work; ``None`` = only when stderr is a terminal (or the
        ``TAMCLASS_PROGRESS`` environment variable says otherwise).
    verbosity
        Level of the ``"tamclass"`` logger: ``"error"``, ``"warning"``, ``"info"``, ``"hint"``,
        ``"debug"``, a :mod:`logging` level, or scanpy's 0-4. ``None`` (default) follows
        ``scanpy.settings.verbosity`` when scanpy is imported, else ``"warning"``. Reading it gives the
        level in force (a :mod:`logging` level number).

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.settings.chunk_size = 5_000
    >>> tc.settings.verbosity = "info"  # doctest: +SKIP
    >>> tc.settings.verbosity = None  # follow scanpy again  # doctest: +SKIP
    """

    progress: bool | None = None
    chunk_size: int = 10_000
    n_jobs: int | None = None

    def __setattr__(self, name: str, value) -> None:
        if name == "chunk_size" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"tc.settings.chunk_size must be a positive integer, got {value!r}")
        if (
            name == "n_jobs"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, int) or value < 1)
        ):
            raise ValueError(f"tc.settings.n_jobs must be None or a positive integer, got {value!r}")
        super().__setattr__(name, value)

    @property
    def verbosity(self) -> int:
        return logger.getEffectiveLevel()

    @verbosity.setter
    def verbosity(self, value: int | str | None) -> None:
        logger.setLevel(_level(value))


settings = Settings()


@contextlib.contextmanager
def numba_threads(n_jobs: int | None = None) -> Iterator[None]:
    """Cap numba's threads for the calling thread to ``n_jobs`` (default ``settings.n_jobs``), then restore."""
    n = settings.n_jobs if n_jobs is None else n_jobs
    if n is None:
        yield
        return
    import numba

    previous = numba.get_num_threads()
    available = int(numba.config.NUMBA_NUM_THREADS)  # numba.config sets it at import
    numba.set_num_threads(max(1, min(int(n), available)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to draw a progress bar: explicit argument > settings > env > is-a-terminal."""
    if progress is not None:
        return bool(progress)
    if settings.progress is not None:
        return settings.progress
    env = os.environ.get("TAMCLASS_PROGRESS")
    if env is not None:
        return env not in ("0", "false", "False", "")
    return sys.stderr.isatty()


def progress_bar(iterable=None, *, total=None, desc=None, progress: bool | None = None):
    """A tqdm bar that is silent when not interactive (or when asked)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=not progress_enabled(progress), leave=False)
