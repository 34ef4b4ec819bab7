"""Rebuild ``route/output/assets/`` from npm packages (a development-time tool).

Run from the repository root with ``npm`` on the PATH::

    python tools/vendor_assets.py

It runs ``npm pack`` for each pinned package into a temporary folder, copies
the minified script or stylesheet each folium map needs, rewrites every
``url(...)`` a stylesheet makes to a file (fonts, sprites) into a ``data:``
URI so that the page needs no second file, and copies each licence. The
results are committed; installing paperroute needs neither npm nor network.
"""

from __future__ import annotations

import base64
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "route" / "output" / "assets"

PACKAGES = {
    "leaflet": "leaflet@1.9.3",
    "jquery": "jquery@3.7.1",
    "bootstrap": "bootstrap@5.2.2",
    "bootstrap3": "bootstrap@3.4.1",
    "fontawesome": "@fortawesome/fontawesome-free@6.2.0",
    "awesome_markers": "leaflet.awesome-markers@2.0.5",
    "markercluster": "leaflet.markercluster@1.1.0",
    "textpath": "leaflet-textpath@1.2.3",
    "fullscreen": "leaflet.fullscreen@3.0.0",
    "locate": "leaflet.locatecontrol@0.66.2",
}

MIME = {".png": "image/png", ".svg": "image/svg+xml", ".woff2": "font/woff2"}
SOURCE_MAP = re.compile(r"\n?/[*/][#@] sourceMappingURL=\S+(?: \*/)?\s*$")


def fetch(spec: str, workdir: Path) -> Path:
    """Download one npm package with ``npm pack`` and unpack it; return its folder."""
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=workdir, check=True, capture_output=True, text=True
    )
    tgz = workdir / out.stdout.strip().splitlines()[-1]
    dest = workdir / tgz.stem
    with tarfile.open(tgz) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def data_uri(path: Path) -> str:
    """Encode a file as a ``data:`` URI."""
    return f"data:{MIME[path.suffix]};base64,{base64.b64encode(path.read_bytes()).decode()}"


def inline_urls(css: str, base: Path) -> str:
    """Replace each relative ``url(...)`` in ``css`` by a data URI of the file it names."""

    def repl(match: re.Match[str]) -> str:
        ref = match.group(2)
        if ref.startswith(("data:", "#")):
            return match.group(0)
        return f'url("{data_uri(base / ref.split("?")[0].split("#")[0])}")'

    return re.sub(r"""url\((['"]?)([^'")]+)\1\)""", repl, css)


def write(name: str, text: str) -> None:
    """Write one asset, without a trailing source-map reference."""
    (ASSETS / name).write_text(SOURCE_MAP.sub("", text).rstrip() + "\n", encoding="utf-8")


def copy(src: Path, name: str, edit: Callable[[str], str] = lambda s: s) -> None:
    """Copy one text file into the assets, optionally edited."""
    write(name, edit(src.read_text(encoding="utf-8")))


def fontawesome_css(pkg: Path) -> str:
    """Font Awesome ``all.min.css`` with one woff2 data URI per font actually kept.

    The stylesheet declares the solid and regular fonts three times each (for the
    Font Awesome 6, 5 and 4 family names); inlining all of them would triple
    the size. Only the "Font Awesome 6 Free" faces, which every ``.fa``,
    ``.fas`` and ``.far`` class uses, are kept. The brand logos are dropped.
    """
    css = (pkg / "css" / "all.min.css").read_text(encoding="utf-8")
    fonts = pkg / "webfonts"

    def face(match: re.Match[str]) -> str:
        rule = match.group(0)
        if '"Font Awesome 6 Free"' not in rule:
            return ""
        woff2 = re.search(r"url\(\.\./webfonts/([\w-]+\.woff2)\)", rule)
        assert woff2 is not None, rule
        src = f'src:url("{data_uri(fonts / woff2.group(1))}") format("woff2")'
        return re.sub(r"src:[^;}]*", src, rule)

    return re.sub(r"@font-face\{[^}]*\}", face, css)


def glyphicons_css(pkg: Path) -> str:
    """The glyphicon part of Bootstrap 3's stylesheet, with a woff2 data URI."""
    css = (pkg / "dist" / "css" / "bootstrap.min.css").read_text(encoding="utf-8")
    start = css.index('@font-face{font-family:"Glyphicons Halflings"')
    end = css.index(".glyphicon-menu-up:before{")
    end = css.index("}", end) + 1
    part = css[start:end]
    woff2 = pkg / "fonts" / "glyphicons-halflings-regular.woff2"
    part = re.sub(
        r"src:url\([^;]*eot\"?\);src:[^;}]*",
        f'src:url("{data_uri(woff2)}") format("woff2")',
        part,
    )
    header = "/*! Bootstrap v3.4.1 glyphicons (https://getbootstrap.com/) | MIT License */\n"
    return header + part


