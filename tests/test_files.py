"""Atomic writes of shared files (course_lib._files): complete or absent, never half a file."""
import numpy as np
import pytest

from course_lib._files import replaced_atomically


def test_the_file_appears_complete_and_keeps_its_suffix(tmp_path):
    path = tmp_path / "cache" / "digits.npz"
    with replaced_atomically(path) as tmp:
        assert tmp.suffix == ".npz" and tmp.parent == path.parent and not path.exists()
        np.savez_compressed(tmp, x=np.arange(3))  # NumPy would add ".npz" to a name without it
    assert np.load(path)["x"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in path.parent.iterdir()) == ["digits.npz"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"):
        with replaced_atomically(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
