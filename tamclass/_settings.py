"""Package-wide settings: verbosity and progress bars (one place, no global RNG state)."""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

logger = logging.getLogger("tamclass")
if not logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("tamclass: %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False


@dataclass
class _Settings:
    #: show tqdm progress bars for long work; None = only when stderr is a terminal
    progress: bool | None = None
    #: default number of cells per chunk when streaming a matrix
    chunk_size: int = 10_000

    @property
    def verbosity(self) -> int:
        return logger.level

    @verbosity.setter
    def verbosity(self, level: int | str) -> None:
        logger.setLevel(level if isinstance(level, int) else level.upper())


settings = _Settings()


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
