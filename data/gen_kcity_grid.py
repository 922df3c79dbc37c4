#!/usr/bin/env python3
"""Generate data/kcity-grid.geojson: the unit grid of the fictional "K city".

One district (admin code 320508), 3 streets, 4 communities per street, 5 cells per
community: 60 cells, 14-digit codes (2-digit sequence), near 31.30 N, 120.60 E.

The cells tile a 12 x 5 lattice without gaps or overlaps: every lattice corner and every
edge midpoint is jittered once and then shared by all cells that touch it, so
neighbouring cells keep exactly the same edge. Rings are counter-clockwise (RFC 7946).
Each street is a 4-column block; its 4 communities are contiguous 5-cell shapes, and
sequence numbers run west->east, north->south inside each community.

Deterministic (fixed seed, Python 3 stdlib only). Run from anywhere:
    python3 data/gen_kcity_grid.py
"""

import json
import os
import random

SEED = 320508
DISTRICT = "320508"
COLS, ROWS = 12, 5  # cells; 3 streets of 4 columns each
LON0, LAT0 = 120.5790, 31.3075  # north-west corner of the grid
DX, DY = 0.0035, 0.0030  # cell size in degrees (~330 m x 330 m at 31.3 N)
CORNER_JITTER = 0.12  # fraction of the cell size
MID_JITTER = 0.08
DECIMALS = 7  # ~1 cm

STREETS = [
    ("001", "Lanxi St", ["Lanyuan", "Meiqiao", "Zhuxi", "Heyang"]),
    ("002", "Qiaonan St", ["Shuiyue", "Tongfang", "Yinxing", "Cuiwei"]),
    ("003", "Yunhe St", ["Jinlan", "Wangqing", "Songhe", "Liuyin"]),
]

# Community shapes inside a street block: (row, local column) cells, 5 each.
COMMUNITY_CELLS = [
    [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)],
    [(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)],
    [(2, 1), (3, 0), (3, 1), (4, 0), (4, 1)],
    [(2, 2), (3, 2), (3, 3), (4, 2), (4, 3)],
]


def point(rng, lon, lat, jitter):
    """A vertex near (lon, lat), jittered and rounded once so every user shares it."""
    lon += rng.uniform(-jitter, jitter) * DX
    lat += rng.uniform(-jitter, jitter) * DY
    return [round(lon, DECIMALS), round(lat, DECIMALS)]


def lattice(rng):
    """Corners, horizontal-edge midpoints and vertical-edge midpoints of the lattice."""
    corners = [
        [point(rng, LON0 + c * DX, LAT0 - r * DY, CORNER_JITTER) for c in range(COLS + 1)]
        for r in range(ROWS + 1)
    ]
    hmid = [
        [point(rng, LON0 + (c + 0.5) * DX, LAT0 - r * DY, MID_JITTER) for c in range(COLS)]
        for r in range(ROWS + 1)
    ]
    vmid = [
        [point(rng, LON0 + c * DX, LAT0 - (r + 0.5) * DY, MID_JITTER) for c in range(COLS + 1)]
        for r in range(ROWS)
    ]
    return corners, hmid, vmid


def ring(corners, hmid, vmid, r, c):
    """Counter-clockwise closed ring of cell (row r, column c); row 0 is the north."""
    pts = [
        corners[r + 1][c],  # SW
        hmid[r + 1][c],  # S
        corners[r + 1][c + 1],  # SE
        vmid[r][c + 1],  # E
        corners[r][c + 1],  # NE
        hmid[r][c],  # N
        corners[r][c],  # NW
        vmid[r][c],  # W
    ]
    return pts + [pts[0]]


def features():
    rng = random.Random(SEED)
    corners, hmid, vmid = lattice(rng)
    out = []
    for s, (street_code, street_name, communities) in enumerate(STREETS):
        for k, community in enumerate(communities):
            community_code = f"{k + 1:03d}"
            community_name = f"{community} Community"
            cells = sorted(COMMUNITY_CELLS[k])  # north->south, then west->east
            for seq, (r, lc) in enumerate(cells, start=1):
                c = 4 * s + lc
                code = f"{DISTRICT}{street_code}{community_code}{seq:02d}"
                out.append(
                    {
                        "type": "Feature",
                        "properties": {
                            "code": code,
                            "name": f"{street_name} · {community_name} · cell {seq:02d}",
                            "street_name": street_name,
                            "community_name": community_name,
                        },
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [ring(corners, hmid, vmid, r, c)],
                        },
                    }
                )
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "kcity-grid.geojson")
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features()]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"type":"FeatureCollection",\n')
        fh.write('"name":"K city unit grid (fictional sample data)",\n')
        fh.write('"features":[\n')
        fh.write(",\n".join(lines))
        fh.write("\n]}\n")


if __name__ == "__main__":
    main()
