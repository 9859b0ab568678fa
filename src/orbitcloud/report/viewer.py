"""The offline 3D viewer: a tiny static HTTP server on localhost for CesiumJS and a run's scene.

``orbitcloud view RUN_DIR`` serves

- ``/`` : the viewer page (:data:`PAGE`): a Cesium ``Viewer`` with clock and timeline whose
  base layer is the Natural Earth II imagery bundled in Cesium's npm package
  (``Assets/Textures/NaturalEarthII``); no Cesium ion token, no terrain, geocoder or
  base-layer picker, so nothing is fetched from the internet;
- ``/cesium/...`` : Cesium's built files (``node_modules/cesium/Build/Cesium``; see
  :func:`cesium_dir`);
- ``/scene.czml`` : the run's scene (written by :func:`orbitcloud.report.write_czml` if
  missing), gzip-compressed when the browser accepts it;
- ``/report.html`` and ``/figures/...`` : the report, when written.

The initial camera (and the home button) frames the satellites: a single satellite is tracked
from 6000 km away; a constellation is shown as the whole globe centred under the satellite
nearest the Earth (``window.orbitcloudFramed`` names that satellite's entity).

Clicking a satellite shows its state at the current time (position, sunlight, battery, and
temperature when the scene carries them) in a panel. The page sets ``window.orbitcloudReady``
once the scene is loaded (the browser test waits for it).
"""

from __future__ import annotations

import gzip
import mimetypes
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["CESIUM_INSTALL_HINT", "ViewerServer", "cesium_dir", "start_viewer"]

CESIUM_INSTALL_HINT = (
    "CesiumJS is not installed: run `bash scripts/setup.sh` (or `npm ci` in the repository) "
    "or set ORBITCLOUD_CESIUM_DIR to a node_modules/cesium/Build/Cesium folder"
)


def cesium_dir() -> Path | None:
    """``Build/Cesium`` of the npm package: ``$ORBITCLOUD_CESIUM_DIR`` if set, else
    ``node_modules/cesium/Build/Cesium`` in a parent of this source file (the repository of an
    editable install) or of the current folder. ``None`` if not found."""
    env = os.environ.get("ORBITCLOUD_CESIUM_DIR")
    if env:
        p = Path(env)
        return p if (p / "Cesium.js").is_file() else None
    roots = [*Path(__file__).resolve().parents, Path.cwd(), *Path.cwd().parents]
    for root in roots:
        p = root / "node_modules" / "cesium" / "Build" / "Cesium"
        if (p / "Cesium.js").is_file():
            return p
    return None


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>orbitcloud viewer</title>
<script>window.CESIUM_BASE_URL = "/cesium/";</script>
<script src="/cesium/Cesium.js"></script>
<link href="/cesium/Widgets/widgets.css" rel="stylesheet">
<style>
html, body, #globe { width: 100%; height: 100%; margin: 0; padding: 0; overflow: hidden; }
#state { position: absolute; top: 8px; left: 8px; background: rgba(20, 26, 40, 0.85);
  color: #eee; font: 12px sans-serif; padding: 8px 10px; border-radius: 4px; min-width: 220px; }
