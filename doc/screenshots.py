"""Screenshots of the built documentation with headless Chromium, to look at the site.

Build the site first (``python -m sphinx -b html doc doc/_build/html``), then::

    python doc/screenshots.py                     # the default pages, 1280 px wide
    python doc/screenshots.py --height 3000 auto_examples/plot_worst_case
    python doc/screenshots.py --dark              # the same pages in the dark theme

The HTML is served from ``--html`` on a free localhost port for the time of the run and
each page is captured by Debian's ``chromium`` (``apt-get install chromium``) into
``--out`` (default ``doc/_build/screenshots``, ignored by git: do not commit the PNGs).
"""

import argparse
import functools
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOC = Path(__file__).resolve().parent
PAGES = ("index", "user_guide", "auto_examples/index", "auto_examples/plot_worst_case",
         "auto_examples/plot_regularization")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def screenshot(chrome, url, path, width, height, dark=False):
    """Capture ``url`` at ``width`` x ``height`` CSS pixels into the PNG ``path``."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chrome, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={path}", url]
        if dark:
            cmd.insert(1, "--force-dark-mode")  # prefers-color-scheme: dark
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    if not Path(path).is_file():
        raise RuntimeError(f"chromium wrote no screenshot of {url}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=PAGES,
                        help="pages relative to the site root, without .html")
    parser.add_argument("--html", default=DOC / "_build" / "html", type=Path)
    parser.add_argument("--out", default=DOC / "_build" / "screenshots", type=Path)
    parser.add_argument("--width", default=1280, type=int)
    parser.add_argument("--height", default=900, type=int)
    parser.add_argument("--dark", action="store_true", help="ask for the dark colour scheme")
    parser.add_argument("--chrome", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        sys.exit(f"no built site in {args.html}: run python -m sphinx -b html doc {args.html}")
    args.out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(args.html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for page in args.pages:
            name = page.replace("/", "_") + ("_dark" if args.dark else "") + ".png"
            url = f"http://127.0.0.1:{server.server_port}/{page}.html"
            screenshot(args.chrome, url, args.out / name, args.width, args.height, args.dark)
            print(args.out / name)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
