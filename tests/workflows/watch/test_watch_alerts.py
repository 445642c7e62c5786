"""Costing watched events on the network, the alert threshold, and the alert sinks (a
JSONL file, a webhook on a loopback HTTP server, e-mail to a loopback SMTP server)."""

from __future__ import annotations

import email
import email.policy
import json
import math
from pathlib import Path

import pytest
from watch_alert_helpers import (
    FAR_SEA,
    HttpLog,
    SmtpLog,
    closed_port,
    http_server,
    quake,
    smtp_server,
    water,
)

from chipstress import load_builtin
from chipstress.errors import InvalidInput
from chipstress.model import Network
from chipstress.workflows.hazards import evaluate
from chipstress.workflows.hazards.components import COMPONENTS, component_totals
from chipstress.workflows.watch.alerts import (
    Alert,
    EmailSink,
    FileSink,
    SinkError,
    Threshold,
    WebhookSink,
    alert_id,
    make_alert,
    webhook_name,
)
from chipstress.workflows.watch.costing import (
    RANKING_COLUMNS,
    CostedEvent,
    cost_event,
    cost_events,
    event_record,
    ranking_table,
)


@pytest.fixture(scope="module")
def network() -> Network:
    return load_builtin("tri-cluster")


@pytest.fixture(scope="module")
def ranked(network: Network) -> list[CostedEvent]:
    events = [
        quake("small", magnitude=5.6),
        water("nowhere", "no_such_district"),
        quake("sea", where=FAR_SEA),
        quake("big", magnitude=7.2, text="規模7.2地震襲擊高雄。", language="zh-TW"),
    ]
    return cost_events(events, network)


def _alert(ranked: list[CostedEvent], key: str = "big") -> Alert:
    costed = next(c for c in ranked if c.key == key)
    return make_alert("tri-cluster", costed, "sc-test-run", "2026-12-07T01:02:03+00:00", 1)


# ---------------------------------------------------------------------- costing
def test_events_are_ranked_by_loss_with_failures_last(ranked: list[CostedEvent]) -> None:
    assert [c.key for c in ranked] == ["big", "small", "sea", "nowhere"]
    losses = [c.loss for c in ranked]
    assert losses[0] > losses[1] > 0
    assert ranked[2].loss == 0 and not ranked[2].hits  # far out at sea: no site hit
    assert ranked[3].error is not None and "no_such_district" in ranked[3].error
    assert "\n" not in ranked[3].error


def test_loss_is_the_sum_of_the_components(ranked: list[CostedEvent]) -> None:
    for costed in ranked[:2]:
        parts = sum(costed.components[name] for name in COMPONENTS)
        assert costed.loss == pytest.approx(parts, rel=1e-12)
        assert costed.loss == pytest.approx(costed.components["total_loss"], rel=1e-12)


def test_costing_is_the_hazard_layer_scenario(network: Network) -> None:
    watched = quake("q", magnitude=6.5)
    direct = evaluate([watched.event], network)
    costed = cost_event(watched, network)
    assert costed.loss == pytest.approx(component_totals(direct.components)["total_loss"])
    assert costed.tts == direct.tts
    assert set(costed.sites) == set(direct.sites["site"])
    assert costed.result is not None and costed.result.parameters["event_key"] == "q"


def test_a_bigger_quake_costs_at_least_as_much(network: Network) -> None:
    losses = [cost_event(quake(f"m{m}", magnitude=m), network).loss for m in (5.5, 6.5, 7.5)]
    assert losses == sorted(losses)


def test_ranking_table_and_records(ranked: list[CostedEvent], network: Network) -> None:
    table = ranking_table(ranked, network)
    assert list(table.columns) == RANKING_COLUMNS
    assert list(table["rank"]) == [1, 2, 3, 4]
    assert list(table["key"]) == ["big", "small", "sea", "nowhere"]
    assert table.loc[0, "currency"] == "USD"
    assert "規模7.2地震" in table.loc[0, "evidence"]
    assert table.loc[0, "sites_hit"] == len(ranked[0].sites)
    record = event_record(ranked[0], 1)
    text = json.dumps(record, allow_nan=False, ensure_ascii=False)
    back = json.loads(text)
    assert back["evidence"][0]["language"] == "zh-TW"
    assert {s["node"] for s in back["sites"]} == set(ranked[0].sites)
    assert back["timeline"] and back["timeline"][0]["period"] == 1


