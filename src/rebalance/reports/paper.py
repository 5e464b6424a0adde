"""Paper: the pages people print (the handout, the clinician's report) as PDF, from the app's own templates.

    PAGES                     the Jinja2 environment of ``web/templates`` (the web app renders with it too)
    render_page(name, ctx)    a template laid out for paper: it extends ``print.html`` instead of ``base.html``
    pdf(page, stylesheets)    the PDF's bytes, by WeasyPrint, with the stylesheets of ``web/static`` named
    svg_image(svg, alt)       a drawing as an image for paper (WeasyPrint draws it without styling it as HTML)
    write_file(data, path)    write it whole or not at all
    check_writable(path)      refuse, before any work, a path that cannot take the file

One template serves the screen and paper: a page template extends ``layout`` (``base.html`` on the web,
``print.html`` here), and its stylesheet's ``@media print`` rules lay it out for A4. WeasyPrint reads
nothing from outside: the figures and charts are in the page (inline SVG or data URIs), any other URL refused.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from rebalance.errors import InvalidInputError, Problem, RebalanceError

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
"""Undefined variables are errors (StrictUndefined): a page is given everything it uses."""

PDF_HINT = "PDF output needs WeasyPrint and Debian's Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)"


def render_page(name: str, context: Mapping[str, Any]) -> str:
    """The template ``name`` as a page for paper (no site header, no links out)."""
    return PAGES.get_template(name).render({**context, "layout": "print.html"})


def pdf(page: str, stylesheets: Sequence[str]) -> bytes:
    """The page as a PDF; ``stylesheets`` are files of ``web/static`` (their ``@media print`` rules apply)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint found no Pango library
        raise RebalanceError(f"{PDF_HINT} ({exc})") from None

    # the page's own data: URIs (its figures), nothing from outside: no file, no network
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    sheets = [weasyprint.CSS(filename=str(STATIC_DIR / name)) for name in stylesheets]
    data: bytes = weasyprint.HTML(string=page, url_fetcher=fetcher).write_pdf(stylesheets=sheets)
    return data


def svg_image(svg: str, alt: str) -> str:
    """An SVG drawing as an ``<img>`` of it (a data URI), ``alt`` escaped: on paper, drawn without HTML styling."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}">'


def check_writable(path: Path) -> None:
    """InvalidInputError naming ``path`` unless a file can be written there (a folder that exists and takes files)."""
    folder = path.parent
    why = None
    if path.is_dir():
        why = "is a folder: give a file name such as handout.pdf"
    elif not folder.is_dir():
        why = f"no folder {folder}"
    elif not os.access(folder, os.W_OK):
        why = f"cannot write in {folder}"
    if why:
        raise InvalidInputError([Problem(str(path), "", why)])


def write_file(data: bytes, path: Path) -> None:
    """Write ``data`` to ``path`` whole: into a temporary file beside it, then renamed (nothing half-written)."""
    check_writable(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise InvalidInputError([Problem(str(path), "", f"cannot write it: {exc.strerror}")]) from None
