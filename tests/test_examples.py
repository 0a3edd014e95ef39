"""The example programs as a user runs them: --help, --smoke, outputs, one-line errors. Parametrized
over cpu and cuda (cuda skips without a GPU)."""

import pytest


def test_hello_help(capsys):
    from reference.programs import hello

    with pytest.raises(SystemExit) as e:
        hello.main(["--help"])
    assert e.value.code == 0 and "--version" in capsys.readouterr().out


def test_hello_smoke_writes_curve_and_checkpoint(tmp_path, device, capsys):
    from reference.programs import hello

    assert hello.main(["--smoke", "--version", "rnn", "--device", device, "--out", str(tmp_path)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 3 and all("predicted" in ln and "loss" in ln for ln in lines)
    assert (tmp_path / "hello-rnn.pt").stat().st_size > 0
    assert (tmp_path / "hello-rnn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hello_the_two_versions_learn_in_step(device):
    """Same seed, same initial weights, and Adam ignores the factor 5 between summed and mean loss."""
    from reference.programs.hello import train

    cell = [w for w, _ in train("cell", 20, 0.1, 3, device)[1]]
    rnn = [w for w, _ in train("rnn", 20, 0.1, 3, device)[1]]
    assert cell == rnn


def test_hello_bad_device_is_one_line(capsys):
    import torch

    from reference.programs import hello

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert hello.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hello: error: --device cuda but no CUDA device is available"]


@pytest.mark.e2e
def test_hello_runs_as_a_module(launch):
    """The command line itself, once, in a fresh interpreter."""
    r = launch(["--version", "cell", "--epochs", "2"], module="reference.programs.hello").result()
    assert r.returncode == 0 and r.stdout.count("predicted") == 2


@pytest.fixture
def tiny_corpora(tmp_path, monkeypatch):
    """Made-up Time Machine and lyrics files, registered with their own hashes: the programs run on a fresh
    clone, which has no copy of the sources' data (the data claims check the real files where present)."""
    return make_tiny_corpora(tmp_path / "data", monkeypatch)


def make_tiny_corpora(folder, monkeypatch):
    """:func:`tiny_corpora` in ``folder`` (the same bytes every time, so the same hashes), for any scope."""
    import zipfile

    from reference.programs import datasets

    folder.mkdir()
    (folder / "timemachine.txt").write_text("The Time Traveller, for so it will be convenient to speak of him.\n" * 12)
    with zipfile.ZipFile(folder / "jaychou_lyrics.txt.zip", "w") as z:
        z.writestr("jaychou_lyrics.txt", "想要有直升机\n想要和你飞到宇宙去\n想要和你融化在一起\n" * 20)
    for name, entry in datasets.FILES.items():
        path = folder / entry.filename
        if path.exists():
            digest = (("sha256", datasets.digest(path, "sha256")),)
            monkeypatch.setitem(datasets.FILES, name, datasets.DataFile(name, entry.filename, digest, entry.url))
    return folder


@pytest.mark.parametrize("program", ["char_lm", "lyrics"])
def test_language_models_smoke(program, tmp_path, device, capsys, tiny_corpora):
    module = __import__(f"reference.programs.{program}", fromlist=["main"])
    assert module.main(["--smoke", "--device", device, "--data", str(tiny_corpora), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    epochs = [ln for ln in out.splitlines() if ln.startswith("epoch")]
    assert len(epochs) == 2 and all("perplexity" in ln and "tokens/s" in ln for ln in epochs)
    stem = {"char_lm": "char_lm-rnn1", "lyrics": "lyrics-lstm1"}[program]
    assert (tmp_path / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / f"{stem}.pt").stat().st_size > 0
    assert (tmp_path / f"{stem}.json").read_text().startswith("{")


def test_language_model_without_data_is_one_line(tmp_path, capsys):
    from reference.programs import char_lm

    assert char_lm.main(["--data", str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"char_lm: error: {tmp_path / 'missing.txt'}: no such file (expected timemachine.txt)"]


def tiny_imdb(folder):
    words = {1: "great wonderful film loved it", 0: "awful boring film hated it"}
    for split in ("train", "test"):
        for label, name in ((1, "pos"), (0, "neg")):
            d = folder / "aclImdb" / split / name
            d.mkdir(parents=True)
            for i in range(6):
                (d / f"{i}_{8 if label else 2}.txt").write_text(f"{words[label]} {i}")
    vectors = folder / "glove.txt"
    vectors.write_text("film " + " ".join(["0.5"] * 16) + "\ngreat " + " ".join(["1"] * 16) + "\n")
    return folder, vectors


def test_sentiment_smoke_packed_with_vectors(tmp_path, device, capsys):
    from reference.programs import sentiment

    data, vectors = tiny_imdb(tmp_path / "data")
    args = ["--smoke", "--packed", "--device", device, "--data", str(data), "--vectors", str(vectors)]
    assert sentiment.main([*args, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "vectors: 2 of" in out and "12 train / 12 test reviews" in out
    assert out.count("test accuracy") == 1 and (tmp_path / "out" / "sentiment.pt").exists()


def test_sentiment_refuses_a_folder_that_is_not_imdb(tmp_path, capsys):
    from reference.programs import sentiment

    assert sentiment.main(["--smoke", "--data", str(tmp_path)]) == 2
    assert "sentiment: error:" in capsys.readouterr().err
