"""Offline folium maps: packaged assets inlined, nothing loaded from a CDN."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import folium
import folium.plugins
import pytest
from branca.element import CssLink, Figure, JavascriptLink

from route.output.offline import (
    _ASSETS,
    OfflineAssetError,
    _normalise,
    inline_assets,
    render_offline,
    save_offline,
)
from tests.browser import check_page

REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CENTRE = (60.1699, 24.9384)


class _Tags(HTMLParser):
    """Script and stylesheet references of a page; script text is not parsed as HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.opened = self.closed = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.opened += 1
            self.refs.append(a.get("src") or "")
        elif tag == "link" and "stylesheet" in (a.get("rel") or "").split():
            self.refs.append(a.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self.closed += tag == "script"


def remote_refs(page: str) -> list[str]:
    """Remote ``<script src>`` and stylesheet ``<link href>`` URLs of a page."""
    parser = _Tags()
    parser.feed(page)
    assert parser.opened == parser.closed, "an inlined script ended early"
    return [ref for ref in parser.refs if REMOTE.match(ref)]


def _with_links(m: folium.Map, *links: JavascriptLink | CssLink) -> folium.Map:
    """``m`` with extra script or stylesheet links in its page header."""
    root = m.get_root()
    assert isinstance(root, Figure)
    for link in links:
        root.header.add_child(link)
    return m


def _plain() -> folium.Map:
    return folium.Map(location=CENTRE, zoom_start=16)


def _no_tiles() -> folium.Map:
    return folium.Map(location=CENTRE, zoom_start=16, tiles=None)


def _route_map() -> folium.Map:
    """A polyline with direction arrows, three awesome markers and a cluster of three."""
    m = folium.Map(location=CENTRE, zoom_start=16)
    line = [(60.1690, 24.9350), (60.1700, 24.9390), (60.1695, 24.9430)]
    route = folium.PolyLine(line, color="#1f6feb", weight=5).add_to(m)
    folium.plugins.PolyLineTextPath(
        route, "  ►  ", repeat=True, offset=6, attributes={"fill": "#d00", "font-size": "16"}
    ).add_to(m)
    for (lat, lon), icon in zip(line, ("home", "newspaper", "truck"), strict=True):
        folium.Marker((lat + 0.0004, lon), icon=folium.Icon(icon=icon, prefix="fa")).add_to(m)
    cluster = folium.plugins.MarkerCluster().add_to(m)
    for i in range(3):
        folium.Marker((60.1710 + i * 1e-5, 24.9410)).add_to(cluster)
    return m


def _controls() -> folium.Map:
    m = _route_map()
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.LocateControl().add_to(m)
    return m


def _glyphicon() -> folium.Map:
    m = _plain()
    folium.Marker(CENTRE, icon=folium.Icon(icon="info-sign", angle=45)).add_to(m)
    return m


MAPS: dict[str, Callable[[], folium.Map]] = {
    "plain": _plain,
    "no_tiles": _no_tiles,
    "route": _route_map,
    "controls": _controls,
    "glyphicon": _glyphicon,
}


@pytest.mark.parametrize("build", MAPS.values(), ids=MAPS.keys())
def test_offline_page_loads_no_script_or_stylesheet_from_the_network(
    build: Callable[[], folium.Map],
) -> None:
    m = build()
    online = m.get_root().render()
    assert remote_refs(online), "folium no longer links CDNs; this test proves nothing"

    page = render_offline(build())

    assert remote_refs(page) == []
    assert "<script>" in page
    assert "<style>" in page
    assert "L.Icon.Default.mergeOptions" in page


def test_tile_url_template_and_attribution_stay() -> None:
    page = render_offline(_plain())

    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert "https://www.openstreetmap.org/copyright" in page


def test_unknown_remote_assets_are_all_named_in_one_error() -> None:
    m = _with_links(
        _plain(),
        JavascriptLink("https://cdn.example.com/x/widget-2.1.js"),
        CssLink("//cdn.example.com/x/widget.css"),
    )

    with pytest.raises(OfflineAssetError, match=r"2 remote asset\(s\)") as info:
        render_offline(m)

    assert info.value.urls == (
        "https://cdn.example.com/x/widget-2.1.js",
        "//cdn.example.com/x/widget.css",
    )
    assert "https://cdn.example.com/x/widget-2.1.js" in str(info.value)


def test_local_scripts_and_other_links_are_left_alone() -> None:
    page = (
        '<html><head><script src="local.js"></script>'
        '<link rel="stylesheet" href="style.css"/>'
        '<link rel="icon" href="https://example.com/favicon.ico"/>'
        "<script>var x = 1;</script></head></html>"
    )

    assert inline_assets(page) == page


def test_a_newer_version_in_the_url_still_finds_the_packaged_copy() -> None:
    page = (
        '<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"></script>'
        "<link rel='stylesheet' href='https://cdn.example.org/leaflet-1.9.4/leaflet.min.css'>"
    )

    out = inline_assets(page)

    assert remote_refs(out) == []
    assert "Leaflet 1.9.3" in out


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://code.jquery.com/jquery-3.7.1.min.js", "jquery.js"),
        (
            "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
            "all.css",
        ),
        ("https://x.org/L.Control.Locate.min.js?v=2#top", "l.control.locate.js"),
        ("https://x.org/leaflet.awesome-markers.css", "leaflet.awesome-markers.css"),
        ("https://x.org/bootstrap/3.0.0/css/bootstrap-glyphicons.css", "bootstrap-glyphicons.css"),
    ],
)
def test_normalise_drops_version_and_min(url: str, name: str) -> None:
    assert _normalise(url) == name