def awesome_markers_css(text: str) -> str:
    """Drop the retina sprites (165 kB); high-density screens scale the normal ones."""
    return re.sub(r"/\* Retina displays \*/\s*@media[^{]*\{(?:[^{}]*\{[^}]*\})*\s*\}", "", text)


def rotate_css() -> str:
    """Rotation classes for folium's ``Icon(angle=...)`` (``fa-rotate-<degrees>``)."""
    rules = "".join(f".fa-rotate-{d}{{transform:rotate({d}deg)}}" for d in range(360))
    return "/* folium Icon(angle=...) rotations, written for paperroute (MIT). */\n" + rules


def default_icon_js(images: Path) -> str:
    """Point Leaflet's default marker at data URIs.

    Leaflet finds its marker images by reading the URL of ``leaflet.css``; an
    inline stylesheet has none, so default markers would show broken images.
    """
    urls = {
        "iconUrl": data_uri(images / "marker-icon.png"),
        "iconRetinaUrl": data_uri(images / "marker-icon-2x.png"),
        "shadowUrl": data_uri(images / "marker-shadow.png"),
    }
    body = ",".join(f'{k}:"{v}"' for k, v in urls.items())
    return (
        "/* Leaflet 1.9.3 default marker images as data URIs (BSD-2-Clause). */\n"
        f"L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{{body}}});"
    )


def main() -> None:
    """Fetch every package and write the assets."""
    ASSETS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        p = {key: fetch(spec, Path(tmp)) for key, spec in PACKAGES.items()}

        leaflet = p["leaflet"] / "dist"
        copy(leaflet / "leaflet.js", "leaflet.js")
        copy(leaflet / "leaflet.css", "leaflet.css", lambda s: inline_urls(s, leaflet))
        write("leaflet-default-icon.js", default_icon_js(leaflet / "images"))
        copy(p["leaflet"] / "LICENSE", "leaflet.LICENSE.txt")

        copy(p["jquery"] / "dist" / "jquery.min.js", "jquery.min.js")
        copy(p["jquery"] / "LICENSE.txt", "jquery.LICENSE.txt")

        bs = p["bootstrap"] / "dist"
        copy(bs / "js" / "bootstrap.bundle.min.js", "bootstrap.bundle.min.js")
        copy(bs / "css" / "bootstrap.min.css", "bootstrap.min.css")
        copy(p["bootstrap"] / "LICENSE", "bootstrap.LICENSE.txt")
        write("bootstrap-glyphicons.css", glyphicons_css(p["bootstrap3"]))
        copy(p["bootstrap3"] / "LICENSE", "bootstrap3.LICENSE.txt")

        write("fontawesome-all.min.css", fontawesome_css(p["fontawesome"]))
        copy(p["fontawesome"] / "LICENSE.txt", "fontawesome.LICENSE.txt")

        am = p["awesome_markers"] / "dist"
        # The package's .min.js is a stale 2.0.1 build without extraClasses, which
        # folium needs for Icon(angle=...); the 4 kB unminified file is current.
        copy(am / "leaflet.awesome-markers.js", "leaflet.awesome-markers.js")
        copy(
            am / "leaflet.awesome-markers.css",
            "leaflet.awesome-markers.css",
            lambda s: inline_urls(awesome_markers_css(s), am),
        )
        copy(p["awesome_markers"] / "LICENSE", "leaflet.awesome-markers.LICENSE.txt")
        write("leaflet.awesome.rotate.css", rotate_css())

        mc = p["markercluster"] / "dist"
        copy(mc / "leaflet.markercluster.js", "leaflet.markercluster.js")
        copy(mc / "MarkerCluster.css", "MarkerCluster.css")
        copy(mc / "MarkerCluster.Default.css", "MarkerCluster.Default.css")
        copy(p["markercluster"] / "MIT-LICENCE.txt", "leaflet.markercluster.LICENSE.txt")

        copy(p["textpath"] / "leaflet.textpath.js", "leaflet.textpath.js")
        copy(p["textpath"] / "LICENSE", "leaflet-textpath.LICENSE.txt")

        fs = p["fullscreen"]
        copy(fs / "Control.FullScreen.js", "Control.FullScreen.js")
        copy(fs / "Control.FullScreen.css", "Control.FullScreen.css", lambda s: inline_urls(s, fs))
        copy(fs / "LICENSE", "leaflet.fullscreen.LICENSE.txt")

        lc = p["locate"] / "dist"
        copy(lc / "L.Control.Locate.min.js", "L.Control.Locate.min.js")
        copy(lc / "L.Control.Locate.min.css", "L.Control.Locate.min.css")
        copy(p["locate"] / "LICENSE", "leaflet.locatecontrol.LICENSE.txt")


if __name__ == "__main__":
    main()
