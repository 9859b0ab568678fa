"""Report and 3D viewer of a run folder: ``report.html``, ``figures/``, ``scene.czml``.

``write_report(run_dir)`` writes all three; ``write_czml(run_dir)`` only the scene;
:mod:`orbitcloud.report.viewer` serves the scene with CesiumJS on localhost, offline.
"""

from __future__ import annotations

from pathlib import Path

from orbitcloud.report.czml import SceneSummary, build_scene, write_czml
from orbitcloud.report.figures import write_figures
from orbitcloud.report.folder import RunFolder, RunFolderError, open_run_folder
from orbitcloud.report.html import render_report
from orbitcloud.run.folder import record_files, write_text_atomic

__all__ = [
    "RunFolder",
    "RunFolderError",
    "SceneSummary",
    "open_run_folder",
    "write_czml",
    "write_report",
]


def write_report(run_dir: Path) -> Path:
    """Write ``report.html``, ``figures/*.png|svg`` and ``scene.czml`` into ``run_dir``;
    return the path of ``report.html``. Raises :class:`RunFolderError` for a folder that is
    not a run folder."""
    run = open_run_folder(run_dir)
    skipped: dict[str, str] = {}
    figures = write_figures(run, skipped)
    text, scene = build_scene(run)
    write_text_atomic(run.path / "scene.czml", text)
    path = run.path / "report.html"
    write_text_atomic(path, render_report(run, figures, scene, skipped))
    record_files(run.path)
    return path
