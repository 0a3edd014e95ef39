"""The sources' data sets: found locally or downloaded, always verified by hash, never half-written.

Where a file is looked for, in order:
1. an explicit path (``--data`` on the command lines);
2. the folder named by ``$RNN_SPEC_DATA`` (tests point it at ``../shared/data``); naming a folder that
   does not exist is an error, not a silent fall-through;
3. the cache, ``$RNN_SPEC_CACHE`` or ``~/.cache/rnn-spec``;
4. a download into the cache, when allowed: to a temp file, verified, then renamed into place. With
   downloads allowed, a cached copy whose hash does not match is fetched again; without, it is an error.

A wrong hash, a truncated archive or an archive member that would land outside its folder raises
:class:`DataError`, whose message is one line naming the file and what was expected; so does a cache
that cannot be written, or a full disk (named as such, not as a bad archive).

The cache is shared by concurrent runs: a download or an extraction holds a lock file in the cache
(``.lock-<name>``), and whoever gets the lock first does the work while the others wait and then use
its result. Temporary files that a killed run left behind are removed by the next run that takes the lock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from reference.common.files import WriteError, replacing

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent runs on one cache are then unprotected
    fcntl = None

ENV_DATA = "RNN_SPEC_DATA"
ENV_CACHE = "RNN_SPEC_CACHE"


class DataError(Exception):
    """A data file that is missing, corrupted or unsafe; the message is one line."""


class DataMissing(DataError):
    """A data file that is nowhere it is looked for (and no download was allowed): not configured, as opposed
    to configured wrongly (``$RNN_SPEC_DATA`` naming a file) or damaged (a hash that does not match)."""


@dataclass(frozen=True)
class DataFile:
    name: str
    filename: str
    digests: tuple  # accepted (algorithm, hex digest) pairs
    url: str

    def describe(self) -> str:
        return " or ".join(f"{a} {d}" for a, d in self.digests)


FILES = {
    # 003 calls this hash "sha256"; 40 hex digits make it a SHA-1, and SHA-1 is what matches the file
    "timemachine": DataFile(
        "timemachine",
        "timemachine.txt",
        (("sha1", "090b5e7e70c295757f55df93cb0a180b9691891a"),),
        "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
    ),
    "lyrics": DataFile(
        "lyrics",
        "jaychou_lyrics.txt.zip",
        (("sha256", "3cfedd7d174111cdad5a27eaffaa6a2432a2842cf2590a03dd8a97610ea07043"),),
        "https://raw.githubusercontent.com/d2l-ai/d2l-zh/v1.0.0/data/jaychou_lyrics.txt.zip",
    ),
    # the 45k-review subset kept beside the project, or the full archive it was cut from
    "imdb": DataFile(
        "imdb",
        "aclImdb_45k.tar.gz",
        (
            ("sha256", "c1fc36f3d4a7d2d825b107f84d3656ef752df13ceaecef458711a0d6926f0ca3"),
            ("sha1", "01ada507287d82875905620988597833ad4e0903"),
        ),
        "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
    ),
}


def cache_dir() -> Path:
    return Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "rnn-spec")


def digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def matches(path: Path, spec: DataFile) -> bool:
    return any(digest(path, algorithm) == expected for algorithm, expected in spec.digests)


def verify(path: Path, spec: DataFile) -> Path:
    if matches(path, spec):
        return path
    algorithm = spec.digests[0][0]
    raise DataError(f"{path}: {algorithm} {digest(path, algorithm)} does not match the expected {spec.describe()}")


#: errors of writing, not of reading: a full disk is not a damaged archive
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


@contextlib.contextmanager
def locked(folder: Path, name: str):
    """Hold ``folder/.lock-<name>`` exclusively while the block runs: a concurrent run waits here. The
    holder removes the file when done; a waiter that then gets the lock on the removed file tries again."""
    path = folder / f".lock-{name}"
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a")
        except OSError as e:
            raise DataError(
                f"cannot write to the cache {folder} ({e.strerror or e}): set ${ENV_CACHE} to a writable folder"
            ) from None
        if fcntl is None:
            break
        fcntl.flock(handle, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break  # the lock is on the file that is still there: ours
        handle.close()
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        handle.close()


def remove_leftovers(folder: Path, pattern: str) -> None:
    """Temporary files or folders of a run that was killed mid-way (call with the lock held)."""
    for leftover in folder.glob(pattern):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink()


def _download(spec: DataFile, target: Path) -> Path:
    with locked(target.parent, spec.filename):
        remove_leftovers(target.parent, f".{spec.filename}.*.tmp")
        if target.is_file() and matches(target, spec):
            return target  # a concurrent run fetched it while this one waited
        return _fetch(spec, target)


def _fetch(spec: DataFile, target: Path) -> Path:
    try:
        with replacing(target) as tmp:
            with open(tmp, "wb") as out, urllib.request.urlopen(spec.url, timeout=60) as response:  # noqa: S310
                shutil.copyfileobj(response, out)
            verify(tmp, spec)
        return target
    except WriteError as e:  # the cache's disk, not the download, failed
        raise DataError(f"{spec.filename}: {e}") from None
    except OSError as e:
        raise DataError(f"{spec.filename}: download from {spec.url} failed ({e})") from None


def locate(name: str, path: Optional[Path] = None, download: bool = False) -> Path:
    """The verified local path of a data file (see the module docstring for the search order)."""
    spec = FILES[name]
    if path is not None:
        path = Path(path)
        if path.is_dir():
            path = path / spec.filename
        if not path.is_file():
            raise DataError(f"{path}: no such file (expected {spec.filename})")
        return verify(path, spec)
    cached = cache_dir() / spec.filename
    folder = os.environ.get(ENV_DATA)
    if folder and not Path(folder).is_dir():
        raise DataError(f"${ENV_DATA} is {folder}, which is not a folder: point it at the data's folder or unset it")
    candidates = [Path(folder) / spec.filename] if folder else []
    for candidate in candidates + [cached]:
        if candidate.is_file():
            if matches(candidate, spec):
                return candidate
            if candidate == cached and download:
                break  # a damaged or stale cached copy is fetched again (as 003's download() does)
            return verify(candidate, spec)  # raises, naming the file and the expected hash
    if download:
        return _download(spec, cached)
    raise DataMissing(
        f"{spec.filename} not found: pass its path, set ${ENV_DATA} to its folder, "
        f"or allow a download into {cache_dir()}"
    )


# --- the Time Machine (003) -----------------------------------------------------------------------------


def read_time_machine(path: Path) -> list:
    """Lines with everything but letters turned into spaces, stripped and lower-cased (003, 4.1)."""
    with open(path, encoding="utf-8") as f:
        return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in f]


def load_corpus_time_machine(path: Path, max_tokens: int = -1, token: str = "char"):
    """(corpus as a list of token indices, vocabulary); the lines are joined with nothing between them."""
    from reference.programs.text import Vocab, tokenize

    tokens = tokenize(read_time_machine(path), token)
    vocab = Vocab(tokens)
    corpus = [vocab[t] for line in tokens for t in line]
    return (corpus[:max_tokens] if max_tokens > 0 else corpus), vocab


# --- the Jay Chou lyrics (004) ---------------------------------------------------------------------------


def read_lyrics(path: Path, max_chars: int = 10000) -> str:
    """The first ``max_chars`` characters, with line breaks turned into spaces (004, data preparation)."""
    try:
        with zipfile.ZipFile(path) as z, z.open("jaychou_lyrics.txt") as f:
            text = f.read().decode("utf-8")
    except (zipfile.BadZipFile, KeyError, EOFError) as e:
        raise DataError(f"{path}: not a readable lyrics archive ({e})") from None
    return text.replace("\n", " ").replace("\r", " ")[:max_chars]


def char_indices(text: str):
    """(idx_to_char, char_to_idx, corpus indices), characters numbered by first appearance.

    004 numbers them through ``list(set(text))``, whose order changes from one Python process to the next
    (string hashing is salted), so its indices are not reproducible; first appearance is.
    """
    idx_to_char = list(dict.fromkeys(text))
    char_to_idx = {c: i for i, c in enumerate(idx_to_char)}
    return idx_to_char, char_to_idx, [char_to_idx[c] for c in text]


# --- IMDB reviews (000) ------------------------------------------------------------------------------------


def safe_members(archive: tarfile.TarFile, target: Path):
    """Every member, refusing links, devices and any path that would land outside ``target``."""
    root = target.resolve()
    for m in archive.getmembers():
        if not (m.isfile() or m.isdir()):
            raise DataError(f"{archive.name}: member {m.name!r} is a link or device, refused")
        where = (root / m.name).resolve()
        if where != root and root not in where.parents:
            raise DataError(f"{archive.name}: member {m.name!r} would be written outside {root}, refused")
        yield m


def extract(archive_path: Path, target: Path) -> Path:
    """Extract into ``target`` through a temp folder beside it, renamed into place only when complete.
    Concurrent runs wait for the one that extracts (a lock in ``target``'s folder) and then use its result."""
    if target.is_dir():
        return target
    with locked(target.parent, target.name):
        if target.is_dir():
            return target  # extracted by a concurrent run while this one waited
        remove_leftovers(target.parent, f".{target.name}.*")
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        except OSError as e:
            raise DataError(f"cannot extract into {target.parent} ({e.strerror or e})") from None
        try:
            with tarfile.open(archive_path) as archive:
                members = list(safe_members(archive, tmp))
                for m in members:
                    archive.extract(m, tmp, set_attrs=False)
            os.replace(tmp, target)
            return target
        except OSError as e:
            if e.errno in WRITE_ERRNOS:
                raise DataError(f"cannot extract {archive_path} into {target.parent} ({e.strerror})") from None
            raise DataError(f"{archive_path}: truncated or unreadable archive ({e})") from None
        except (tarfile.TarError, EOFError, zlib.error) as e:
            raise DataError(f"{archive_path}: truncated or unreadable archive ({e})") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)


def read_imdb(folder: Path, split: str, limit: Optional[int] = None):
    """(texts, labels) of ``aclImdb/<split>/{pos,neg}``: label 1 for pos, 0 for neg, pos first."""
    texts, labels = [], []
    for label, sub in ((1, "pos"), (0, "neg")):
        files = sorted((Path(folder) / "aclImdb" / split / sub).glob("*.txt"))
        if not files:
            raise DataError(f"{Path(folder) / 'aclImdb' / split / sub}: no reviews (not an aclImdb folder)")
        for f in files[:limit]:
            try:
                texts.append(f.read_text(encoding="utf-8").replace("\n", " "))
            except UnicodeDecodeError as e:
                raise DataError(f"{f}: not UTF-8 text ({e.reason} at byte {e.start})") from None
            except OSError as e:  # a folder named like a review (IsADirectoryError), an unreadable file
                raise DataError(f"{f}: cannot be read as a review ({e.strerror or e})") from None
            labels.append(label)
    return texts, labels
