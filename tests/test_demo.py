"""The README's demo (``python -m skentropic``) runs, prints its table and saves its plot."""

import pytest

from skentropic.__main__ import main


def test_demo_prints_table_and_saves_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "demo.png"
    main(["--output", str(out)])
    text = capsys.readouterr().out
    assert "certified accuracy, l-inf eps" in text and "certified accuracy, l2 eps" in text
    assert "LogisticRegression" in text and "Entropic l2" in text
    assert out.exists() and out.stat().st_size > 10_000
