"""Inline SVG pictures for the HTML report: a network path and a trend plot.

Pure string building, every text escaped; no scripts, no external assets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from posture.graph import INTERNET, Graph
from posture.model import Severity

SEVERITY_COLOURS = {
    "critical": "#7b1fa2",
    "high": "#c62828",
    "medium": "#ef6c00",
    "low": "#0277bd",
    "info": "#757575",
}

_KIND_COLOURS = {
    INTERNET: "#fde0dc",
    "firewall": "#fff3c4",
    "gateway": "#e1f5fe",
    "load_balancer": "#e1f5fe",
    "listener": "#e1f5fe",
    "interface": "#eceff1",
    "subnet": "#eceff1",
    "network": "#eceff1",
    "datastore": "#e8f5e9",
    "compute": "#ede7f6",
}

_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _PER_ROW = 180, 54, 130, 46, 4


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _edge_label(graph: Graph | None, a: str, b: str) -> str:
    """The kind (and ports) of the edge joining two consecutive path nodes, in either direction."""
    if graph is None:
        return ""
    edges = [e for e in graph.out_edges(a) if e.dst == b] or [e for e in graph.out_edges(b) if e.dst == a]
    if not edges:
        return ""
    edge = edges[0]
    ports = edge.attrs.get("ports")
    if ports:
        shown = ",".join(str(p[0]) if p[0] == p[1] else f"{p[0]}-{p[1]}" for p in ports if len(p) == 2)
        return f"{edge.kind} :{shown}" if shown else edge.kind
    return edge.kind


def path_svg(path: Sequence[str], graph: Graph | None) -> str:
    """Draw ``path`` (node ids from ``internet`` to the resource) as boxes joined by labelled arrows."""
    n = len(path)
    if n == 0:
        return ""
    cols = min(n, _PER_ROW)
    rows = (n + _PER_ROW - 1) // _PER_ROW
    width = cols * _BOX_W + (cols - 1) * _GAP_X + 20
    height = rows * _BOX_H + (rows - 1) * _GAP_Y + 20

    def pos(i: int) -> tuple[int, int]:
        return 10 + (i % _PER_ROW) * (_BOX_W + _GAP_X), 10 + (i // _PER_ROW) * (_BOX_H + _GAP_Y)

    parts = [
        f'<svg class="path" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="network path from the internet">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker></defs>',
    ]
    for i, node in enumerate(path):
        x, y = pos(i)
        res = graph.resource(node) if graph is not None else None
        if node == INTERNET:
            kind, label = INTERNET, "Internet"
        elif res is not None:
            kind, label = res.kind, res.name or res.id.rsplit("/", 1)[-1]
        else:
            kind, label = "", node.rsplit("/", 1)[-1]
        fill = _KIND_COLOURS.get(kind, "#f5f5f5")
        stroke = "#c62828" if i == n - 1 else "#455a64"
        parts.append(
            f'<g class="node"><title>{escape(node)}</title>'
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{2 if i == n - 1 else 1}"/>'
            f'<text x="{x + _BOX_W // 2}" y="{y + 21}" text-anchor="middle" font-size="11" fill="#546e7a">'
            f"{escape(kind or 'unknown')}</text>"
            f'<text x="{x + _BOX_W // 2}" y="{y + 40}" text-anchor="middle" font-size="13" font-weight="600">'
            f"{escape(_clip(label, 24))}</text></g>"
        )
    for i in range(n - 1):
        (x1, y1), (x2, y2) = pos(i), pos(i + 1)
        label = escape(_edge_label(graph, path[i], path[i + 1]))
        if y1 == y2:
            ax, ay, bx = x1 + _BOX_W, y1 + _BOX_H // 2, x2
            parts.append(f'<line x1="{ax}" y1="{ay}" x2="{bx - 2}" y2="{ay}" stroke="#455a64" '
                         f'marker-end="url(#arrow)"/>')
            parts.append(f'<text x="{(ax + bx) // 2}" y="{ay - 6}" text-anchor="middle" font-size="10">'
                         f"{label}</text>")
        else:  # wrap to the next row: down, left, down
            ax, ay = x1 + _BOX_W // 2, y1 + _BOX_H
            mid = ay + _GAP_Y // 2
            bx = x2 + _BOX_W // 2
            parts.append(f'<polyline points="{ax},{ay} {ax},{mid} {bx},{mid} {bx},{y2 - 2}" fill="none" '
                         f'stroke="#455a64" marker-end="url(#arrow)"/>')
            parts.append(f'<text x="{(ax + bx) // 2}" y="{mid - 4}" text-anchor="middle" font-size="10">'
                         f"{label}</text>")
    parts.append("</svg>")
    return "".join(parts)


def trend_svg(points: Sequence[Mapping[str, Any]]) -> str:
    """Plot open findings by severity per scan. ``points`` carry ``label`` and ``by_severity``."""
    if not points:
        return ""
    width, height, left, bottom, top, right = 760, 260, 46, 48, 16, 110
    plot_w, plot_h = width - left - right, height - top - bottom
    series = {s.value: [int((p.get("by_severity") or {}).get(s.value, 0)) for p in points] for s in Severity}
    peak = max([1, *(v for vals in series.values() for v in vals)])
    n = len(points)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top + plot_h - plot_h * v / peak

    parts = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="open findings by severity per scan">']
    for k in range(5):  # horizontal grid with tick labels
        v = round(peak * k / 4)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e0e0e0"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">{v}</text>')
    step = max(1, n // 8)
    for i, p in enumerate(points):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="10">'
                         f"{escape(str(p.get('label', i + 1)))}</text>")
    for j, (sev, vals) in enumerate(series.items()):
        colour = SEVERITY_COLOURS[sev]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vals))
        parts.append(f'<polyline class="series-{sev}" points="{coords}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"/>')
        parts.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{sev}: {v}</title>'
                     f"</circle>" for i, v in enumerate(vals))
        ly = top + 14 + j * 18
        parts.append(f'<rect x="{left + plot_w + 16}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{left + plot_w + 34}" y="{ly + 1}" font-size="11">{sev}</text>')
    parts.append("</svg>")
    return "".join(parts)
