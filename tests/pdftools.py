"""Reading a PDF as a person would, with Debian's poppler-utils (``make pdf-tools``): its pages as PNGs
(pdftoppm) and its words (pdftotext); whether a page is blank (no pixel differs from the paper)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

PDFTOPPM, PDFTOTEXT = "pdftoppm", "pdftotext"

needs_poppler = pytest.mark.skipif(
    shutil.which(PDFTOPPM) is None or shutil.which(PDFTOTEXT) is None,
    reason="needs Debian's poppler-utils (make pdf-tools installs it)",
)

SNAKE_ID = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
"""An internal id as the knowledge base spells them (``tight_piriformis``, ``acsm_2021``)."""
FINDING_ID = re.compile(r"\b(?:tight|weak|asymmetry|ratio|posture|movement|neural|joint):[a-z_]+")


def pages(pdf: Path, folder: Path, dpi: int = 30) -> list[Path]:
    """The PDF's pages as PNGs in ``folder``, in order."""
    subprocess.run([PDFTOPPM, "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def text(pdf: Path) -> str:
    """The PDF's words in the order they were drawn (a table cell's lines together), any white space as one space."""
    out = subprocess.run([PDFTOTEXT, "-raw", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", out)


def ink(png: Path) -> float:
    """How much a page varies from a blank sheet: the standard deviation of its grey levels (0: blank)."""
    with Image.open(png) as image:
        return float(ImageStat.Stat(image.convert("L")).stddev[0])


def id_tokens(words: str) -> list[str]:
    """The ids, finding ids, source tags and weights in ``words`` (none belongs on a page people read)."""
    found = SNAKE_ID.findall(words) + FINDING_ID.findall(words)
    found += re.findall(r"\[[^\]]*\]|\bweight \d", words)
    return found


WORD_BOX = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
LINE_HEIGHT = 1.165
"""A word's box (pdftotext -bbox) is this many times its font size tall (DejaVu Sans: 9 pt text, 10.5 pt boxes)."""


def word_sizes(pdf: Path) -> list[tuple[float, str]]:
    """Each word's font size in points, estimated from its box, with the word. A one-character word may be
    turned on its side (an axis label): the longer side of its box is taken as its height."""
    out = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    sizes = []
    for x0, y0, x1, y1, word in WORD_BOX.findall(out):
        height = float(y1) - float(y0)
        if len(word) == 1:
            height = max(height, float(x1) - float(x0))
        sizes.append((height / LINE_HEIGHT, word))
    return sizes
