"""Self-contained folium maps: every script and stylesheet inlined from ``route/output/assets``.

A default folium page loads Leaflet, jQuery, Bootstrap, Font Awesome and the
plugins from CDNs; opened without a network it fails with "L is not defined".
:func:`render_offline` renders a map and swaps each remote ``<script src>`` and
``<link rel="stylesheet">`` for the packaged copy, inline. Tile layers keep
their URL templates: tiles are data, not code, and a map without them still
renders.

In Jupyter, :class:`OfflineMap` (what :func:`route.plan_map` and :func:`route.day_map` make)
and :func:`show` (for any folium map) display the same self-contained page inline, so a
notebook's maps work offline too.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import folium

from route.io.files import atomic_write

__all__ = [
    "OfflineAssetError",
    "OfflineMap",
    "inline_assets",
    "notebook_html",
    "render_offline",
    "save_offline",
    "show",
]


class OfflineAssetError(ValueError):
    """A map references remote scripts or stylesheets that paperroute does not package.

    Parameters
    ----------
    urls
        Every remote URL without a packaged copy, in page order.
    """

    def __init__(self, urls: list[str]) -> None:
        self.urls = tuple(urls)
        listed = "\n".join(f"  {url}" for url in urls)
        super().__init__(
            f"{len(urls)} remote asset(s) have no packaged copy in route/output/assets, so the map "
            f"would need the internet:\n{listed}\n"
            "Add the file(s) to route/output/assets (see route/output/assets/README.md) and to "
            "route.output.offline._ASSETS, or drop the plugin that needs them."
        )


@dataclass(frozen=True, slots=True)
class _Asset:
    """One packaged library file and the URL file names it replaces."""

    names: tuple[str, ...]  # normalised URL file names (see _normalise)
    files: tuple[str, ...]  # files in route/output/assets, concatenated in this order
    url_hint: str = ""  # a substring the URL must contain when the name is generic


# Matched by file name with versions and ".min" removed, so a folium release
# that bumps a CDN version keeps working as long as the library is packaged.
_ASSETS: tuple[_Asset, ...] = (
    _Asset(("leaflet.js", "leaflet-src.js"), ("leaflet.js", "leaflet-default-icon.js")),
    _Asset(("leaflet.css",), ("leaflet.css",)),
    _Asset(("jquery.js",), ("jquery.min.js",)),
    _Asset(("bootstrap.bundle.js",), ("bootstrap.bundle.min.js",)),
    _Asset(("bootstrap.css",), ("bootstrap.min.css",)),
    _Asset(("bootstrap-glyphicons.css",), ("bootstrap-glyphicons.css",)),
    _Asset(("all.css",), ("fontawesome-all.min.css",), url_hint="fontawesome"),
    _Asset(("leaflet.awesome-markers.js",), ("leaflet.awesome-markers.js",)),
    _Asset(("leaflet.awesome-markers.css",), ("leaflet.awesome-markers.css",)),
    _Asset(("leaflet.awesome.rotate.css",), ("leaflet.awesome.rotate.css",)),
    _Asset(("leaflet.markercluster.js",), ("leaflet.markercluster.js",)),
    _Asset(("markercluster.css",), ("MarkerCluster.css",)),
    _Asset(("markercluster.default.css",), ("MarkerCluster.Default.css",)),
    _Asset(("leaflet.textpath.js",), ("leaflet.textpath.js",)),
    _Asset(("control.fullscreen.js",), ("Control.FullScreen.js",)),
    _Asset(("control.fullscreen.css",), ("Control.FullScreen.css",)),
    _Asset(("l.control.locate.js",), ("L.Control.Locate.min.js",)),
    _Asset(("l.control.locate.css",), ("L.Control.Locate.min.css",)),
)

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
# One pass over the page: text inlined for one tag is never scanned for the next.
_TAG = re.compile(
    r"<script\b(?P<script>[^>]*)>\s*</script\s*>|<link\b(?P<link>[^>]*?)/?>", re.IGNORECASE
)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_VERSION = re.compile(r"[-@_]v?\d+(?:\.\d+)+(?=\.|$)")


def _attributes(text: str) -> dict[str, str]:
    """Parse the attributes of one HTML start tag (names lower-cased, values unescaped)."""
    return {
        m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
        for m in _ATTR.finditer(text)
    }


def _normalise(url: str) -> str:
    """The file name of ``url``, lower-cased, without query, version or ``.min``.

    ``https://code.jquery.com/jquery-3.7.1.min.js`` becomes ``jquery.js``.
    """
    name = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
    name = _VERSION.sub("", name)
    return re.sub(r"\.min(?=\.)", "", name)


def _find_asset(url: str) -> _Asset | None:
    """The packaged asset that replaces ``url``, or None."""
    name = _normalise(url)
    for asset in _ASSETS:
        if name in asset.names and asset.url_hint in url.lower():
            return asset
    return None


@cache
def _read(asset: _Asset) -> str:
    """The concatenated text of an asset's packaged files."""
    folder = resources.files("route.output") / "assets"
    return "\n".join(folder.joinpath(f).read_text(encoding="utf-8") for f in asset.files)