#state b { color: #ffd700; }
</style></head><body>
<div id="globe"></div><div id="state">click a satellite to see its state</div>
<script>
(async () => {
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: Cesium.ImageryLayer.fromProviderAsync(
      Cesium.TileMapServiceImageryProvider.fromUrl(
        Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))),
    baseLayerPicker: false, geocoder: false, homeButton: true, sceneModePicker: true,
    navigationHelpButton: false, fullscreenButton: false, infoBox: true,
    animation: true, timeline: true, shouldAnimate: true,
  });
  window.viewer = viewer;
  viewer.scene.globe.enableLighting = false;
  const source = await Cesium.CzmlDataSource.load("/scene.czml");
  await viewer.dataSources.add(source);
  window.orbitcloudSource = source;
  // Initial view: the satellites, not Cesium's default view of the Americas. The camera
  // looks at the satellite nearest the Earth at the start (nodes near the Moon are farther):
  // one satellite is tracked from SINGLE_VIEW_M away (it stays in view as it moves); a
  // constellation is shown whole, the globe from GLOBE_VIEW_M above that satellite's
  // sub-point. The home button returns to this view.
  const SINGLE_VIEW_M = 6.0e6, GLOBE_VIEW_M = 2.2e7;
  const sats = source.entities.values.filter((e) => e.id.startsWith("sat/"));
  const frame = () => {
    const t = viewer.clock.currentTime;
    let best = null, bestR = Infinity;
    for (const e of sats) {
      const p = e.position && e.position.getValue(t);
      const r = p ? Cesium.Cartesian3.magnitude(p) : Infinity;
      if (r < bestR) { best = e; bestR = r; }
    }
    if (best === null) { return; }
    if (sats.length === 1) {
      best.viewFrom = new Cesium.ConstantProperty(
        new Cesium.Cartesian3(0.0, -0.6 * SINGLE_VIEW_M, 0.8 * SINGLE_VIEW_M));
      viewer.trackedEntity = best;
    } else {
      viewer.trackedEntity = undefined;
      const c = Cesium.Cartographic.fromCartesian(best.position.getValue(t));
      viewer.camera.setView({ destination: Cesium.Cartesian3.fromRadians(
        c.longitude, c.latitude, Math.max(GLOBE_VIEW_M, 2.0 * c.height)) });
    }
    window.orbitcloudFramed = best.id;
  };
  frame();
  viewer.homeButton.viewModel.command.beforeExecute.addEventListener((ev) => {
    ev.cancel = true;
    frame();
  });
  const panel = document.getElementById("state");
  const show = () => {
    const e = viewer.selectedEntity;
    if (!e || !e.id.startsWith("sat/")) { return; }
    const t = viewer.clock.currentTime;
    const p = e.position && e.position.getValue(t);
    if (!p) { panel.innerHTML = "<b>" + e.name + "</b><br>not available now"; return; }
    const c = Cesium.Cartographic.fromCartesian(p);
    const col = e.point.color.getValue(t);
    const lines = ["<b>" + e.name + "</b>", Cesium.JulianDate.toIso8601(t, 0),
      "lat " + Cesium.Math.toDegrees(c.latitude).toFixed(2) + "°, lon " +
      Cesium.Math.toDegrees(c.longitude).toFixed(2) + "°, alt " +
      (c.height / 1000).toFixed(1) + " km",
      (col && col.blue > col.red ? "in eclipse" : "in sunlight")];
    const props = e.properties;
    // a compromised satellite: its colour tells the threat, not the eclipse, from t_s on
    const threat = props && props.threat_state ? props.threat_state.getValue(t) : "";
    if (threat) { lines[lines.length - 1] = threat; }
    if (props && props.battery_soc) {
      lines.push("battery " + (100 * props.battery_soc.getValue(t)).toFixed(1) + " %");
    }
    if (props && props.temperature_k) {
      lines.push("temperature " + (props.temperature_k.getValue(t) - 273.15).toFixed(1) + " °C");
    }
    panel.innerHTML = lines.join("<br>");
  };
  viewer.clock.onTick.addEventListener(show);
  viewer.selectedEntityChanged.addEventListener(show);
  window.orbitcloudReady = true;
})().catch((err) => { window.orbitcloudError = String(err); console.error(err); });
</script></body></html>
"""


def _handler(run_dir: Path, cesium: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the CLI prints the URL, not every request

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            if path in ("/", "/index.html"):
                self._send(PAGE.encode(), "text/html; charset=utf-8")
            elif path.startswith("/cesium/"):
                self._file(cesium, path[len("/cesium/") :])
            elif path == "/favicon.ico":
                self.send_response(HTTPStatus.NO_CONTENT)
                self.end_headers()
            elif path == "/scene.czml":
                self._file(run_dir, "scene.czml", "application/json")
            elif path == "/report.html" or path.startswith("/figures/"):
                self._file(run_dir, path.lstrip("/"))
            else:
                self.send_error(HTTPStatus.NOT_FOUND)

        def _file(self, root: Path, rel: str, ctype: str | None = None) -> None:
            base = root.resolve()
            p = (base / rel).resolve()
            if not p.is_relative_to(base) or not p.is_file():
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            guess = ctype or mimetypes.guess_type(p.name)[0] or "application/octet-stream"
            self._send(p.read_bytes(), guess)

        def _send(self, body: bytes, ctype: str) -> None:
            gz = (
                "gzip" in self.headers.get("Accept-Encoding", "")
                and len(body) > 50_000
                and (ctype.startswith(("application/json", "text/", "application/javascript")))
            )
            if gz:
                body = gzip.compress(body, compresslevel=5)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if gz:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(body)

    return Handler


class ViewerServer:
    """The viewer's HTTP server on ``127.0.0.1:port`` (port 0 = any free port), serving in a
    background thread until :meth:`close`.

    Attributes:
        url: ``http://127.0.0.1:<port>/``.
    """

    def __init__(self, run_dir: Path, cesium: Path, port: int = 0) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(run_dir, cesium))
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> ViewerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_viewer(run_dir: Path, port: int = 0) -> ViewerServer:
    """Serve a run folder's scene (writing ``scene.czml`` first if missing) with CesiumJS.

    Raises:
        FileNotFoundError: CesiumJS is not installed (message: :data:`CESIUM_INSTALL_HINT`).
        orbitcloud.report.RunFolderError: ``run_dir`` is not a run folder.
    """
    from orbitcloud.report.czml import write_czml
    from orbitcloud.report.folder import open_run_folder

    run = open_run_folder(run_dir)
    cesium = cesium_dir()
    if cesium is None:
        raise FileNotFoundError(CESIUM_INSTALL_HINT)
    if not run.has("scene.czml"):
        write_czml(run.path)
    return ViewerServer(run.path, cesium, port)
