"""The output directory as a unit: its manifest, and replacing it safely.

A study is written into a fresh staging directory beside ``DIR`` (or inside
it when ``DIR`` is a mount point or its parent is read-only) and moved into
place only when every file is complete:

* ``DIR`` absent: the staging directory is renamed to ``DIR`` (one atomic
  rename).
* ``DIR`` an earlier output directory: the earlier run's files (those its
  ``manifest.json`` lists and whose SHA-256 still matches) are moved aside,
  the new files moved in, ``manifest.json`` last; if any move fails, every
  move is undone.  Files that the earlier run did not write (the user's) are
  never moved, overwritten or deleted; a new output whose name is taken by
  such a file, by a changed file or by a symbolic link is refused before
  anything is moved.
* Anything else (a file, a symbolic link, a non-empty directory without a
  manifest, the root or home directory) is refused.

``manifest.json`` carries ``manifest_sha256``, the SHA-256 of its own
canonical JSON (sorted keys, no whitespace, UTF-8) without that field, so
that an edit of the versions, the parameters or the list of files is
detected.  It is a checksum, not a signature: whoever rewrites it can
recompute it, which is why ``reproduce`` also recomputes every number.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

from eventstudy._hashing import sha256_file
from eventstudy.exceptions import OutputError, OutputWarning

__all__ = [
    "MANIFEST",
    "MANIFEST_DIGEST",
    "Previous",
    "commit_outputs",
    "listed_path",
    "manifest_digest",
    "prepare_out",
    "read_manifest",
]

MANIFEST: Final = "manifest.json"
#: the manifest's own checksum field
MANIFEST_DIGEST: Final = "manifest_sha256"
_HEX = frozenset("0123456789abcdef")


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``manifest`` without its ``manifest_sha256`` field."""
    body = {k: v for k, v in manifest.items() if k != MANIFEST_DIGEST}
    text = json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_link_or_missing_parent(folder: Path, rel: PurePosixPath) -> str | None:
    """Why ``folder/rel`` cannot be trusted as a file inside ``folder`` (None if it can)."""
    cur = folder
    for i, part in enumerate(rel.parts):
        cur = cur / part
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        if stat.S_ISLNK(st.st_mode):
            return "a symbolic link (a directory vouches only for the files inside it)"
        last = i == len(rel.parts) - 1
        if not last and not stat.S_ISDIR(st.st_mode):
            return "missing"
        if last and not stat.S_ISREG(st.st_mode):
            return "not a regular file"
    return None


def _safe_name(name: object) -> PurePosixPath | None:
    """``name`` as a relative path inside a directory, or None if it could leave it."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return None
    p = PurePosixPath(name)
    if p.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    if ":" in p.parts[0]:  # a Windows drive such as C:
        return None
    return p


def listed_path(folder: Path, name: object) -> tuple[Path | None, str | None]:
    """Resolve a file name from a manifest: ``(path, None)`` or ``(None, problem)``.

    The name must be a relative path without ``..`` and every component must
    be a real directory or, last, a regular file: no symbolic links.
    """
    rel = _safe_name(name)
    if rel is None:
        return None, f"{name!r} is not a file inside the directory"
    why = _is_link_or_missing_parent(folder, rel)
    if why is not None:
        return None, why
    return folder.joinpath(*rel.parts), None


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and check the shape of ``folder/manifest.json``.

    Returns the manifest; ``files`` is a mapping of safe relative names to
    SHA-256 hex digests.

    Raises
    ------
    OutputError
        When the manifest is missing, is not JSON, is not an object, lacks
        ``files`` or names a file outside ``folder`` (naming what is wrong).
    """
    mf = folder / MANIFEST
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a directory")
    if mf.is_symlink() or not mf.is_file():
        raise OutputError(f"{folder} has no {MANIFEST}: not an eventstudy output directory")
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"{mf} is not readable JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise OutputError(f"{mf} holds a {type(manifest).__name__}, not a JSON object")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise OutputError(f"{mf} lists no files (no 'files' object)")
    for name, digest in files.items():
        if _safe_name(name) is None:
            raise OutputError(
                f"{mf} names {name!r}, which is not a file inside {folder}: a directory "
                "vouches only for the files inside it"
            )
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
            raise OutputError(f"{mf}: the SHA-256 of {name} is not a 64-digit hex string")
    extra = manifest.get("extra", [])
    if not isinstance(extra, list) or not all(isinstance(x, str) and x in files for x in extra):
        raise OutputError(f"{mf}: 'extra' must list files of 'files'")
    return manifest