# ---------------------------------------------------------------------- threshold
def _fake(
    loss: float, tts: float, sites: tuple[str, ...] = ("a",), error: str | None = None
) -> CostedEvent:
    return CostedEvent(quake("f"), None, loss, {}, tts, math.inf, sites, error)


@pytest.mark.parametrize(
    ("threshold", "event", "expected"),
    [
        (Threshold(), _fake(0.0, math.inf), True),
        (Threshold(), _fake(5.0, 1.0, sites=()), False),
        (Threshold(), _fake(5.0, 1.0, error="bad"), False),
        (Threshold(min_loss=100.0), _fake(100.0, math.inf), True),
        (Threshold(min_loss=100.0), _fake(99.99, math.inf), False),
        (Threshold(max_tts=2.0), _fake(0.0, 2.0), True),
        (Threshold(max_tts=2.0), _fake(1e12, 2.01), False),
        (Threshold(min_loss=1e9, max_tts=5.0), _fake(1.0, 4.0), True),
        (Threshold(min_loss=1e9, max_tts=5.0), _fake(1e9, math.inf), True),
        (Threshold(min_loss=1e9, max_tts=5.0), _fake(1.0, 6.0), False),
    ],
)
def test_threshold(threshold: Threshold, event: CostedEvent, expected: bool) -> None:
    assert threshold.passes(event) is expected


