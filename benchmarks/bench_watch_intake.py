"""Benchmark: intake of 10,000 news items and 1,000 feed entries (target <= 60 s on 2 cores).

What it does: writes, in a temporary folder, 10,000 generated news items in the four
languages (a tenth report a disruption on the tri-cluster network, a tenth are hard
negatives such as drills and visits, the rest are other news) as ten JSON-lines files,
plus 1,000 USGS GeoJSON features (a tenth near the network) in one feed file, then times
``intake()`` over the folder, gazetteer build included, and prints items per second,
events found and the time split between building the reader and reading.

The baseline beside it is the naive reader: no gazetteer index (every alias is looked
for with ``str.find`` in every sentence) and the cue words re-read and re-compiled for
every item. It is slow, so it runs on a fiftieth of the sources and its time is scaled up.

Usage::

    .venv/bin/python benchmarks/bench_watch_intake.py
    .venv/bin/python benchmarks/bench_watch_intake.py --news 2000 --feed 200
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from chipstress.model.builtin import load_builtin
from chipstress.workflows.watch import classify
from chipstress.workflows.watch.classify import Reader
from chipstress.workflows.watch.gazetteer import Gazetteer, Mention
from chipstress.workflows.watch.intake import intake

_HAZARD = [
    (
        "en",
        "Power outage hits {city}",
        "A power outage in {city} cut supply to 30% of households for {n} hours on Monday.",
    ),
    (
        "en",
        "M{m} earthquake near {city}",
        "A magnitude {m} earthquake struck near {city} at a depth of 12 km.",
    ),
    ("zh-TW", "{zcity}停電", "{zcity}今天發生停電，約三成用戶受影響，停電持續{n}小時。"),
    ("zh-TW", "{zcity}水情亮橙燈", "水利署宣布{zcity}地區水情燈號轉為橙燈，工業用水減供11%。"),
    ("zh-CN", "{zcity}发生{m}级地震", "{zcity}发生{m}级地震，震源深度10公里。"),
    (
        "ja",
        "{jcity}で停電",
        "{jcity}で停電が発生し、約5000世帯が影響を受けた。停電は{n}時間続いた。",
    ),
]
_NEGATIVE = [
    (
        "en",
        "Earthquake drill held in {city}",
        "Officials held an earthquake drill in {city}, simulating a magnitude 7 quake.",
    ),
    ("zh-TW", "{zcity}舉行防災演練", "{zcity}今天舉行防災演練，模擬停電與地震。"),
    ("ja", "{jcity}で避難訓練", "{jcity}で地震を想定した避難訓練が行われた。"),
    (
        "en",
        "Delegation visits {city}",
        "A delegation visited {city} to discuss investment in fabs.",
    ),
]
_OTHER = [
    (
        "en",
        "Chip demand rises in {city}",
        "Demand for chips from {city} rose in the third quarter, analysts said, as AI servers sold well. "
        * 3,
    ),
    ("zh-TW", "{zcity}半導體產值創新高", "{zcity}半導體產值今年創新高，業者看好明年需求。" * 4),
    ("zh-CN", "{zcity}芯片产业发展", "{zcity}芯片产业持续发展，多家企业扩大产能。" * 4),
    (
        "ja",
        "{jcity}の半導体産業",
        "{jcity}の半導体産業は好調で、人材の確保が課題となっている。" * 4,
    ),
]
_CITIES = [
    ("Kaohsiung", "高雄", "高雄"),
    ("Tainan", "台南", "台南"),
    ("Hsinchu", "新竹", "新竹"),
    ("Kumamoto", "熊本", "熊本"),
    ("Phoenix", "鳳凰城", "フェニックス"),
]


def write_sources(folder: Path, n_news: int, n_feed: int, seed: int = 1) -> None:
    """Write the generated news (JSON lines) and USGS feed into ``folder``."""
    rng = random.Random(seed)
    per_file = max(1, n_news // 10)
    for f in range(0, n_news, per_file):
        lines = []
        for i in range(f, min(n_news, f + per_file)):
            roll = rng.random()
            pool = _HAZARD if roll < 0.1 else _NEGATIVE if roll < 0.2 else _OTHER
            language, title, body = rng.choice(pool)
            city, zcity, jcity = rng.choice(_CITIES)
            values = {
                "city": city,
                "zcity": zcity,
                "jcity": jcity,
                "n": rng.randint(1, 9),
                "m": round(rng.uniform(5.0, 7.0), 1),
            }
            day = 1 + i % 28
            lines.append(
                json.dumps(
                    {
                        "id": f"n{i}",
                        "language": language,
                        "title": title.format(**values),
                        "body": body.format(**values),
                        "published": f"2026-02-{day:02d}T00:00:00Z",
                    },
                    ensure_ascii=False,
                )
            )
        (folder / f"news_{f // per_file:02d}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
    features = []
    for i in range(n_feed):
        near = rng.random() < 0.1
        lat, lon = (
            (rng.uniform(22.5, 25.0), rng.uniform(120.0, 122.0))
            if near
            else (rng.uniform(-50, 50), rng.uniform(-180, 180))
        )
        features.append(
            {
                "type": "Feature",
                "id": f"f{i}",
                "properties": {
                    "mag": round(rng.uniform(4.5, 7.0), 1),
                    "time": 1772400000000 + i * 60000,
                    "type": "earthquake",
                    "title": f"M quake {i}",
                },
                "geometry": {"type": "Point", "coordinates": [lon, lat, 10.0]},
            }
        )
    (folder / "usgs.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )


class NaiveGazetteer(Gazetteer):
    """The baseline's gazetteer: every alias looked for with ``str.find`` (no index)."""

    def find(self, text: str) -> list[Mention]:
        lower = text.lower()
        found = []
        for alias, keys in self.aliases.items():
            start = lower.find(alias) if alias.isascii() else text.find(alias)
            if start >= 0:
                found.append(
                    Mention(tuple(self.places[k] for k in keys), start, start + len(alias), alias)
                )
        return sorted(found, key=lambda m: m.start)


