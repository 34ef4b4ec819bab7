"""Compact, data-driven map layers for :mod:`route.output.maps`.

A folium ``Marker`` with an icon and a popup costs about 1 kB of page script; a 2,000-stop route
drawn that way (stop, spot and walk-in per subscriber) passes 5 MB. Here every layer embeds its
rows once, as a JSON array, and one small shared script (``paperroute`` in the page header)
turns the rows into Leaflet markers and lines in the browser. The elements are ordinary branca
children, so they sit in folium ``FeatureGroup`` or ``MarkerCluster`` layers, take part in the
layer control and report their bounds like folium's own layers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from branca.element import Element, MacroElement
from jinja2 import Template

from route.constants import OSM_ATTRIBUTION

_CSS = """
.pr-map.leaflet-container{background:#f3f1ec;font:13px/1.35 system-ui,"DejaVu Sans",sans-serif}
.pr-stop{display:flex;align-items:center;justify-content:center}
.pr-stop span{display:block;min-width:20px;height:20px;padding:0 4px;border-radius:10px;
 border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.45);color:#fff;font:bold 11px/20px
 system-ui,"DejaVu Sans",sans-serif;text-align:center;box-sizing:content-box}
.pr-stop.pr-hazard span{border-color:#ffd33d}
.pr-stop.pr-late span{background:#fff!important;color:#8250df;border:2px dashed #8250df}
.pr-stop.pr-wait span{box-shadow:0 0 0 3px #bf8700,0 1px 3px rgba(0,0,0,.45)}
.pr-stop.pr-crowded span{min-width:0;width:8px;height:8px;padding:0;font-size:0;
 line-height:0;border-width:1px}
.pr-stop.pr-crowded.pr-wait span{box-shadow:0 0 0 2px #bf8700}
.pr-spot.pr-crowded span{width:6px;height:6px;border-width:2px;font-size:0;line-height:0}
.pr-spot.pr-crowded i{display:none}
.pr-ring{display:inline-block;width:11px;height:11px;border-radius:6px;vertical-align:middle;
 margin-right:4px;border:2px dashed #8250df;background:#fff}
.pr-spot span{display:block;width:18px;height:18px;border-radius:9px;border:2px solid;
 background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.4);text-align:center;font-size:10px;
 line-height:18px}
.pr-depot span{background:#24292f;border-radius:4px;padding:0 6px;font-size:12px}
.pr-pop h4{margin:0 0 2px;font-size:14px}
.pr-pop .pr-addr{color:#57606a;margin-bottom:4px}
.pr-pop table{border-collapse:collapse}
.pr-pop th{text-align:left;padding:1px 8px 1px 0;color:#57606a;font-weight:600;vertical-align:top}
.pr-pop td{padding:1px 0;vertical-align:top}
.pr-pop .pr-act{display:inline-block;color:#fff;border-radius:3px;padding:0 6px;margin:2px 0;
 font-weight:600}
.pr-pop .pr-warn{color:#9a6700;font-weight:600}
.pr-pop .pr-nav{margin-top:6px}
.pr-pop .pr-nav a{display:inline-block;padding:2px 7px;margin:2px 3px 0 0;border:1px solid #0969da;
 border-radius:4px;color:#0969da;text-decoration:none;white-space:nowrap}
.pr-pop .pr-nav .sep{display:none}
.pr-panel{background:rgba(255,255,255,.94);padding:6px 10px;border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.3);max-width:300px;max-height:70vh;overflow:auto;
 font:12px/1.4 system-ui,"DejaVu Sans",sans-serif;color:#24292f}
.pr-panel summary{cursor:pointer;font-size:13px;font-weight:700}
.pr-panel table{border-collapse:collapse;margin:4px 0}
.pr-panel td{padding:0 8px 0 0}
.pr-panel td.n{text-align:right;font-variant-numeric:tabular-nums}
.pr-panel .pr-note{color:#57606a;font-size:11px}
.pr-panel .pr-share{font-size:12px;margin:2px 0 4px}
.pr-panel .pr-bar{height:6px;background:#d0d7de;border-radius:3px;overflow:hidden;margin:2px 0}
.pr-panel .pr-bar i{display:block;height:100%;background:#bf3989}
.pr-panel h5{margin:6px 0 2px;font-size:12px}
.pr-sw{display:inline-block;width:18px;height:4px;border-radius:2px;vertical-align:middle;
 margin-right:4px}
.pr-dot{display:inline-block;width:11px;height:11px;border-radius:6px;vertical-align:middle;
 margin-right:4px;border:1px solid #fff;box-shadow:0 0 0 1px #8c959f}
.pr-dash{display:inline-block;width:18px;border-top:2px dashed #57606a;vertical-align:middle;
 margin-right:4px}
.pr-panel i.fa{width:16px;text-align:center;color:#57606a}
@media (max-width:600px){.pr-panel{max-width:220px;font-size:11px}}
"""

# One shared script per page: the row formats are documented in StopLayer/SpotLayer/StreetLayer.
_JS = """
var paperroute = paperroute || {
  setup: function (map) {
    if (map._paperroute) return;
    map._paperroute = true;
    map.getContainer().classList.add("pr-map");
    // Below the tile pane (200): online tiles cover the drawn streets, offline they show.
    map.createPane("pr-streets").style.zIndex = 150;
    // Stop numbers and spot icons that would cover one another shrink to dots until a zoom
    // gives them room: after drawing, and after every zoom or layer switched on or off.
    var pending = null;
    var tidy = function () {
      if (pending === null) pending = setTimeout(function () {
        pending = null;
        paperroute.declutter(map);
      }, 0);
    };
    map.on("zoomend viewreset overlayadd overlayremove", tidy);
    map.whenReady(tidy);
  },
  // Markers that give way when crowded: stops first (in route order), then spots.
  marks: [],
  declutter: function (map) {
    // Boxes shown so far, in a grid of 40 px cells: a box is checked against its cells only.
    var grid = {};
    var cells = function (b, f) {
      for (var x = Math.floor(b[0] / 40); x <= Math.floor(b[2] / 40); x++) {
        for (var y = Math.floor(b[1] / 40); y <= Math.floor(b[3] / 40); y++) {
          if (f(x + ":" + y)) return true;
        }
      }
      return false;
    };
    var overlaps = function (b) {
      return cells(b, function (key) {
        return (grid[key] || []).some(function (o) {
          return b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3];
        });
      });
    };
    var show = function (b) {
      cells(b, function (key) { (grid[key] = grid[key] || []).push(b); return false; });
    };
    var order = paperroute.marks.filter(function (k) { return k.m._map === map; });
    order.sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
    order.forEach(function (k) {
      var el = k.m.getElement();
      if (!el) return;
      var p = map.latLngToLayerPoint(k.m.getLatLng());
      var box = [p.x - k.w / 2, p.y - k.h / 2, p.x + k.w / 2, p.y + k.h / 2];
      var crowded = overlaps(box);
      el.classList.toggle("pr-crowded", crowded);
      if (!crowded) show(box);
    });
  },
  mark: function (m, rank, w, h) {
    paperroute.marks.push({m: m, rank: rank, w: w, h: h, i: paperroute.marks.length});
  },
  stops: function (layer, rows) {
    rows.forEach(function (r) {
      var icon = L.divIcon({className: "pr-stop" + (r[6] ? " pr-hazard" : "") +
        (r[7] ? " " + r[7] : ""),
        html: '<span style="background:' + r[3] + '">' + r[2] + "</span>",
        iconSize: [30, 24], iconAnchor: [15, 12], popupAnchor: [0, -10]});
      // Stops of the catch-up pass and stops with a wait stay above the spot markers.
      var m = L.marker([r[0], r[1]], {icon: icon, riseOnHover: true,
        zIndexOffset: r[7] ? 1000 : 0});
      m.bindPopup(r[4], {maxWidth: 320});
      if (r[5]) m.bindTooltip(r[5], {direction: "top", offset: [0, -10]});
      layer.addLayer(m);
      // The label's drawn size: 7 px a digit (at least 20), padding and border.
      paperroute.mark(m, 0, Math.max(20, 7 * String(r[2]).length) + 12, 24);
    });
  },
  spots: function (layer, rows) {
    rows.forEach(function (r) {
      if (r[2] !== null) {
        layer.addLayer(L.polyline([[r[2], r[3]], [r[0], r[1]]], {color: r[6], weight: 2,
          opacity: 0.9, dashArray: "3 5", interactive: false, className: "pr-walk-in"}));
      }
      var icon = L.divIcon({className: "pr-spot",
        html: '<span style="border-color:' + r[5] + ";color:" + r[5] + '"><i class="fa fa-' +
          r[4] + '"></i></span>', iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -9]});
      // Below every stop number: a spot's dot never covers one.
      var m = L.marker([r[0], r[1]], {icon: icon, riseOnHover: true, zIndexOffset: -1000});
      m.bindPopup(r[7], {maxWidth: 320});
      if (r[8]) m.bindTooltip(r[8], {direction: "top", offset: [0, -10]});
      layer.addLayer(m);
      paperroute.mark(m, 1, 22, 22);
    });
  },
  streets: function (layer, lines, credit) {
    layer.addLayer(L.polyline(lines, {pane: "pr-streets", color: "#c4bfb4", weight: 1.6,
      interactive: false, attribution: credit, className: "pr-streets"}));
  },
  panel: function (map, html, position) {
    var Panel = L.Control.extend({onAdd: function () {
      var div = L.DomUtil.create("div", "pr-panel");
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }});
    new Panel({position: position}).addTo(map);
  }
};
"""


def _add_shared(element: MacroElement) -> None:
    """Put the shared stylesheet and script in the page header (once per page)."""
    header = element.get_root().header  # type: ignore[attr-defined]  # a Figure
    header.add_child(Element(f"<style>{_CSS}</style>"), name="paperroute_css")
    header.add_child(Element(f"<script>{_JS}</script>"), name="paperroute_js")


def _parent_map_name(element: MacroElement) -> str:
    """The variable name of the folium map above ``element``."""
    import folium

    node: Any = element
    while node is not None and not isinstance(node, folium.Map):
        node = node._parent
    if node is None:
        raise ValueError(f"{element._name} must be added to a folium.Map (directly or in a layer)")
    return str(node.get_name())


class _Rows(MacroElement):
    """A layer's rows, drawn in the browser by one ``paperroute.<kind>`` call."""

    kind = ""
    _template = Template(
        """{% macro script(this, kwargs) %}
paperroute.{{ this.kind }}({{ this._parent.get_name() }}, {{ this.rows_json }}{{ this.extra }});
{% endmacro %}"""
    )

    def __init__(self, rows: Sequence[Sequence[Any]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
        self._name = type(self).__name__
        self.rows = [list(r) for r in rows]
        self.extra = ""

    @property
    def rows_json(self) -> str:
        # "</" would end the <script> early if a popup held "</script>"; "<\/" means the same.
        return json.dumps(self.rows, ensure_ascii=False, separators=(",", ":")).replace(
            "</", "<\\/"
        )

    def _latlons(self) -> list[tuple[float, float]]:
        return [(r[0], r[1]) for r in self.rows]

    def _get_self_bounds(self) -> list[list[float | None]]:
        pts = self._latlons()
        if not pts:
            return [[None, None], [None, None]]
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        return [[min(lats), min(lons)], [max(lats), max(lons)]]

    def render(self, **kwargs: Any) -> Any:
        _add_shared(self)
        return super().render(**kwargs)  # type: ignore[no-untyped-call]  # branca: unannotated


class StopLayer(_Rows):
    """Numbered stop markers at the curb points.

    Rows: ``[lat, lon, label, colour, popup_html, tooltip, hazard, style]`` (``hazard`` 0 or 1
    draws a yellow ring; ``style`` is ``""``, ``"pr-late"`` for a stop of the catch-up pass or
    ``"pr-wait"`` for a stop where the carrier waits for the window).
    """

    kind = "stops"


class SpotLayer(_Rows):
    """Delivery-spot markers (Font Awesome icon by spot kind) with dashed walk-in lines.

    Rows: ``[lat, lon, curb_lat, curb_lon, icon, marker_colour, line_colour, popup_html,
    tooltip]`` (CSS colours); ``curb_lat``/``curb_lon`` are ``None`` for a spot with no
    walk-in (unserved).
    """

    kind = "spots"

    def _latlons(self) -> list[tuple[float, float]]:
        pts = [(r[0], r[1]) for r in self.rows]
        pts += [(r[2], r[3]) for r in self.rows if r[2] is not None]
        return pts


class StreetLayer(_Rows):
    """The street network as thin grey lines, in a pane below the tiles.

    Rows: polylines, each a list of ``[lat, lon]``.
    """

    kind = "streets"

    def __init__(self, rows: Sequence[Sequence[Any]]) -> None:
        super().__init__(rows)
        self.extra = ", " + json.dumps(OSM_ATTRIBUTION)

    def _latlons(self) -> list[tuple[float, float]]:
        return [(p[0], p[1]) for line in self.rows for p in line]


class Setup(MacroElement):
    """Prepares a map for the layers above (pane for the streets, page style); add it first."""

    _template = Template(
        """{% macro script(this, kwargs) %}
paperroute.setup({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
        self._name = "PaperrouteSetup"

    def render(self, **kwargs: Any) -> Any:
        _add_shared(self)
        return super().render(**kwargs)  # type: ignore[no-untyped-call]  # branca: unannotated


class Panel(MacroElement):
    """A box of HTML in a corner of the map (summary and legend)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
paperroute.panel({{ this.map_name }}, {{ this.html_json }}, {{ this.position|tojson }});
{% endmacro %}"""
    )

    def __init__(self, html: str, position: str = "bottomleft") -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
        self._name = "PaperroutePanel"
        self.html = html
        self.position = position

    @property
    def html_json(self) -> str:
        return json.dumps(self.html, ensure_ascii=False).replace("</", "<\\/")

    def render(self, **kwargs: Any) -> Any:
        _add_shared(self)
        self.map_name = _parent_map_name(self)
        return super().render(**kwargs)  # type: ignore[no-untyped-call]  # branca: unannotated
