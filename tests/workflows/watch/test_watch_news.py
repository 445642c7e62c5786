"""News reading: languages, HTML boilerplate, dates, severities, places, rejections."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from chipstress.errors import InvalidInput
from chipstress.model.builtin import load_builtin
from chipstress.workflows.hazards.events import (
    Closure,
    Duration,
    Earthquake,
    ExportControl,
    PowerOutage,
    SiteIncident,
    Storm,
    WaterRestriction,
)
from chipstress.workflows.watch.classify import (
    Reader,
    find_duration,
    find_intensity,
    find_magnitude,
    find_percent,
    split_sentences,
)
from chipstress.workflows.watch.dates import find_dates, parse_timestamp
from chipstress.workflows.watch.gazetteer import Gazetteer, build_trie_pattern
from chipstress.workflows.watch.news import detect_language, html_items, text_items

NEWS = Path(__file__).resolve().parents[2] / "fixtures" / "watch" / "news"
MARCH_2 = date(2026, 3, 2)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(load_builtin())


# ----------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("民國115年3月2日起", "zh-TW", date(2026, 3, 2)),
        ("民国115年3月2日", "zh-CN", date(2026, 3, 2)),
        ("115年3月2日公告", "zh-TW", date(2026, 3, 2)),
        ("115/03/02 公告", "zh-TW", date(2026, 3, 2)),
        ("令和8年3月2日", "ja", date(2026, 3, 2)),
        ("令和元年5月1日", "ja", date(2019, 5, 1)),
        ("平成28年4月14日", "ja", date(2016, 4, 14)),
        ("2026年3月2日", "ja", date(2026, 3, 2)),
        ("on 2026-03-02.", "en", date(2026, 3, 2)),
        ("March 2, 2026", "en", date(2026, 3, 2)),
        ("2 March 2026", "en", date(2026, 3, 2)),
        ("on Feb. 27", "en", date(2026, 2, 27)),
        ("3月1日下午", "zh-TW", date(2026, 3, 1)),
        ("12月30日", "ja", date(2025, 12, 30)),  # written in March: last December
    ],
)
def test_find_dates(text: str, language: str, expected: date) -> None:
    assert find_dates(text, MARCH_2, language) == [expected]


def test_find_dates_skips_invalid_and_yearless_without_reference() -> None:
    assert find_dates("2026年2月30日", MARCH_2, "ja") == []
    assert find_dates("3月1日", None, "ja") == []
    # a bare 115年 is a ROC year only in zh-TW text
    assert find_dates("115年3月2日", MARCH_2, "ja") == []


def test_parse_timestamp_makes_utc() -> None:
    assert parse_timestamp("2026-03-02T08:00:00+08:00") == datetime(2026, 3, 2, tzinfo=UTC)
    assert parse_timestamp("2026-03-02") == datetime(2026, 3, 2, tzinfo=UTC)
    assert parse_timestamp("yesterday") is None


# ------------------------------------------------------------- severity
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("M6.4 quake", 6.4),
        ("規模6.1地震", 6.1),
        ("マグニチュード6.5の地震", 6.5),
        ("发生6.2级地震", 6.2),
        ("a magnitude-5.9 quake", 5.9),
        ("depth 10 km", None),
    ],
)
def test_find_magnitude(text: str, value: float | None) -> None:
    assert find_magnitude(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("震度6弱を観測", "6-"),
        ("震度5強", "5+"),
        ("最大震度4級", "4"),
        ("intensity 6-lower", "6-"),
        ("震度3、震度5弱", "5-"),
        ("no shaking", None),
    ],
)
def test_find_intensity(text: str, value: str | None) -> None:
    assert find_intensity(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("for five hours", Duration(5, "hour")),
        ("停電持續4小時", Duration(4, "hour")),
        ("停工三天", Duration(3, "day")),
        ("2日間停止", Duration(2, "day")),
        ("復旧には1か月", Duration(1, "month")),
        ("for 40 minutes", Duration(0.667, "hour")),
        ("十二天", Duration(12, "day")),
        ("two days ago", None),
        ("3月2日", None),
    ],
)
def test_find_duration(text: str, value: Duration | None) -> None:
    assert find_duration(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("工業用水減供11%", 0.11),
        ("cut supply to 30% of households", 0.3),
        ("約三成用戶受影響", 0.3),
        ("約3割の世帯", 0.3),
        ("蓄水率20%", None),
    ],
)
def test_find_percent(text: str, value: float | None) -> None:
    assert find_percent(text) == pytest.approx(value) if value else find_percent(text) is None


# ------------------------------------------------------------ languages
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("熊本県で地震があった", "ja"),
        ("臺灣高雄發生停電", "zh-TW"),
        ("台湾高雄发生停电", "zh-CN"),
        ("A blackout hit Kaohsiung", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_split_sentences() -> None:
    assert split_sentences("地震。停電！Power cut. Then rain\nnext") == [
        "地震。",
        "停電！",
        "Power cut.",
        "Then rain",
        "next",
    ]


# ------------------------------------------------------------ gazetteer
def test_trie_pattern_prefers_longest() -> None:
    import re

    pattern = re.compile(build_trie_pattern(["高雄", "高雄港", "高"]))
    assert pattern.findall("高雄港與高雄") == ["高雄港", "高雄"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("高雄", "kaohsiung"),
        ("Kaohsiung", "kaohsiung"),
        ("熊本", "kumamoto"),
        ("くまもと", "kumamoto"),
        ("Kumamoto", "kumamoto"),
        ("菊陽町", "kikuyo"),
        ("Kikuyo", "kikuyo"),
        ("鳳凰城", "phoenix"),
        ("凤凰城", "phoenix"),
        ("Phoenix", "phoenix"),
        ("新竹", "hsinchu"),
        ("Hsinchu", "hsinchu"),
        ("南科", "stsp"),
        ("Southern Taiwan Science Park", "stsp"),
        ("高雄港", "port_kaohsiung"),
        ("桃園機場", "airport_tpe"),
        ("台积电晶圆十八厂", "tsmc_fab18"),
        ("信越化学工業の直江津工場", "shinetsu_naoetsu_resist"),
    ],
)
def test_gazetteer_aliases_in_four_scripts(reader: Reader, text: str, key: str) -> None:
    mentions = reader.gazetteer.find(f"今天{text}。")
    assert mentions and key in [p.key for p in mentions[0].places]


def test_gazetteer_latin_needs_word_boundaries(reader: Reader) -> None:
    assert reader.gazetteer.find("Asos and Kaohsiungese") == []


def test_gazetteer_bad_places_file(tmp_path: Path) -> None:
    bad = tmp_path / "places.yaml"
    bad.write_text("places:\n  x: {kind: city, lat: north}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"places\.x: needs numeric 'lat' and 'lon'"):
        Gazetteer.build(load_builtin(), places_path=bad)
    with pytest.raises(InvalidInput, match="cannot read"):
        Gazetteer.build(load_builtin(), places_path=tmp_path / "missing.yaml")


# -------------------------------------------------------------- readers
def _one(reader: Reader, title: str, body: str = "", language: str = "en") -> object:
    readings, _ = reader.read(title, body, language, MARCH_2)
    assert len({type(r.event) for r in readings}) == 1, readings
    return readings[0].event


def test_each_hazard_type_becomes_its_event(reader: Reader) -> None:
    quake = _one(reader, "M6.4 earthquake off Hualien at a depth of 15 km")
    assert isinstance(quake, Earthquake) and (quake.magnitude, quake.depth_km) == (6.4, 15.0)
    water = _one(reader, "新竹水情轉橙燈 工業用水減供11%", language="zh-TW")
    assert isinstance(water, WaterRestriction) and (water.district, water.level) == (
        "hsinchu",
        "orange",
    )
    power = _one(reader, "A power outage in Kaohsiung cut supply to 30% of households for 5 hours")
    assert power == PowerOutage(
        "kaohsiung", Duration(5, "hour"), 0.3, name="power outage kaohsiung"
    )
    storm = _one(reader, "颱風凱米登陸高雄", language="zh-TW")
    assert (
        isinstance(storm, Storm) and storm.hazard == "typhoon" and storm.track == ((22.63, 120.3),)
    )
    fire = _one(reader, "A fire broke out at TSMC Fab 14 on Monday")
    assert fire == SiteIncident("fire", "tsmc_fab14", name="fire at tsmc_fab14")
    port = _one(reader, "高雄港碼頭工人罷工，停工三天", language="zh-TW")
    assert port == Closure(
        "port_closure", ("port_kaohsiung",), Duration(3, "day"), name="port_closure port_kaohsiung"
    )
    export = _one(reader, "中國商務部宣布對氖氣實施出口管制", language="zh-TW")
    assert isinstance(export, ExportControl) and (export.country, export.material) == (
        "China",
        "neon",
    )


def test_intensity_only_report_uses_estimated_magnitude(reader: Reader) -> None:
    quake = _one(reader, "菊陽町で震度6弱を観測する地震があった", language="ja")
    assert isinstance(quake, Earthquake) and quake.magnitude == 6.2


@pytest.mark.parametrize(
    ("title", "body", "language"),
    [
        ("Earthquake drill at Hsinchu Science Park", "A magnitude 7 quake was simulated.", "en"),
        ("熊本で避難訓練", "震度6強の地震を想定した。", "ja"),
        ("竹科防災演練", "模擬規模7地震。", "zh-TW"),
        ("TSMC breaks ground in Kaohsiung", "", "en"),
        ("Delegation visits Kumamoto", "", "en"),
        ("台積電投資高雄", "", "zh-TW"),
        ("Phoenix park fountain back on", "The fountain runs on recycled water again.", "en"),
        (
            "Typhoon far out at sea",
            "The typhoon is far out at sea and poses no direct threat to Taiwan.",
            "en",
        ),
        ("921地震25週年", "", "zh-TW"),
        ("TSMC denies fire at Fab 12", "", "en"),
    ],
)
def test_non_disruptions_are_rejected(reader: Reader, title: str, body: str, language: str) -> None:
    readings, _ = reader.read(title, body, language, MARCH_2)
    assert readings == []


def test_old_dates_mean_history(reader: Reader) -> None:
    readings, _ = reader.read("2016年4月14日、熊本でM6.5の地震があった", "", "ja", MARCH_2)
    assert readings == []


def test_multi_event_item(reader: Reader) -> None:
    readings, _ = reader.read(
        "Typhoon makes landfall in Kaohsiung",
        "Typhoon Kaemi made landfall near Kaohsiung. The Port of Kaohsiung closed for two days.",
        "en",
        MARCH_2,
    )
    kinds = {type(r.event).__name__ for r in readings}
    assert kinds == {"Storm", "Closure"}


def test_incident_needs_a_site(reader: Reader) -> None:
    readings, _ = reader.read("A fire broke out in Tainan", "", "en", MARCH_2)
    assert readings == []


# ----------------------------------------------------------------- html
def test_html_story_without_boilerplate_and_sidebar_as_items() -> None:
    items = html_items((NEWS / "kaohsiung_blackout.html").read_text(encoding="utf-8"), "page")
    story, *headlines = items
    assert story.title == "Blackout hits Kaohsiung"
    assert story.published == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    assert "Home" not in story.body and "Privacy" not in story.body
    assert "Fire breaks out" not in story.body
    assert story.body.count("A power outage in Kaohsiung") == 1  # repeated paragraph once
    assert "Blackout hits Kaohsiung" not in story.body  # repeated title dropped
    assert all(h.headline_only and h.body == "" for h in headlines)
    assert [h.title for h in headlines][:2] == [
        "Fire breaks out at TSMC Fab 14 in Tainan",
        "Earthquake drill held at Hsinchu Science Park",
    ]
    assert len(headlines) == 6


def test_headline_items_read_with_less_confidence(reader: Reader) -> None:
    full, _ = reader.read("A fire broke out at TSMC Fab 14", "", "en", MARCH_2)
    bare, _ = reader.read("A fire broke out at TSMC Fab 14", "", "en", MARCH_2, headline_only=True)
    assert bare[0].confidence < full[0].confidence


def test_text_items_split_on_rules() -> None:
    items = text_items((NEWS / "kumamoto_quake.txt").read_text(encoding="utf-8"), "t.txt")
    assert [i.title for i in items] == ["date: 2026-03-01T13:00:00Z", "熊本で避難訓練"]
    assert items[1].language == "ja" and items[1].item_id == "t.txt#1"


# ------------------------------------------------------- language rules
@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("The utility said it did not expect outages in Phoenix.", "en"),
        ("Longshoremen voted for the contract, averting a strike at the Port of Long Beach.", "en"),
        ("台南水庫蓄水率偏低，但目前暫不限水。", "zh-TW"),
        ("九州電力は熊本で計画停電は実施しない方針を示した。", "ja"),
        ("颱風預計不會登陸台灣，但南部仍須注意豪雨。", "zh-TW"),
        ("熊本市では大雨が続き、白川が氾濫危険水位に達した。", "ja"),
        ("高雄一處化工廠發生氣爆，台積電表示台積電高雄廠未受影響。", "zh-TW"),
        ("The 2016 quakes, of magnitude 6.5 and 7.3, stopped the Kumamoto plant for weeks.", "en"),
        ("Officials will review whether to impose water rationing in Hsinchu.", "en"),
    ],
)
def test_negations_warnings_and_history_are_not_events(
    reader: Reader, title: str, language: str
) -> None:
    readings, _ = reader.read(title, "", language, MARCH_2)
    assert readings == []


def test_strongest_since_a_past_year_is_still_news(reader: Reader) -> None:
    readings, _ = reader.read(
        "The M6.2 quake near Tainan was the strongest since 1999.", "", "en", MARCH_2
    )
    assert [type(r.event).__name__ for r in readings] == ["Earthquake"]


def test_the_narrower_of_two_adjacent_names_wins(reader: Reader) -> None:
    quake = _one(reader, "熊本県阿蘇地方を震源とするマグニチュード5.5の地震", language="ja")
    assert isinstance(quake, Earthquake) and quake.name.endswith("aso")
    outage = _one(reader, "熊本県菊陽町で停電が発生し、約2時間続いた。", language="ja")
    assert isinstance(outage, PowerOutage) and outage.duration == Duration(2, "hour")
    readings, _ = reader.read("熊本県菊陽町で停電が発生し、約2時間続いた。", "", "ja", MARCH_2)
    assert readings[0].places[0] == "kumamoto" and "kikuyo" in readings[0].places


def test_export_control_written_around_the_material(reader: Reader) -> None:
    for text, language, country in [
        ("日本經產省宣布限制光阻劑出口至南韓。", "zh-TW", "Japan"),
        ("中国政府はネオンの輸出を禁止すると発表した。", "ja", "China"),
        ("China said it would restrict exports of polysilicon.", "en", "China"),
    ]:
        event = _one(reader, text, language=language)
        assert isinstance(event, ExportControl) and event.country == country


# ------------------------------------------ what a cue says happened (modality.py)
@pytest.mark.parametrize(
    ("title", "body", "language"),
    [
        # only possible, feared or conditional
        ("Farmers said a dry winter could lead to water restrictions in Kumamoto.", "", "en"),
        ("Dockworkers at the Port of Long Beach said they could strike next month.", "", "en"),
        ("Phoenix said a Tier 3 shortage could come in 2027 if the drought continues.", "", "en"),
        (
            "Utilities say rolling blackouts in Phoenix are unlikely but cannot be ruled out.",
            "",
            "en",
        ),
        ("石門水庫蓄水率跌破三成 桃園下月恐限水", "", "zh-TW"),
        ("八代港の労組は、交渉が決裂すれば来週にもストライキに入る可能性がある。", "", "ja"),
        ("熊本では将来の取水制限を懸念する声もある。", "", "ja"),
        ("Neon prices rose on speculation that China could restrict exports of neon.", "", "en"),
        # the end of a disruption, named only as what a recovery followed
        ("Chip output in Hsinchu back to normal after Tuesday outage", "", "en"),
        ("JASM restarted all lines in Kikuyo a week after a magnitude 6.0 earthquake.", "", "ja"),
        ("美光表示,台中厂在上周停电后已全面恢复生产。", "", "zh-CN"),
        (
            "先週の停電で生産を停止していたルネサスの那珂工場は、全ラインの生産を再開した。",
            "",
            "ja",
        ),
        # conceded, denied, cancelled or in the past
        ("TSMC says Q3 outlook intact despite Kumamoto quake", "", "en"),
        (
            "Phoenix utilities set demand records, but there were no outages; 尚未出現停電。",
            "",
            "en",
        ),
        ("九州電力表示，明年夏季電力供應充足，無需實施計畫停電。", "", "zh-TW"),
        ("八代港の労組は賃上げで合意し、予定していたストライキを中止した。", "", "ja"),
        (
            "Analysts said the Port of Taichung, shut by a strike last year, is running normally.",
            "",
            "en",
        ),
        ("In 2020, a transformer fire near Chandler cut power to thousands.", "", "en"),
        ("那珂工場の火災から5年", "", "ja"),
        (
            "A month after the magnitude 6.4 quake off Hualien, chipmakers put losses at $90m.",
            "",
            "en",
        ),
        ("Kaohsiung port workers end two-day strike", "", "en"),
        # a warning lifted, a demand cut, a forum
        ("颱風中心已遠離台灣，氣象署解除陸上颱風警報。", "", "zh-TW"),
        ("APS asked customers in Phoenix to cut power use at peak hours.", "", "en"),
        ("晶片業界年度論壇 聚焦供應鏈韌性", "熊本近年地下水位下降，日本政府已要求節水。", "zh-TW"),
    ],
)
def test_cues_not_reported_as_happening_now_are_not_events(
    reader: Reader, title: str, body: str, language: str
) -> None:
    readings, _ = reader.read(title, body, language, MARCH_2)
    assert readings == []


@pytest.mark.parametrize(
    ("title", "language", "kind"),
    [
        # the same words, said to happen: each is still read
        ("Dockworkers at the Port of Long Beach went on strike on Monday.", "en", Closure),
        ("Phoenix moved to a Tier 3 shortage on Monday.", "en", WaterRestriction),
        ("新竹下月起限水，實施減壓供水。", "zh-TW", WaterRestriction),
        ("A power outage hit Hsinchu; power was restored after three hours.", "en", PowerOutage),
        ("China said it would restrict exports of neon.", "en", ExportControl),
        (
            "Taiwan's Water Resources Agency said Taichung would move to an orange alert.",
            "en",
            WaterRestriction,
        ),
    ],
)
def test_same_cues_said_to_happen_are_events(
    reader: Reader, title: str, language: str, kind: type
) -> None:
    readings, _ = reader.read(title, "", language, MARCH_2)
    assert [type(r.event) for r in readings] == [kind]


def test_a_clause_that_reopened_does_not_cancel_another_closure(reader: Reader) -> None:
    readings, _ = reader.read(
        "Keelung and Taipei ports reopened on Friday, but the Port of Kaohsiung remained "
        "closed because of high waves.",
        "",
        "en",
        MARCH_2,
    )
    assert [r.places[0] for r in readings] == ["port_kaohsiung"]
    readings, _ = reader.read("福岡空港で滑走路閉鎖、熊本空港に影響なし", "", "ja", MARCH_2)
    assert readings == []


def test_incident_site_said_unharmed_in_another_sentence(reader: Reader) -> None:
    body = "The company said production at TSMC Fab 14 was not affected."
    readings, _ = reader.read("Small fire at TSMC Fab 14", body, "en", MARCH_2)
    assert readings == []
    readings, _ = reader.read("Small fire at TSMC Fab 14", "Two lines were halted.", "en", MARCH_2)
    assert [type(r.event) for r in readings] == [SiteIncident]


def test_incident_site_must_be_named_near_its_cue(reader: Reader) -> None:
    far = (
        "A fire broke out at a warehouse in a distant port city on Tuesday evening, and "
        "analysts said it would not affect TSMC Fab 14."
    )
    assert reader.read(far, "", "en", MARCH_2)[0] == []
    assert len(reader.read("A fire broke out at TSMC Fab 14.", "", "en", MARCH_2)[0]) == 1


def test_hazard_first_named_deep_in_a_long_story_needs_its_own_place(reader: Reader) -> None:
    body = (
        "TSMC shares rose on Monday. Analysts raised targets. Demand for AI chips is strong. "
        "Kaohsiung officials met investors. Power was cut for hours."
    )
    assert reader.read("Chip stocks rally in Kaohsiung", body, "en", MARCH_2)[0] == []
    # the same sentence in the lead takes its place from the headline
    body = "Power was cut for hours. TSMC shares rose on Monday."
    readings, _ = reader.read("Chip stocks rally in Kaohsiung", body, "en", MARCH_2)
    assert [type(r.event) for r in readings] == [PowerOutage]


def test_find_years_reads_a_year_before_a_comma() -> None:
    from chipstress.workflows.watch.dates import find_years

    assert find_years("In 2020, a fire cut power.") == [2020]
    assert find_years("about 2,020 homes") == []


def test_questions_and_considered_measures_are_not_events(reader: Reader) -> None:
    for text in (
        "Water restrictions in Kaohsiung? Not yet, says agency",
        "China is considering export curbs on neon, people familiar with the matter said.",
    ):
        assert reader.read(text, "", "en", MARCH_2)[0] == []
    assert len(reader.read("Water restrictions in Kaohsiung from Monday", "", "en", MARCH_2)[0])


def test_the_body_decides_what_the_headline_names(reader: Reader) -> None:
    # the body names the attack only as what systems came back from: not a new one
    body = "A week after a ransomware attack, Unimicron said most systems were back online."
    assert reader.read("Ransomware at Unimicron: week two", body, "en", MARCH_2)[0] == []
    # a body that says it happened keeps it; a body that does not name it keeps it too
    body = "A ransomware attack halted lines at Unimicron's Taoyuan plant on Monday."
    assert len(reader.read("Ransomware at Unimicron", body, "en", MARCH_2)[0]) >= 1
    body = "Shares fell 3% on Tuesday."
    assert len(reader.read("Ransomware hits Unimicron", body, "en", MARCH_2)[0]) == 1


def test_company_and_place_name_a_site(reader: Reader) -> None:
    text = "An explosion at a storage tank at Merck's chemical site in Kaohsiung injured three."
    event = _one(reader, text)
    assert isinstance(event, SiteIncident) and event.node == "merck_kaohsiung"
    # two sites of one company in one city: not resolved (precision first)
    assert reader.read("A fire broke out at TSMC's Tainan fab.", "", "en", MARCH_2)[0] == []
    event = _one(reader, "Kaohsiung's port and airport shut down on Thursday.")
    assert isinstance(event, Closure) and event.nodes == ("port_kaohsiung",)


def test_find_years_skips_counts() -> None:
    from chipstress.workflows.watch.dates import find_years

    assert find_years("約2000戸で断水した") == []
    assert find_years("2000 homes lost power") == []
    assert find_years("2016年の地震") == [2016]