class NaiveReader(Reader):
    """The baseline's reader: re-reads and re-compiles the cue words for every item."""

    def read(self, *args: object, **kwargs: object) -> tuple[list, bool]:  # type: ignore[override]
        classify._lexicon.cache_clear()
        self.lex = classify._lexicon()
        return super().read(*args, **kwargs)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=10_000)
    parser.add_argument("--feed", type=int, default=1_000)
    args = parser.parse_args()
    network = load_builtin()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_sources(folder, args.news, args.feed)
        start = time.perf_counter()
        reader = Reader(network)
        built = time.perf_counter() - start
        result = intake([folder], network, reader=reader)
        total = time.perf_counter() - start
        items = args.news + args.feed
        print(
            f"intake: {args.news} news items + {args.feed} feed entries in {total:.1f} s (reader build {built:.2f} s)"
        )
        print(
            f"  {items / total:,.0f} items/s, {len(result.events)} events, {result.items_rejected} items rejected, {len(result.errors)} errors"
        )
        print(f"  target <= 60 s: {'met' if total <= 60 else 'NOT met'}")

        baseline_dir = folder / "baseline"
        baseline_dir.mkdir()
        write_sources(baseline_dir, max(1, args.news // 50), max(1, args.feed // 50))
        params = reader.params
        naive = NaiveReader(
            network, NaiveGazetteer(reader.gazetteer.places, reader.gazetteer.aliases), params
        )
        start = time.perf_counter()
        intake([baseline_dir], network, reader=naive)
        naive_time = (time.perf_counter() - start) * 50
        print(
            f"baseline (no gazetteer index, cue words re-read per item), scaled from a fiftieth: {naive_time:.1f} s"
        )
        print(f"  speed-up: {naive_time / max(total, 1e-9):.1f}x")


if __name__ == "__main__":
    main()
