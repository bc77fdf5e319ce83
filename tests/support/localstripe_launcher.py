"""Start the unmodified localstripe server on 127.0.0.1 only, from an empty store.

localstripe (GPL-3.0) is run as a separate process and never vendored or patched; its own command
binds every interface and reloads a fixed state file, so tests start it through this launcher."""
import sys

from aiohttp import web
from localstripe.server import app

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
