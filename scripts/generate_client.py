"""Generate the typed Python client of the open API from the OpenAPI document the app serves, with
openapi-python-client (a maintained generator: attrs models, httpx calls, sync and async functions per
operation). `make client` writes it to clients/python/witkey_client; tests/test_generated_client.py
generates its own copy and drives a contract through it.

    .venv/bin/python scripts/generate_client.py [OUT_DIR]
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "witkey_client"


def document() -> dict:
    sys.path.insert(0, str(ROOT))
    from app import create_app  # noqa: PLC0415 (the app is imported only when a document is asked for)
    from blueprints.api.openapi import build_document  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/doc.db"})
        with app.test_request_context():
            return build_document()


def generate(out_dir: Path, doc: dict | None = None) -> Path:
    """Write OUT_DIR/witkey_client (the package) from `doc` (default: the app's document now); returns
    the package path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec, config, package = out_dir / "openapi.json", out_dir / "client-config.json", out_dir / PACKAGE
    spec.write_text(json.dumps(doc or document()))
    config.write_text(json.dumps({"package_name_override": PACKAGE, "project_name_override": PACKAGE}))
    bin_dir = Path(sys.executable).parent  # the generator formats its output with ruff from the same venv
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec), "--config", str(config),
               "--meta", "none", "--output-path", str(package), "--overwrite", "--fail-on-warning"]
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True)  # noqa: S603 (our paths)
    if done.returncode:  # what the generator objected to (a warning counts: the document must be complete)
        raise RuntimeError(f"openapi-python-client failed:\n{done.stdout}\n{done.stderr}")
    return package


if __name__ == "__main__":
    print(generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "clients" / "python"))
