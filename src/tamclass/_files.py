"""Atomic file writes (base layer: no AnnData, importable from every layer).

Every file tamclass writes goes through :func:`atomic_path`: the content is written to a temporary file
in the *same directory* as the target, flushed and fsync'ed, then moved over the target with
:func:`os.replace` (atomic on POSIX and Windows). If anything goes wrong (an exception, a full disk,
Ctrl-C) the temporary file is removed and a file that already existed at the target is left untouched,
so a reader never sees half a file.

:func:`check_output_path` is meant to be called *before* the expensive work starts, so that a typo in an
output path fails in a second, not after an hour of scoring. :mod:`tamclass._io` re-exports all of these.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ._errors import TamclassIOError
from ._settings import logger

PathLike = str | os.PathLike


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(
    path: PathLike,
    *,
    inputs: Iterable[PathLike] = (),
    overwrite: bool = True,
    what: str = "output file",
) -> Path:
    """Check that ``path`` can be written, before any expensive work starts.

    Refuses (with :class:`~tamclass._errors.TamclassIOError`): an output that is one of ``inputs``
    (same resolved path or same inode, e.g. via a hard or symbolic link), an output that is a
    directory, a missing or unwritable parent directory, and an existing file when
    ``overwrite=False``.

    Returns
    -------
    The output path (``~`` expanded).
    """
    p = Path(path).expanduser()
    for src in inputs:
        if src is not None and _same_file(p, Path(src).expanduser()):
            raise TamclassIOError(
                f"{what} {str(p)!r} is the input file; tamclass never overwrites its input - "
                "choose a different output path"
            )
    if p.is_dir():
        raise TamclassIOError(f"{what} {str(p)!r} is a directory; give a file name (e.g. {str(p / 'out.h5ad')!r})")
    if p.exists() and not overwrite:
        raise TamclassIOError(f"{what} {str(p)!r} already exists; remove it or choose another path")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise TamclassIOError(f"the directory of {what} {str(p)!r} does not exist; create {str(parent)!r} first")
    if not parent.is_dir():
        raise TamclassIOError(f"{str(parent)!r} (directory of {what} {str(p)!r}) is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TamclassIOError(
            f"cannot write {what} {str(p)!r}: no write permission in {str(parent)!r}; choose a writable directory"
        )
    if p.exists() and not os.access(p, os.W_OK) and not os.access(parent, os.W_OK):
        raise TamclassIOError(f"cannot replace the existing {what} {str(p)!r}: it is read-only")
    # os.access says yes for root, on read-only mounts and under ACLs: probe by really creating a file
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise TamclassIOError(
            f"cannot write {what} {str(p)!r}: {exc.strerror or exc}; choose a writable directory"
        ) from exc
    return p


def check_output_dir(path: PathLike, *, create: bool = True, what: str = "output directory") -> Path:
    """Check (and optionally create) a directory for several output files."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise TamclassIOError(f"{what} {str(p)!r} exists and is not a directory; choose another path")
    if not p.exists():
        if not create:
            raise TamclassIOError(f"{what} {str(p)!r} does not exist; create it first")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise TamclassIOError(f"cannot create {what} {str(p)!r}: {str(parent)!r} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise TamclassIOError(f"cannot create {what} {str(p)!r}: no write permission in {str(parent)!r}")
        return p
    if not os.access(p, os.W_OK | os.X_OK):
        raise TamclassIOError(f"cannot write into {what} {str(p)!r}: no write permission")
    return p


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: PathLike, *, inputs: Iterable[PathLike] = (), what: str = "output file") -> Iterator[Path]:
    """Context manager yielding a temporary path to write; moved onto ``path`` only on success.

    The temporary file lives in the same directory as ``path`` (so :func:`os.replace` is atomic) and is
    named ``.<name>.<random>.tmp``. On any exception, including :class:`KeyboardInterrupt`, it is
    removed and ``path`` is left as it was.

    Examples
    --------
    >>> with atomic_path("out.png") as tmp:  # doctest: +SKIP
    ...     fig.savefig(tmp, format="png")
    """
    target = check_output_path(path, inputs=inputs, what=what)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise TamclassIOError(
            f"cannot write {what} {str(target)!r}: {exc.strerror or exc}; choose a writable directory"
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; give the final file the usual permissions (umask respected)
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        if not tmp.exists():
            raise TamclassIOError(f"internal error: nothing was written for {str(target)!r}")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(directory)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, TamclassIOError):
            raise TamclassIOError(
                f"could not write {what} {str(target)!r} ({_short(exc)}); nothing was written"
                + (" and the existing file was left untouched" if target.exists() else "")
                + " - check free disk space and permissions"
            ) from exc
        raise
    logger.info("wrote %s", target)


def write_text_atomic(text: str, path: PathLike, *, inputs: Iterable[PathLike] = (), encoding: str = "utf-8"):
    """Write a string to ``path`` atomically. Returns the output path."""
    with atomic_path(path, inputs=inputs) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
    return Path(path)


def write_bytes_atomic(data: bytes, path: PathLike, *, inputs: Iterable[PathLike] = ()):
    """Write bytes to ``path`` atomically. Returns the output path."""
    with atomic_path(path, inputs=inputs) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(path)


def write_table_atomic(
    df, path: PathLike, *, inputs: Iterable[PathLike] = (), sep: str = "\t", index: bool = True, **kwargs
):
    """Write a DataFrame as TSV (default) to ``path`` atomically. Returns the output path."""
    with atomic_path(path, inputs=inputs) as tmp:
        df.to_csv(tmp, sep=sep, index=index, **kwargs)
    return Path(path)
