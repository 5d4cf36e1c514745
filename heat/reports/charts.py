"""Trend charts as inline SVG strings: no JavaScript, fine under a strict CSP, the same markup in
the page and the PDF.

Small multiples: one small chart per area, each with its full name and the same grade axis (worse
is higher up), after one for the average grade with each visit's rating marked by colour, shape
and a letter. Each area has its own colour, line style and marker shape, so no two differ by
colour alone. A visit with no average (something that must be seen was not) has no point on the
average's chart, never a lower one. `trend_summary` says in one sentence what the chart shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from heat.checklist.vocabulary import INCOMPLETE, RATINGS

COLUMNS = 2
WIDTH = 720  # drawn about 1:1 in a 768 px page, so 13 px text stays at least 12 px there
PANEL_W, PANEL_H = 340, 168
GAP_X, GAP_Y = 40, 26
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 30, 14, 34, 30
FONT = 13
DOMAIN_COLOURS = ["#1d70b8", "#4c2c92", "#003078", "#00703c", "#b58840", "#5694ca", "#912b88", "#85994b"]
DASHES = ["", "7 4", "2 4", "10 4 2 4", "4 2", "12 3", "1 3", "6 2 2 2"]
SHAPES = ["circle", "square", "diamond", "triangle", "circle", "square", "diamond", "triangle"]
FILLED = [True, True, True, True, False, False, False, False]  # the second four are drawn hollow
INK, GREY, LINES = "#0b0c0c", "#505a5f", "#b1b4b6"
WORST = "#d4351c"  # the worst grade anywhere at a visit, beside the average: red, dashed, hollow triangles
CHAR_W = 7.2  # about how wide a character of 13 px sans-serif is, to keep axis labels apart


@dataclass(frozen=True)
class ChartVisit:
    label: str
    rating: str
    mean: float | None
    domain_worst: tuple[int | None, ...]


@dataclass(frozen=True)
class EventStyle:
    colour: str
    dash: str
    key: str  # how the key names the line


# What can happen between visits, each drawn as its own kind of line across every panel.
EVENT_STYLES = {
    "move": EventStyle("#6f3b00", "5 3", "Dashed brown line: the family moved home"),
    "plan": EventStyle("#28a197", "2 3", "Dotted green line: a plan started or went up"),
    "step_down": EventStyle("#d53880", "9 3 2 3", "Dash-dot pink line: a step-down to a lower plan"),
}


@dataclass(frozen=True)
class ChartMove:
    """A move of home, a plan starting or a step-down, drawn as a line at `position` (in visits:
    1.5 is between the second and third visit) and named with its date in the key, never over a
    line of the chart."""

    position: float
    label: str  # short, in the key: "Moved 3 Mar 26", "Child Protection plan 5 Jan 26"
    date: str  # in words, for the sentence: "3 March 2026"
    kind: str  # the kind of the new home, or the plan
    event: str = "move"  # EVENT_STYLES


def _marker(shape: str, x: float, y: float, colour: str, size: float = 8, filled: bool = True) -> str:
    paint = f'fill="{colour}"' if filled else f'fill="#ffffff" stroke="{colour}" stroke-width="2"'
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - size:.1f} {x + size:.1f},{y + size * 0.75:.1f} '
            f'{x - size:.1f},{y + size * 0.75:.1f}" {paint}/>'
        )
    if shape == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - size:.1f} {x + size:.1f},{y:.1f} {x:.1f},{y + size:.1f} '
            f'{x - size:.1f},{y:.1f}" {paint}/>'
        )
    if shape == "square":
        side = size * 1.75
        return f'<rect x="{x - side / 2:.1f}" y="{y - side / 2:.1f}" width="{side:.1f}" height="{side:.1f}" {paint}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size * 0.9:.1f}" {paint}/>'


class _Panel:
    """One small chart: a title, grades 1 to 5 up the side, the visits along the bottom."""

    def __init__(self, index: int, count: int):
        column, row = index % COLUMNS, index // COLUMNS
        self.left = column * (PANEL_W + GAP_X)
        self.top = 8 + row * (PANEL_H + GAP_Y)
        self.count = count
        self.plot_w = PANEL_W - PLOT_LEFT - PLOT_RIGHT
        self.plot_h = PANEL_H - PLOT_TOP - PLOT_BOTTOM

    def x(self, i: float) -> float:
        start = self.left + PLOT_LEFT
        return start + (self.plot_w / 2 if self.count == 1 else self.plot_w * i / (self.count - 1))

    def y(self, grade: float) -> float:
        return self.top + PLOT_TOP + self.plot_h * (5 - grade) / 4

    def frame(self, title: str, visits: list[ChartVisit]) -> list[str]:
        parts = [f'<text x="{self.left}" y="{self.top + 14}" font-weight="bold" fill="{INK}">{escape(title)}</text>']
        for grade in range(1, 6):
            y = self.y(grade)
            parts.append(
                f'<line x1="{self.left + PLOT_LEFT}" x2="{self.left + PANEL_W - PLOT_RIGHT}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="{LINES}" stroke-width="1"/>'
            )
            parts.append(self.text(self.left + 12, y + 4, str(grade), "middle", GREY))
        base = self.top + PANEL_H - 8
        for i, words in axis_labels(visits, self.plot_w):
            anchor = "middle" if self.count == 1 else "start" if i == 0 else "end" if i == self.count - 1 else "middle"
            parts.append(self.text(self.x(i), base, words, anchor))
        for i in range(self.count):  # a tick at every visit, labelled or not
            parts.append(
                f'<line x1="{self.x(i):.1f}" x2="{self.x(i):.1f}" y1="{self.y(1):.1f}" y2="{self.y(1) + 4:.1f}" '
                f'stroke="{GREY}" stroke-width="1"/>'
            )
        return parts

    @staticmethod
    def text(x: float, y: float, words: str, anchor: str, colour: str = INK) -> str:
        return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}">{escape(words)}</text>'

    def line(self, points: list[tuple[float, float]], colour: str, width: float, dash: str = "") -> str:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        return f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dashes}/>'

    def move(self, move: ChartMove) -> str:
        """A line across the plot where the family moved or the plan changed (named in the key)."""
        if self.count == 1:
            x = self.x(0) + (self.plot_w / 4 if move.position > 0 else -self.plot_w / 4)
        else:
            x = self.x(min(max(move.position, 0), self.count - 1))
        style = EVENT_STYLES[move.event]
        return (
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.y(5) - 6:.1f}" y2="{self.y(1):.1f}" stroke="{style.colour}" '
            f'stroke-width="2" stroke-dasharray="{style.dash}"/>'
        )


def axis_labels(visits: list[ChartVisit], width: float) -> list[tuple[int, str]]:
    """Which visits the axis names, and how: every visit's date when they fit side by side, else
    the month at the first visit of each month (as many as fit); never two labels overlapping."""
    count = len(visits)
    if count == 1:
        return [(0, visits[0].label)]
    step = width / (count - 1)
    if all(len(v.label) * CHAR_W + 6 <= step for v in visits[1:-1]) and (
        len(visits[0].label) + len(visits[-1].label)
    ) * CHAR_W / 2 + 6 <= step * (1 if count > 2 else 2):
        return [(i, v.label) for i, v in enumerate(visits)]
    months = [(i, v.label.split(" ", 1)[-1]) for i, v in enumerate(visits)]
    firsts = [(i, m) for i, m in months if i == 0 or months[i - 1][1] != m]
    chosen: list[tuple[int, str]] = []
    right = -1e9
    for i, words in firsts:
        x = i * step
        half = len(words) * CHAR_W / 2
        left = x if i == 0 else x - half * 2 if i == count - 1 else x - half
        if left >= right + 6:
            chosen.append((i, words))
            right = left + half * 2
    return chosen


def trend_svg(
    visits: list[ChartVisit],
    domain_titles: list[str],
    grade_labels: dict[int, str],
    title: str = "Trend over visits",
    described_by: str | None = None,
    moves: tuple[ChartMove, ...] = (),
) -> str:
    """The average and worst grade and then each area's worst grade at each visit, oldest visit on
    the left, one small chart each. `grade_labels` names grades 1 to 5 in the key, as the checklist
    words them; `described_by` is the id of the sentence that sums the chart up."""
    return _trend_svgs(visits, domain_titles, grade_labels, title, described_by, moves, split=False)[0]


def trend_svg_rows(
    visits: list[ChartVisit],
    domain_titles: list[str],
    grade_labels: dict[int, str],
    title: str = "Trend over visits",
    moves: tuple[ChartMove, ...] = (),
) -> list[str]:
    """The same chart as one SVG per row of panels and one for the key, so a printed page can
    break between rows instead of cutting a panel off at the foot of the page."""
    return _trend_svgs(visits, domain_titles, grade_labels, title, None, moves, split=True)


def _trend_svgs(
    visits: list[ChartVisit],
    domain_titles: list[str],
    grade_labels: dict[int, str],
    title: str,
    described_by: str | None,
    moves: tuple[ChartMove, ...],
    *,
    split: bool,
) -> list[str]:
    n = len(visits)
    panels = 1 + len(domain_titles)
    rows = (panels + COLUMNS - 1) // COLUMNS
    key_top = 8 + rows * (PANEL_H + GAP_Y)
    events = {style: [m for m in moves if m.event == kind] for kind, style in EVENT_STYLES.items()}
    events = {style: marks for style, marks in events.items() if marks}
    height = key_top + 64 + 20 * len(events)
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    bands: list[list[str]] = [[] for _ in range(rows)]  # each row of panels' drawing
    key: list[str] = []

    average = _Panel(0, n)
    parts = bands[0]
    parts += average.frame("Average and worst grade (higher is worse)", visits)
    parts += [average.move(move) for move in moves]
    worst_anywhere = [
        (average.x(i), average.y(max(graded)))
        for i, v in enumerate(visits)
        if (graded := [w for w in v.domain_worst if w is not None])
    ]
    if len(worst_anywhere) > 1:
        parts.append(average.line(worst_anywhere, WORST, 2.5, "6 3"))
    parts += [_marker("triangle", px, py, WORST, size=5, filled=False) for px, py in worst_anywhere]
    means = [(average.x(i), average.y(v.mean)) for i, v in enumerate(visits) if v.mean is not None]
    if len(means) > 1:
        parts.append(average.line(means, INK, 3.5))
    for px, py in means:
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{INK}"/>')
    for i, visit in enumerate(visits):  # each visit's rating along the top: colour, shape and letter
        rating = RATINGS[visit.rating]
        mark_y = average.top + PLOT_TOP - 12
        parts.append(_marker(rating.shape, average.x(i), mark_y, rating.colour, size=7))
        parts.append(
            f'<text x="{average.x(i):.1f}" y="{mark_y + 4:.1f}" text-anchor="middle" font-size="10" '
            f'font-weight="bold" fill="#ffffff">{rating.letter}</text>'
        )

    for d, domain in enumerate(domain_titles):
        panel = _Panel(d + 1, n)
        parts = bands[(d + 1) // COLUMNS]
        colour, dash, shape, filled = (
            DOMAIN_COLOURS[d % 8],
            DASHES[d % 8],
            SHAPES[d % 8],
            FILLED[d % 8],
        )
        parts += panel.frame(domain, visits)
        parts += [panel.move(move) for move in moves]
        points = [
            (panel.x(i), panel.y(worst))
            for i, v in enumerate(visits)
            if d < len(v.domain_worst) and (worst := v.domain_worst[d]) is not None
        ]
        if not points:
            parts.append(
                panel.text(
                    panel.x(0) if n == 1 else panel.left + PANEL_W / 2,
                    panel.y(3) - 6,
                    "Not graded at any visit",
                    "middle",
                    GREY,
                )
            )
        if len(points) > 1:
            parts.append(panel.line(points, colour, 2.5, dash))
        parts += [_marker(shape, px, py, colour, size=5, filled=filled) for px, py in points]

    words = ", ".join(f"{grade} {label.split(' ', 1)[-1]}" for grade, label in sorted(grade_labels.items()))
    ratings = ", ".join(f"{r.letter} {r.label} ({r.shape})" for r in RATINGS.values())
    key.append(f'<text x="0" y="{key_top + 12}" fill="{GREY}">Grades: {escape(words)}.</text>')
    key.append(f'<text x="0" y="{key_top + 32}" fill="{GREY}">Ratings: {escape(ratings)}.</text>')
    key.append(
        f'<text x="0" y="{key_top + 52}" fill="{WORST}">Red dashed line, hollow triangles: the worst grade '
        "in any area at each visit. Black line: the average.</text>"
    )
    for n_event, (style, marks) in enumerate(events.items()):
        named = "; ".join(m.label for m in marks)
        key.append(
            f'<text x="0" y="{key_top + 72 + 20 * n_event}" fill="{style.colour}">{escape(style.key)}: '
            f"{escape(named)}.</text>"
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{{}}" width="100%" role="img" {{}} class="heat-chart" '
        f'font-family="sans-serif" font-size="{FONT}">'
    )
    if not split:
        head = svg.format(f"0 0 {WIDTH} {height}", f'aria-labelledby="trend-title"{described}')
        drawing = "".join(part for band in [*bands, key] for part in band)
        return [f'{head}<title id="trend-title">{escape(title)}</title>{drawing}</svg>']
    band_h = PANEL_H + GAP_Y
    pieces = [
        svg.format(f"0 {r * band_h} {WIDTH} {band_h}", f'aria-label="{escape(title)}, part {r + 1} of {rows + 1}"')
        + "".join(band)
        + "</svg>"
        for r, band in enumerate(bands)
    ]
    key_svg = svg.format(f"0 {key_top} {WIDTH} {height - key_top}", f'aria-label="{escape(title)}: key"')
    return pieces + [key_svg + "".join(key) + "</svg>"]


def trend_summary(
    visits: list[ChartVisit],
    domain_titles: list[str],
    grade_labels: dict[int, str],
    moves: tuple[ChartMove, ...] = (),
) -> str:
    """One sentence saying what the chart shows: how the average moved, which areas are worst now,
    and how many visits were Incomplete; and one naming the moves."""
    if not visits:
        return ""
    sentences = []
    means = [v.mean for v in visits if v.mean is not None]
    count = len(visits)
    if len(means) >= 2:
        first, last = means[0], means[-1]
        moved = "worsened" if last > first else "improved" if last < first else "stayed the same"
        span = f"from {first:.1f} to {last:.1f}" if last != first else f"at {last:.1f}"
        sentences.append(f"The average {moved} {span} over {count} visit{'s' if count > 1 else ''}")
    elif means:
        sentences.append(f"The average was {means[-1]:.1f}")
    else:
        sentences.append("No visit has an average to compare yet")
    latest = visits[-1]
    worst = max((w for w in latest.domain_worst if w is not None), default=None)
    if worst is not None and worst >= 3:
        areas = [t for t, w in zip(domain_titles, latest.domain_worst, strict=False) if w == worst]
        sentences.append(f"{' and '.join(areas)} reached {grade_labels.get(worst, str(worst))} at the latest visit")
    incomplete = sum(1 for v in visits if v.rating == INCOMPLETE.id)
    if incomplete:
        sentences.append(
            f"{incomplete} visit{'s were' if incomplete > 1 else ' was'} Incomplete: not everything was seen"
        )
    sentence = "; ".join(sentences) + "."
    homes = [m for m in moves if m.event == "move"]
    if homes:
        sentence += " The family moved home on " + ", ".join(f"{m.date} ({m.kind})" for m in homes) + "."
    plans = [m for m in moves if m.event != "move"]
    if plans:
        changes = ", ".join(f"{m.date} ({'stepped down to ' if m.event == 'step_down' else ''}{m.kind})" for m in plans)
        sentence += f" The plan changed on {changes}."
    return sentence


MEASURE_W, MEASURE_H = 340, 168  # one small chart, the size of a trend panel


def measure_svg(title: str, points: list[tuple[str, float | None]], unit: str, chart_id: str) -> str:
    """One small chart of a practice measure month by month, drawn like a trend panel: the value up
    the side (0 to 100 for a percentage, else 0 to a round number above the largest), the months
    along the bottom, a black line through the months that have a figure and none through those
    that do not. `unit` is "%", "hours" or "" (a count)."""
    values = [v for _, v in points if v is not None]
    top = 100.0 if unit == "%" else _round_up(max(values, default=0))
    left, right, plot_top, bottom = 44, 14, 34, 30
    plot_w, plot_h = MEASURE_W - left - right, MEASURE_H - plot_top - bottom
    count = len(points)

    def x(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * i / (count - 1))

    def y(value: float) -> float:
        return plot_top + plot_h * (1 - value / top)

    parts = [f'<text x="0" y="14" font-weight="bold" fill="{INK}">{escape(title)}</text>']
    for step in range(5):
        value = top * step / 4
        parts.append(
            f'<line x1="{left}" x2="{MEASURE_W - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{LINES}" stroke-width="1"/>'
        )
        parts.append(_Panel.text(left - 6, y(value) + 4, f"{value:g}{unit if unit == '%' else ''}", "end", GREY))
    # Every month named when the names fit side by side, else every second, third ... month.
    widest = max((len(label) for label, _ in points), default=0) * CHAR_W + 10
    every = 1 if count < 2 else max(1, math.ceil(widest / (plot_w / (count - 1))))
    for i, (label, _) in enumerate(points):
        if i % every:
            continue
        anchor = "middle" if count == 1 else "start" if i == 0 else "end" if i == count - 1 else "middle"
        parts.append(_Panel.text(x(i), MEASURE_H - 8, label, anchor))
    drawn = [(x(i), y(v)) for i, (_, v) in enumerate(points) if v is not None]
    if len(drawn) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in drawn)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="3.5"/>')
    parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{INK}"/>' for px, py in drawn]
    if not drawn:
        parts.append(_Panel.text(left + plot_w / 2, y(top / 2), "Nothing to count in this period", "middle", GREY))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MEASURE_W} {MEASURE_H}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title" class="heat-chart heat-chart--measure" font-family="sans-serif" '
        f'font-size="{FONT}"><title id="{chart_id}-title">{escape(title)}</title>{"".join(parts)}</svg>'
    )


def _round_up(largest: float) -> float:
    """A round top for a count or hours axis that divides into 4 steps: 4, 8, 20, 40, 80, 200 ..."""
    scale = 1.0
    while True:
        for base in (4, 8, 20, 40):
            if base * scale >= largest:
                return base * scale
        scale *= 10