@pytest.mark.parametrize("kwargs", [{"min_loss": -1.0}, {"min_loss": math.nan}, {"max_tts": -0.5}])
def test_bad_threshold(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        Threshold(**kwargs)


def test_alert_ids_are_stable_per_network() -> None:
    assert alert_id("tri-cluster", "k") == alert_id("tri-cluster", "k")
    assert alert_id("tri-cluster", "k") != alert_id("other", "k")
    assert alert_id("tri-cluster", "k").startswith("al-")


def test_alert_round_trip(ranked: list[CostedEvent]) -> None:
    alert = _alert(ranked)
    data = json.loads(json.dumps(alert.to_dict(), allow_nan=False))
    assert Alert.from_dict(data).to_dict() == alert.to_dict()
    forever = make_alert("n", ranked[2], None, "2026-12-07T00:00:00+00:00")
    assert forever.to_dict()["tts"] == "Infinity"
    assert Alert.from_dict(json.loads(json.dumps(forever.to_dict()))).tts == math.inf
    assert data["report"] == "/api/runs/sc-test-run/report"
    assert "規模7.2地震襲擊高雄。" in alert.text()


# ---------------------------------------------------------------------- file sink
def test_file_sink_appends_json_lines(ranked: list[CostedEvent], tmp_path: Path) -> None:
    path = tmp_path / "out" / "alerts.jsonl"
    sink = FileSink(path)
    first, second = _alert(ranked, "big"), _alert(ranked, "small")
    sink.send(first)
    sink.send(second)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [first.to_dict(), second.to_dict()]


def test_file_sink_error_is_one_line(ranked: list[CostedEvent], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SinkError) as caught:
        FileSink(blocker / "alerts.jsonl").send(_alert(ranked))
    assert "\n" not in str(caught.value) and str(blocker) in str(caught.value)


# ---------------------------------------------------------------------- webhook
def test_webhook_retries_with_backoff_until_it_succeeds(ranked: list[CostedEvent]) -> None:
    log = HttpLog(post_statuses=[500, 503])
    slept: list[float] = []
    alert = _alert(ranked)
    with http_server(log) as base:
        WebhookSink(f"{base}/hook", attempts=5, backoff=0.25, sleep=slept.append).send(alert)
    assert len(log.posts) == 3
    assert slept == [0.25, 0.5]
    assert all(path == "/hook" for path, _ in log.posts)
    assert json.loads(log.posts[-1][1]) == alert.to_dict()


def test_webhook_gives_up_after_the_last_attempt(ranked: list[CostedEvent]) -> None:
    log = HttpLog(post_statuses=[502] * 10)
    slept: list[float] = []
    with http_server(log) as base, pytest.raises(SinkError) as caught:
        WebhookSink(f"{base}/hook", attempts=3, backoff=0.1, sleep=slept.append).send(
            _alert(ranked)
        )
    assert len(log.posts) == 3 and slept == [0.1, 0.2]
    message = str(caught.value)
    assert "HTTP 502" in message and "after 3 attempts" in message and "\n" not in message


def test_webhook_does_not_retry_a_refusal(ranked: list[CostedEvent]) -> None:
    log = HttpLog(post_statuses=[404])
    slept: list[float] = []
    with http_server(log) as base, pytest.raises(SinkError, match="HTTP 404"):
        WebhookSink(f"{base}/nope", sleep=slept.append).send(_alert(ranked))
    assert len(log.posts) == 1 and slept == []


def test_unreachable_webhook(ranked: list[CostedEvent]) -> None:
    slept: list[float] = []
    sink = WebhookSink(f"http://127.0.0.1:{closed_port()}/hook", attempts=2, sleep=slept.append)
    with pytest.raises(SinkError) as caught:
        sink.send(_alert(ranked))
    assert "unreachable" in str(caught.value) and "after 2 attempts" in str(caught.value)
    assert slept == [0.5]


@pytest.mark.parametrize("url", ["ftp://example.org/x", "http://", "not a url", "http://h:99999/"])
def test_bad_webhook_url(url: str) -> None:
    with pytest.raises(InvalidInput, match="bad webhook URL"):
        WebhookSink(url)


def test_backoff_is_bounded() -> None:
    sink = WebhookSink("http://127.0.0.1:9/x", attempts=7, backoff=1.0, max_delay=4.0)
    assert sink.delays() == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    with pytest.raises(InvalidInput):
        WebhookSink("http://127.0.0.1:9/x", attempts=0)


def test_webhook_name_hides_the_token() -> None:
    name = webhook_name("https://hooks.example.org/services/SECRET-TOKEN?key=abc")
    assert "SECRET" not in name and "abc" not in name
    assert name.startswith("webhook:https://hooks.example.org#")


# ---------------------------------------------------------------------- e-mail
def test_email_reaches_the_smtp_server(ranked: list[CostedEvent]) -> None:
    log = SmtpLog()
    alert = _alert(ranked)
    with smtp_server(log) as (host, port):
        EmailSink(host, port, "watch@example.test", ["ops@example.test", "b@example.test"]).send(
            alert
        )
    assert len(log.messages) == 1
    sender, rcpts, raw = log.messages[0]
    assert sender == "<watch@example.test>"
    assert rcpts == ["<ops@example.test>", "<b@example.test>"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(message["Subject"]).strip().startswith("[chipstress] earthquake at kaohsiung")
    assert message["X-Chipstress-Alert"] == alert.alert_id
    body = message.get_content()
    assert "規模7.2地震襲擊高雄。" in body and "sc-test-run" in body


def test_smtp_server_refuses(ranked: list[CostedEvent]) -> None:
    refusing = smtp_server(SmtpLog(greeting="554 no service here"))
    with refusing as (host, port), pytest.raises(SinkError) as caught:
        EmailSink(host, port, "w@example.test", ["o@example.test"]).send(_alert(ranked))
    assert "554" in str(caught.value) and "\n" not in str(caught.value)


def test_smtp_recipient_refused(ranked: list[CostedEvent]) -> None:
    log = SmtpLog(refuse_rcpt=True)
    with smtp_server(log) as (host, port), pytest.raises(SinkError, match="recipients refused"):
        EmailSink(host, port, "w@example.test", ["o@example.test"]).send(_alert(ranked))
    assert log.messages == []


def test_smtp_unreachable(ranked: list[CostedEvent]) -> None:
    sink = EmailSink("127.0.0.1", closed_port(), "w@example.test", ["o@example.test"], timeout=5)
    with pytest.raises(SinkError, match="unreachable"):
        sink.send(_alert(ranked))


@pytest.mark.parametrize(
    ("sender", "to", "port"),
    [("w@example.test", [], 25), ("nobody", ["o@example.test"], 25), ("w@x.test", ["a b@x"], 25),
     ("w@example.test", ["o@example.test"], 0)],
)  # fmt: skip
def test_bad_email_settings(sender: str, to: list[str], port: int) -> None:
    with pytest.raises(InvalidInput):
        EmailSink("127.0.0.1", port, sender, to)