def test_every_packaged_file_exists_and_is_used() -> None:
    folder = resources.files("route.output") / "assets"
    listed = {f for asset in _ASSETS for f in asset.files}
    present = {p.name for p in folder.iterdir() if p.name.endswith((".js", ".css"))}

    assert listed == present


def test_save_offline_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")

    written = save_offline(_plain(), target)

    assert written == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_save_offline_writes_nothing_when_an_asset_is_missing(tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")
    m = _with_links(_plain(), JavascriptLink("https://cdn.example.com/unknown.js"))

    with pytest.raises(OfflineAssetError, match=re.escape("https://cdn.example.com/unknown.js")):
        save_offline(m, target)

    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


@pytest.mark.browser
def test_offline_route_map_renders_in_chromium(chromium: str, tmp_path: Path) -> None:
    page = save_offline(_controls(), tmp_path / "route.html")
    shot = tmp_path / "route.png"

    report = check_page(page, shot, chromium=chromium)

    assert report.errors == ()
    assert report.console_errors == ()
    assert report.failed_code == ()  # only tile images may fail offline
    assert report.has_leaflet
    counts = report.counts
    assert counts["paths"] == 1  # the route polyline
    assert counts["text_paths"] == 1  # its direction arrows
    assert counts["awesome_markers"] == 3
    assert counts["fa_icons"] == 3
    assert counts["clusters"] == 1  # three markers at one spot
    assert counts["marker_icons"] == 4
    assert counts["controls"] >= 3  # zoom, fullscreen, locate (+ attribution)
    assert "Font Awesome 6 Free 900" in report.fonts  # icons are glyphs, not blank boxes
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
def test_default_glyphicon_and_rotated_markers_render_in_chromium(
    chromium: str, tmp_path: Path
) -> None:
    m = folium.Map(location=CENTRE, zoom_start=17, tiles=None)
    folium.Marker(CENTRE).add_to(m)  # Leaflet's default icon: an <img>
    folium.Marker((60.1699, 24.9394), icon=folium.Icon(icon="info-sign", angle=45)).add_to(m)
    folium.Marker((60.1699, 24.9404), icon=folium.Icon(icon="star", prefix="fa")).add_to(m)
    page = save_offline(m, tmp_path / "icons.html")
    selectors = {
        "default_icons": ".leaflet-marker-pane img.leaflet-marker-icon",
        "glyphicons": ".awesome-marker i.glyphicon-info-sign",
        "rotated": ".awesome-marker i.fa-rotate-45",
    }

    report = check_page(page, selectors=selectors, chromium=chromium)

    assert report.errors == ()
    assert report.failed_resources == ()  # no tile layer, so nothing may fail
    assert report.counts == {"default_icons": 1, "glyphicons": 1, "rotated": 1}
    assert "Glyphicons Halflings normal" in report.fonts
    assert "Font Awesome 6 Free 900" in report.fonts
