"""Load a trained run and serve it with uvicorn until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from multis2s.run import Run
from multis2s.serve.app import ServeSettings, build_app
from multis2s.serve.predictor import Predictor


def serve(run_dir: Path, *, host: str, port: int, checkpoint: str, trust_plugins: bool,
          settings: ServeSettings) -> None:
    """Serve the run in ``run_dir`` (its ``checkpoint``) on ``host:port``."""
    run = Run.from_folder(run_dir, checkpoint, trust_plugins=trust_plugins)
    app = build_app(Predictor(run), settings)
    print(f"serving {run_dir} on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
