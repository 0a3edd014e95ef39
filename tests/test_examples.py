"""The example programs as a user runs them: --help, --smoke, outputs, one-line errors. Parametrized
over cpu and cuda (cuda skips without a GPU)."""

import pytest


def test_hello_help(capsys):
    from reference import hello

    with pytest.raises(SystemExit) as e:
        hello.main(["--help"])
    assert e.value.code == 0 and "--version" in capsys.readouterr().out


def test_hello_smoke_writes_curve_and_checkpoint(tmp_path, device, capsys):
    from reference import hello

    assert hello.main(["--smoke", "--version", "rnn", "--device", device, "--out", str(tmp_path)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 3 and all("predicted" in ln and "loss" in ln for ln in lines)
    assert (tmp_path / "hello-rnn.pt").stat().st_size > 0
    assert (tmp_path / "hello-rnn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hello_the_two_versions_learn_in_step(device):
    """Same seed, same initial weights, and Adam ignores the factor 5 between summed and mean loss."""
    from reference.hello import train

    cell = [w for w, _ in train("cell", 20, 0.1, 3, device)[1]]
    rnn = [w for w, _ in train("rnn", 20, 0.1, 3, device)[1]]
    assert cell == rnn


def test_hello_bad_device_is_one_line(capsys):
    import torch

    from reference import hello

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert hello.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hello: error: --device cuda but no CUDA device is available"]


def test_hello_runs_as_a_module(launch):
    """The command line itself, once, in a fresh interpreter."""
    r = launch(["--version", "cell", "--epochs", "2"], module="reference.hello").result()
    assert r.returncode == 0 and r.stdout.count("predicted") == 2