# ---------------------------------------------------------------- writing


def _refused_place(out: Path) -> str | None:
    """Why ``out`` may never be an output directory (root, home or one of home's parents)."""
    try:
        target = out.resolve()
    except OSError:
        return None
    if target == Path(target.anchor):
        return "the root directory"
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        home = Path.home().resolve()
        if target == home:
            return "your home directory"
        if target in home.parents:
            return "a parent of your home directory"
    return None


@dataclass(frozen=True)
class Previous:
    """The earlier study in an output directory: what its manifest lists, and what is
    still exactly as it was written (``ours``: the only files a new run may replace)."""

    listed: dict[str, str] = field(default_factory=dict)
    ours: dict[str, str] = field(default_factory=dict)


def prepare_out(out: Path) -> Previous:
    """Check that ``out`` may receive a study; return the earlier run's files.

    Raises
    ------
    OutputError
        When ``out`` is a file, a symbolic link, the root or home directory,
        or a non-empty directory without a readable eventstudy manifest.
    """
    where = _refused_place(out)
    if where is not None:
        raise OutputError(f"output directory {out} is {where}; choose a directory of its own")
    if out.is_symlink():
        raise OutputError(
            f"output path {out} is a symbolic link; eventstudy does not write through links: "
            "give the directory itself"
        )
    if not out.exists():
        return Previous()
    if not out.is_dir():
        raise OutputError(f"output path {out} exists and is not a directory")
    mf = out / MANIFEST
    if not mf.exists() and not mf.is_symlink():
        if any(out.iterdir()):
            raise OutputError(
                f"output directory {out} is not empty and holds no eventstudy "
                f"{MANIFEST}; choose a new directory"
            )
        return Previous()
    try:
        manifest = read_manifest(out)
    except OutputError as exc:
        raise OutputError(
            f"output directory {out} holds a {MANIFEST} that eventstudy cannot read ({exc}); "
            "choose a new directory"
        ) from exc
    listed = dict(manifest["files"])
    ours: dict[str, str] = {}
    for name, digest in listed.items():
        path, _ = listed_path(out, name)
        if path is not None and sha256_file(path) == digest:
            ours[name] = digest
    return Previous(listed, ours)


def _stage_parent(out: Path) -> Path:
    """Where to create the staging directory: beside ``out``, or inside it if it must."""
    parent = Path(os.path.abspath(out)).parent  # ".", ".." and "a/.." have a real parent
    parent.mkdir(parents=True, exist_ok=True)
    if out.is_dir():
        same_fs = os.stat(out).st_dev == os.stat(parent).st_dev
        if not same_fs or not os.access(parent, os.W_OK):
            return out
    return parent


def new_stage(out: Path) -> Path:
    """Create an empty staging directory for ``out`` and return it."""
    name = Path(os.path.abspath(out)).name or "out"
    try:
        base = _stage_parent(out)
        stage = base / f".{name}.eventstudy-{uuid.uuid4().hex[:12]}.tmp"
        stage.mkdir()
    except OSError as exc:
        raise OutputError(
            f"cannot create a staging directory for {out}: {exc.strerror or exc} "
            f"({exc.filename or out})"
        ) from exc
    return stage