def _inline(tag: str, url: str, asset: _Asset) -> str:
    """An inline ``<script>`` or ``<style>`` element holding ``asset``."""
    # "</script" or "</style" inside the text would end the element early;
    # "<\/" means the same inside JavaScript strings and CSS.
    text = re.sub(f"</(?={tag})", r"<\\/", _read(asset), flags=re.IGNORECASE)
    # "--" may not appear inside an HTML comment.
    label = html.escape(f"{', '.join(asset.files)}, replacing {url}").replace("--", "- -")
    return f"<!-- {label} -->\n<{tag}>\n{text}\n</{tag}>"


def inline_assets(page: str) -> str:
    """Replace every remote script and stylesheet in an HTML page by its packaged copy.

    Parameters
    ----------
    page
        A complete HTML page, e.g. folium's rendered output.

    Returns
    -------
    str
        The page, with no ``<script src>`` or stylesheet ``<link>`` to a remote URL.

    Raises
    ------
    OfflineAssetError
        If any remote script or stylesheet has no packaged copy; it lists them all.
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group("script") is not None:
            tag, attrs = "script", _attributes(match.group("script"))
            url = attrs.get("src", "")
        else:
            tag, attrs = "style", _attributes(match.group("link"))
            url = attrs.get("href", "")
            if "stylesheet" not in attrs.get("rel", "").lower().split():
                return match.group(0)
        if not _REMOTE.match(url):
            return match.group(0)
        asset = _find_asset(url)
        if asset is None:
            missing.append(url)
            return match.group(0)
        return _inline(tag, url, asset)

    page = _TAG.sub(replace, page)
    if missing:
        raise OfflineAssetError(missing)
    return page


def render_offline(m: folium.Map) -> str:
    """Render a folium map as one self-contained HTML page.

    Every script and stylesheet folium or a plugin loads from a CDN is replaced
    by an inline copy from ``route/output/assets``. Tile layer URL templates stay as
    they are: offline the tiles are missing, but the map and its overlays render.

    Parameters
    ----------
    m
        The map. Like :meth:`folium.Map.save`, this renders it; folium appends
        a layer's ``addTo`` call on each render, so render a map once.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    OfflineAssetError
        If the map needs a remote script or stylesheet with no packaged copy;
        the message names every such URL.
    """
    return inline_assets(m.get_root().render())


def save_offline(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write a map as a self-contained HTML file, atomically.

    The page goes to a temporary file in the same folder, which then replaces
    ``path``; a crash leaves either the old file or the new one, never half.

    Parameters
    ----------
    m
        The map.
    path
        Where to write.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OfflineAssetError
        If the map needs a remote script or stylesheet with no packaged copy;
        nothing is written then.
    """
    page = render_offline(m)
    return atomic_write(path, page)


def notebook_html(m: folium.Map, height: str | None = None) -> str:
    """The map as Jupyter shows it: an ``<iframe>`` holding the self-contained page.

    The map is rendered from a copy, so showing it leaves it as it was (folium adds a line of
    script to a map each time it renders it) and it can still be saved afterwards.

    Parameters
    ----------
    m
        The map.
    height
        The frame's CSS height (e.g. ``"500px"``); by default the figure's, or 60 % of its
        width.

    Raises
    ------
    OfflineAssetError
        If the map needs a remote script or stylesheet with no packaged copy.
    """
    import copy

    # Copying the map copies the figure it sits in (its parent) and everything drawn on it.
    page = render_offline(copy.deepcopy(m))
    figure = m.get_root()
    width = getattr(figure, "width", "100%")
    height = height or getattr(figure, "height", None)
    srcdoc = html.escape(page, quote=True)
    if height is not None:
        box, frame = f"width:{width}", f"border:none;width:100%;height:{height}"
        return f'<div style="{box}">{_frame(srcdoc, frame)}</div>'
    ratio = getattr(figure, "ratio", "60%")
    box = f"position:relative;width:100%;height:0;padding-bottom:{ratio}"
    frame = "position:absolute;left:0;top:0;border:none;width:100%;height:100%"
    return f'<div style="width:{width}"><div style="{box}">{_frame(srcdoc, frame)}</div></div>'


def _frame(srcdoc: str, style: str) -> str:
    return f'<iframe srcdoc="{srcdoc}" style="{style}" allowfullscreen="allowfullscreen"></iframe>'


class OfflineMap(folium.Map):
    """A :class:`folium.Map` that Jupyter shows inline with no internet (see :func:`show`)."""

    def _repr_html_(self, **kwargs: object) -> str:
        return notebook_html(self)


class _Shown:
    """What :func:`show` returns: Jupyter displays it through ``_repr_html_``."""

    def __init__(self, m: folium.Map, height: str | None) -> None:
        self.map, self.height = m, height

    def _repr_html_(self) -> str:
        return notebook_html(self.map, self.height)


def show(m: folium.Map, height: str | None = None) -> _Shown:
    """Show any folium map inline in Jupyter, offline: every script and stylesheet inlined.

    The maps :func:`route.plan_map` and :func:`route.day_map` make show that way by themselves;
    use this for a map of your own (``route.show(folium.Map(...))`` as a cell's last line).

    Parameters
    ----------
    m
        The map.
    height
        CSS height of the frame, e.g. ``"600px"`` (default: 60 % of its width).
    """
    return _Shown(m, height)
