"""The loaders on made-up files: hashes, the search order, archives that must be refused, and nothing
left half-written."""

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from reference.programs import datasets
from reference.programs.datasets import DataError, DataFile

TINY = "The Time Machine\nby H. G. Wells!\n"


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A 'timemachine' entry pointing at a tiny made-up file with its real hash."""
    path = tmp_path / "timemachine.txt"
    path.write_text(TINY)
    spec = DataFile(
        "timemachine", "timemachine.txt", (("sha1", datasets.digest(path, "sha1")),), "http://127.0.0.1:9/x"
    )
    monkeypatch.setitem(datasets.FILES, "timemachine", spec)
    monkeypatch.setenv("RNN_SPEC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RNN_SPEC_DATA", raising=False)
    return path


def test_explicit_path_and_env_folder(tiny, monkeypatch):
    assert datasets.locate("timemachine", tiny) == tiny
    assert datasets.locate("timemachine", tiny.parent) == tiny
    monkeypatch.setenv("RNN_SPEC_DATA", str(tiny.parent))
    assert datasets.locate("timemachine") == tiny


def test_reading_the_time_machine(tiny):
    assert datasets.read_time_machine(tiny) == ["the time machine", "by h g wells"]
    corpus, vocab = datasets.load_corpus_time_machine(tiny, max_tokens=5)
    assert vocab.to_tokens(corpus) == list("the t")


def test_a_hash_mismatch_names_the_file_and_the_expected_hash(tiny):
    tiny.write_text(TINY + "tampered")
    with pytest.raises(DataError) as e:
        datasets.locate("timemachine", tiny)
    message = str(e.value)
    assert str(tiny) in message and datasets.FILES["timemachine"].digests[0][1] in message and "\n" not in message


def test_missing_file_without_download(tiny):
    with pytest.raises(DataError, match="not found: pass its path"):
        datasets.locate("timemachine")


def test_a_failed_download_leaves_nothing_in_the_cache(tiny):
    with pytest.raises(DataError, match="download from"):
        datasets.locate("timemachine", download=True)  # nothing listens on 127.0.0.1:9
    cache = Path(os.environ["RNN_SPEC_CACHE"])
    assert not cache.exists() or list(cache.iterdir()) == []


def make_tar(path: Path, members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = b"a fine film"
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE
                info.linkname = "/etc/passwd"
                tar.addfile(info)
    return path


def imdb_members():
    return [
        (f"aclImdb/{split}/{label}/{i}_7.txt", "file")
        for split in ("train", "test")
        for label in ("pos", "neg")
        for i in range(2)
    ]


def test_extract_and_read_a_tiny_imdb(tmp_path):
    folder = datasets.extract(make_tar(tmp_path / "imdb.tar.gz", imdb_members()), tmp_path / "out")
    texts, labels = datasets.read_imdb(folder, "train")
    assert texts == ["a fine film"] * 4 and labels == [1, 1, 0, 0]


@pytest.mark.parametrize(
    ("member", "fragment"),
    [
        (("../escape.txt", "file"), "outside"),
        (("/abs/escape.txt", "file"), "outside"),
        (("aclImdb/link", "link"), "link"),
    ],
)
def test_unsafe_archives_are_refused_and_nothing_is_left(tmp_path, member, fragment):
    archive = make_tar(tmp_path / "bad.tar.gz", [*imdb_members(), member])
    with pytest.raises(DataError, match=fragment):
        datasets.extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tar.gz"]
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_truncated_archive_is_refused_and_nothing_is_left(tmp_path):
    archive = make_tar(tmp_path / "imdb.tar.gz", imdb_members())
    archive.write_bytes(archive.read_bytes()[:-40])
    with pytest.raises(DataError, match="truncated or unreadable"):
        datasets.extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imdb.tar.gz"]


def test_lyrics_archive(tmp_path):
    path = tmp_path / "lyrics.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("jaychou_lyrics.txt", "想要有直升机\n想要和你飞到宇宙去\r\n" * 10)
    text = datasets.read_lyrics(path, max_chars=20)
    assert len(text) == 20 and "\n" not in text and "\r" not in text
    idx_to_char, char_to_idx, corpus = datasets.char_indices(text)
    assert idx_to_char[0] == "想" and [idx_to_char[i] for i in corpus] == list(text)
    path.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable lyrics archive"):
        datasets.read_lyrics(path)


def test_replacing_is_all_or_nothing_with_ordinary_permissions(tmp_path):
    from reference.common.files import replacing

    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]
    old_mask = os.umask(0o022)
    try:
        with replacing(tmp_path / "new.json") as tmp:
            tmp.write_text("new")
    finally:
        os.umask(old_mask)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644