def _collisions(out: Path, names: Iterable[str], ours: Mapping[str, str]) -> list[str]:
    """New outputs whose place in ``out`` holds something the earlier run did not write."""
    bad: list[str] = []
    seen_dirs: set[str] = set()
    for name in sorted(names):
        rel = PurePosixPath(name)
        cur = out
        for part in rel.parts[:-1]:
            cur = cur / part
            key = str(cur.relative_to(out))
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            if cur.is_symlink():
                bad.append(f"{key}/ is a symbolic link")
            elif cur.exists() and not cur.is_dir():
                bad.append(f"{key} is a file where the study writes a folder")
        target = out.joinpath(*rel.parts)
        if name == MANIFEST and target.is_file() and not target.is_symlink():
            continue  # checked by prepare_out: the earlier run's manifest
        if name in ours or not (target.exists() or target.is_symlink()):
            continue
        if target.is_symlink():
            bad.append(f"{name} is a symbolic link")
        elif target.is_dir():
            bad.append(f"{name} is a folder")
        else:
            bad.append(f"{name} was not written by the earlier run (or was changed since)")
    return bad


class _Unrestored(OutputError):
    """A failed swap whose undo failed too: the earlier files stay in the staging folder."""


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def commit_outputs(stage: Path, out: Path, previous: Previous) -> None:
    """Move the complete study in ``stage`` to ``out``; undo everything on failure.

    ``previous`` is what :func:`prepare_out` returned.  The staging directory
    is removed in every case.
    """
    new = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    keep = False
    try:
        if not out.exists() and not out.is_symlink():
            try:
                os.rename(stage, out)
                return
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EXDEV):
                    raise
                previous = prepare_out(out)  # created meanwhile: check it again
        bad = _collisions(out, new, previous.ours)
        if bad:
            raise OutputError(
                f"output directory {out}: the new study would overwrite what the earlier "
                f"run did not write: {'; '.join(bad)}. Nothing was changed; move these away "
                "or choose another --out"
            )
        _swap(stage, out, new, previous)
    except _Unrestored:
        keep = True  # the staging directory holds the earlier files that could not go back
        raise
    except OSError as exc:
        raise OutputError(
            f"could not replace the study in {out}: {exc.strerror or exc}; {out} was left as it was"
        ) from exc
    finally:
        if not keep:
            shutil.rmtree(stage, ignore_errors=True)


def _swap(stage: Path, out: Path, new: list[str], previous: Previous) -> None:
    ours = previous.ours
    backup = stage / ".previous"
    moved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    old = [MANIFEST] + sorted(n for n in ours if n != MANIFEST)
    order = [n for n in new if n != MANIFEST] + [MANIFEST]
    try:
        for name in old:
            src = out / name
            if name == MANIFEST and not src.is_file():
                continue
            dst = backup / name
            _move(src, dst)
            moved.append((src, dst))
        for name in order:
            dst = out / name
            _move(stage / name, dst)
            placed.append(dst)
    except BaseException as exc:
        for p in reversed(placed):
            with contextlib.suppress(OSError):
                p.unlink()
        lost = []
        for src, dst in reversed(moved):
            try:
                os.replace(dst, src)
            except OSError:
                lost.append(src.relative_to(out).as_posix())
        if lost:
            raise _Unrestored(
                f"could not replace the study in {out} ({exc}), nor put back "
                f"{len(lost)} file(s) of the earlier study ({', '.join(lost[:5])}): they are "
                f"kept in {backup}"
            ) from exc
        raise
    # folders the earlier run used and the new one does not, if now empty
    for name in ours:
        for parent in PurePosixPath(name).parents:
            if str(parent) != ".":
                with contextlib.suppress(OSError):
                    (out / parent).rmdir()
    left = [n for n in sorted(previous.listed) if n not in ours and (out / n).exists()]
    if left:
        warnings.warn(
            OutputWarning(
                f"{out}: left in place {len(left)} file(s) listed by the earlier run's "
                f"manifest but changed since (now yours): {', '.join(left[:5])}"
            ),
            stacklevel=3,
        )
