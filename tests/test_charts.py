"""The trend chart: small multiples a supervisor can read at a glance, and the sentence beside it."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from heat.reports import charts
from heat.reports.charts import ChartMove, ChartVisit, axis_labels, trend_summary, trend_svg, trend_svg_rows

TITLES = [
    "General condition and hygiene",
    "Kitchen and food",
    "Bathroom and bathing",
    "Sleep",
    "Safety hazards",
    "Warmth, space and stimulation",
    "Outside space",
    "Carer response",
]
SCALE = {1: "1 Good", 2: "2 Adequate", 3: "3 Some concern", 4: "4 Serious", 5: "5 Dangerous"}
VISITS = [
    ChartVisit("5 Aug 26", "green", 1.1, (1, 1, 1, 1, 1, 1, None, 2)),
    ChartVisit("5 Sep 26", "amber", 1.6, (2, 3, 1, 1, 1, 2, None, 2)),
    ChartVisit("5 Oct 26", "incomplete", None, (3, None, 1, 2, 1, 2, None, 3)),
    ChartVisit("5 Nov 26", "red", 2.2, (3, 3, 2, 2, 2, 2, None, 4)),
]


def svg():
    return BeautifulSoup(trend_svg(VISITS, TITLES, SCALE, described_by="heat-trend-summary"), "html.parser").svg


def test_one_small_chart_per_area_with_its_full_name_after_the_average():
    texts = [t.get_text() for t in svg().find_all("text")]
    assert texts[0] == "Average and worst grade (higher is worse)"
    for title in TITLES:
        assert title in texts  # never cut short
    lines = svg().find_all("polyline")
    assert len(lines) == 2 + 7  # the average, the worst grade anywhere, and every area graded twice or more


def test_areas_differ_by_line_style_and_marker_as_well_as_colour():
    styles = {(charts.DOMAIN_COLOURS[d], charts.DASHES[d], charts.SHAPES[d], charts.FILLED[d]) for d in range(8)}
    assert len(styles) == 8
    assert len({(charts.DASHES[d], charts.SHAPES[d], charts.FILLED[d]) for d in range(8)}) == 8  # without colour


def test_chart_text_is_at_least_12_px_on_a_768_px_tablet():
    content = 768 - 2 * 30  # GOV.UK page margins at tablet width
    assert charts.FONT * min(content, 760) / charts.WIDTH >= 12
    sizes = [int(t["font-size"]) for t in svg().find_all("text") if t.get("font-size")]
    assert all(size * content / charts.WIDTH >= 9.5 for size in sizes)  # only the rating letters are smaller


def test_the_chart_is_described_and_incomplete_visits_have_no_average_point():
    chart = svg()
    assert chart["role"] == "img" and chart["aria-describedby"] == "heat-trend-summary"
    average_points = [c for c in chart.find_all("circle") if c.get("r") == "4"]
    assert len(average_points) == 3  # four visits, one of them Incomplete
    assert "I Incomplete (square)" in chart.get_text()


def test_the_summary_says_what_the_chart_shows():
    sentence = trend_summary(VISITS, TITLES, SCALE)
    assert sentence == (
        "The average worsened from 1.1 to 2.2 over 4 visits; Carer response reached 4 Serious at the latest visit; "
        "1 visit was Incomplete: not everything was seen."
    )
    assert re.match(r"^The average was 1\.1", trend_summary(VISITS[:1], TITLES, SCALE))


def test_a_4_never_hides_in_a_flat_average():
    """Beside the average, the worst grade in any area at each visit: a 4 shows as a 4."""
    chart = svg()
    worst = [line for line in chart.find_all("polyline") if line["stroke"] == charts.WORST]
    assert len(worst) == 1
    heights = [float(point.split(",")[1]) for point in worst[0]["points"].split()]
    average_panel_4 = charts._Panel(0, len(VISITS)).y(4)
    assert heights[-1] == pytest.approx(average_panel_4)  # the latest visit's Carer response 4


@pytest.mark.parametrize(
    "count, width, expected",
    [
        # Four visits fit side by side: every date.
        (4, 296, ["5 Aug 26", "5 Sep 26", "5 Oct 26", "5 Nov 26"]),
        # Twelve visits, two a month, in a narrow panel: the month at its first visit, never overlapping.
        (12, 296, ["Aug 26", "Oct 26", "Nov 26", "Dec 26", "Jan 26"]),
    ],
)
def test_the_axis_names_every_visit_or_every_month_when_they_crowd(count, width, expected):
    months = ["Aug", "Sep", "Oct", "Nov", "Dec", "Jan"]
    visits = [ChartVisit(f"{5 + 10 * (i % 2)} {months[i // 2]} 26", "green", 1.0, ()) for i in range(count)]
    if count == 4:
        visits = VISITS
    labels = axis_labels(visits, width)
    assert [words for _, words in labels] == expected
    step = width / (count - 1)
    spans = [(i * step - len(w) * charts.CHAR_W / 2, i * step + len(w) * charts.CHAR_W / 2) for i, w in labels]
    assert all(a[1] <= b[0] for a, b in zip(spans[1:-1], spans[2:-1], strict=False))


def test_moves_plan_starts_and_step_downs_are_lines_named_in_the_key_never_over_the_plot():
    marks = (
        ChartMove(0.5, "Moved 20 Aug 26", "20 August 2026", "Temporary accommodation"),
        ChartMove(1.5, "Child Protection plan 20 Sep 26", "20 September 2026", "Child Protection plan", "plan"),
        ChartMove(2.5, "Child in Need plan 20 Oct 26", "20 October 2026", "Child in Need plan", "step_down"),
    )
    chart = BeautifulSoup(trend_svg(VISITS, TITLES, SCALE, moves=marks), "html.parser").svg
    for kind, style in charts.EVENT_STYLES.items():
        lines = chart.find_all("line", attrs={"stroke-dasharray": style.dash, "stroke": style.colour})
        assert len(lines) == 1 + len(TITLES), kind  # across every panel
    key_top = max(float(t["y"]) for t in chart.find_all("text")) - 20 * len(marks) - 60
    for mark in marks:
        (named,) = [t for t in chart.find_all("text") if mark.label in t.get_text()]
        assert float(named["y"]) > key_top  # in the key below the panels, never on a plot
    sentence = trend_summary(VISITS, TITLES, SCALE, marks)
    assert "The family moved home on 20 August 2026 (Temporary accommodation)." in sentence
    assert "The plan changed on 20 September 2026 (Child Protection plan), 20 October 2026 (stepped down to" in sentence


def test_the_printed_chart_is_one_svg_per_row_of_panels_and_one_for_the_key():
    pieces = trend_svg_rows(VISITS, TITLES, SCALE)
    rows = (1 + len(TITLES) + charts.COLUMNS - 1) // charts.COLUMNS
    assert len(pieces) == rows + 1
    texts = [t.get_text() for piece in pieces for t in BeautifulSoup(piece, "html.parser").find_all("text")]
    single = [t.get_text() for t in svg().find_all("text")]
    assert texts == single  # the same drawing, cut between rows
