"""Checkpoints round-trip with their card; malformed or hostile files give CheckpointError."""

from __future__ import annotations

import os
import pickle
import zipfile

import pytest
import torch

from xai_demo.checkpoints import load_checkpoint, save_checkpoint
from xai_demo.errors import CheckpointError
from xai_demo.models import create_model


def test_round_trip_keeps_weights_spec_and_card(tmp_path) -> None:
    torch.manual_seed(1)
    model = create_model("small_cnn", input_size=28, mean=(0.4,), std=(0.3,), threshold=0.42)
    path = save_checkpoint(tmp_path / "m.pt", model, train_config={"seed": 3}, metrics={"test": {"auc": 0.9}},
                           provenance={"dataset": "x"})
    loaded = load_checkpoint(path)
    assert loaded.spec == model.spec
    assert loaded.train_config == {"seed": 3} and loaded.metrics["test"]["auc"] == 0.9
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(loaded.model(x), model(x))
    assert not loaded.model.training
    assert loaded.card()["spec"]["threshold"] == 0.42


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/xai_demo_pwned",))


def test_pickled_code_is_refused_not_run(tmp_path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "xai_demo.checkpoint", "payload": Evil()}, path)
    marker = "/tmp/xai_demo_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    with pytest.raises(CheckpointError, match="not a loadable"):
        load_checkpoint(path)
    assert not os.path.exists(marker)


def test_plain_pickle_is_refused(tmp_path) -> None:
    path = tmp_path / "plain.pt"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("content", [b"", b"junk", b"garbage", b"PK\x03\x04broken zip"])
def test_garbage_files(tmp_path, content: bytes) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_truncated_checkpoint(tmp_path) -> None:
    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_foreign_torch_files_and_mismatched_weights(tmp_path) -> None:
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not an xai_demo checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn", input_size=28))
    payload = torch.load(path, weights_only=True)
    payload["spec"]["input_size"] = 128  # a deeper network than the weights describe
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(path)
    payload["spec"]["arch"] = "vanished_net"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="not registered"):
        load_checkpoint(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="xai-demo train"):
        load_checkpoint(tmp_path / "absent.pt")
    with zipfile.ZipFile(tmp_path / "z.pt", "w") as z:
        z.writestr("a", "b")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "z.pt")
