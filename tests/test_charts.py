"""The trend chart: small multiples a supervisor can read at a glance, and the sentence beside it."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from heat.reports import charts
from heat.reports.charts import ChartVisit, trend_summary, trend_svg

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
    assert texts[0] == "Average grade (higher is worse)"
    for title in TITLES:
        assert title in texts  # never cut short
    lines = svg().find_all("polyline")
    assert len(lines) == 1 + 7  # the average, and every area graded at two visits or more


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
