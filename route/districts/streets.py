"""Street distances between subscribers, for :func:`route.districts.assign.assign`.

Each subscriber sits on its curb point's edge; a distance runs from either end of one edge to
either end of the other along the streets, one-way streets ignored (a territory is about
nearness, not the direction a route takes), plus the part of each edge to its end. Rows come
from one multi-source :func:`scipy.sparse.csgraph.dijkstra` over the sources' junctions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from route.network import CurbPoint, StreetIndex


class StreetRows:
    """:data:`~route.districts.assign.DistanceRows` on a street network.

    Parameters
    ----------
    index
        The street network.
    curbs
        Each subscriber's curb point, in the order of the assignment's points.
    """

    def __init__(self, index: StreetIndex, curbs: Sequence[CurbPoint]) -> None:
        self.index = index
        G = index.net.G
        n = len(curbs)
        self.ends = np.zeros((n, 2), dtype=np.int64)
        self.to_end = np.zeros((n, 2))
        self.edge = np.zeros(n, dtype=np.int64)
        self.along = np.zeros(n)
        edges: dict[tuple[int, int, int], int] = {}
        for i, c in enumerate(curbs):
            length = float(G.edges[c.u, c.v, c.key]["length"])
            self.ends[i] = index.index[c.u], index.index[c.v]
            self.to_end[i] = c.offset * length, (1.0 - c.offset) * length
            # Both directions of a street share an id, so two houses on it compare directly.
            key = (min(c.u, c.v), max(c.u, c.v), c.key if c.u <= c.v else -1)
            self.edge[i] = edges.setdefault(key, len(edges))
            self.along[i] = self.to_end[i, 0] if c.u <= c.v else self.to_end[i, 1]
        self.xy = np.array([(c.x, c.y) for c in curbs]).reshape(-1, 2)

    def __call__(self, sources: np.ndarray) -> np.ndarray:
        """Street metres from the subscribers ``sources`` to every subscriber."""
        src = np.asarray(sources, dtype=np.int64)
        nodes, back = np.unique(self.ends[src].reshape(-1), return_inverse=True)
        from_nodes = self.index.junction_rows(nodes, directed=False)  # (junctions, all nodes)
        back = back.reshape(-1, 2)
        out = np.full((len(src), len(self.ends)), np.inf)
        for a in range(2):
            # From the source's end a to each target's end b, plus both part-edges.
            start = from_nodes[back[:, a]] + self.to_end[src, a][:, None]
            for b in range(2):
                np.minimum(out, start[:, self.ends[:, b]] + self.to_end[None, :, b], out=out)
        same = self.edge[src][:, None] == self.edge[None, :]
        direct = np.abs(self.along[src][:, None] - self.along[None, :])
        np.copyto(out, np.minimum(out, direct), where=same)
        return out
