"""Trend charts as inline SVG strings: no JavaScript, fine under a strict CSP, the same markup in
the page and the PDF.

Small multiples: one small chart per area, each with its full name and the same grade axis (worse
is higher up), after one for the average grade with each visit's rating marked by colour, shape
and a letter. Each area has its own colour, line style and marker shape, so no two differ by
colour alone. A visit with no average (something that must be seen was not) has no point on the
average's chart, never a lower one. `trend_summary` says in one sentence what the chart shows.
"""

from __future__ import annotations

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
MOVE = "#6f3b00"  # a move of home: brown, dashed, and labelled with its date


@dataclass(frozen=True)
class ChartVisit:
    label: str
    rating: str
    mean: float | None
    domain_worst: tuple[int | None, ...]


@dataclass(frozen=True)
class ChartMove:
    """A move of home, drawn as a dashed line at `position` (in visits: 1.5 is between the second
    and third visit)."""

    position: float
    label: str  # short, on the chart: "Moved 3 Mar 26"
    date: str  # in words, for the sentence: "3 March 2026"
    kind: str  # the kind of the new home


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
        first, last = visits[0].label, visits[-1].label
        base = self.top + PANEL_H - 8
        if self.count == 1:
            parts.append(self.text(self.x(0), base, first, "middle"))
        else:
            parts.append(self.text(self.x(0), base, first, "start"))
            parts.append(self.text(self.x(self.count - 1), base, last, "end"))
        return parts

    @staticmethod
    def text(x: float, y: float, words: str, anchor: str, colour: str = INK) -> str:
        return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}">{escape(words)}</text>'

    def line(self, points: list[tuple[float, float]], colour: str, width: float, dash: str = "") -> str:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        return f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dashes}/>'

    def move(self, move: ChartMove, labelled: bool) -> list[str]:
        """A dashed line across the plot where the family moved, with its date on the first panel."""
        if self.count == 1:
            x = self.x(0) + (self.plot_w / 4 if move.position > 0 else -self.plot_w / 4)
        else:
            x = self.x(min(max(move.position, 0), self.count - 1))
        top, bottom = self.y(5) - 6, self.y(1)
        parts = [
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{bottom:.1f}" stroke="{MOVE}" '
            f'stroke-width="2" stroke-dasharray="5 3"/>'
        ]
        if labelled:
            anchor = "end" if x > self.left + PANEL_W / 2 else "start"
            nudge = -4 if anchor == "end" else 4
            parts.append(self.text(x + nudge, bottom - 4, move.label, anchor, MOVE))
        return parts


def trend_svg(
    visits: list[ChartVisit],
    domain_titles: list[str],
    grade_labels: dict[int, str],
    title: str = "Trend over visits",
    described_by: str | None = None,
    moves: tuple[ChartMove, ...] = (),
) -> str:
    """The average grade and then each area's worst grade at each visit, oldest visit on the left,
    one small chart each. `grade_labels` names grades 1 to 5 in the key, as the checklist words them;
    `described_by` is the id of the sentence that sums the chart up."""
    n = len(visits)
    panels = 1 + len(domain_titles)
    rows = (panels + COLUMNS - 1) // COLUMNS
    key_top = 8 + rows * (PANEL_H + GAP_Y)
    height = key_top + (64 if moves else 44)
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="trend-title"{described} class="heat-chart" font-family="sans-serif" font-size="{FONT}">',
        f'<title id="trend-title">{escape(title)}</title>',
    ]

    average = _Panel(0, n)
    parts += average.frame("Average grade (higher is worse)", visits)
    for move in moves:
        parts += average.move(move, labelled=True)
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
        colour, dash, shape, filled = (
            DOMAIN_COLOURS[d % 8],
            DASHES[d % 8],
            SHAPES[d % 8],
            FILLED[d % 8],
        )
        parts += panel.frame(domain, visits)
        for move in moves:
            parts += panel.move(move, labelled=False)
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
    parts.append(f'<text x="0" y="{key_top + 12}" fill="{GREY}">Grades: {escape(words)}.</text>')
    parts.append(f'<text x="0" y="{key_top + 32}" fill="{GREY}">Ratings: {escape(ratings)}.</text>')
    if moves:
        parts.append(f'<text x="0" y="{key_top + 52}" fill="{MOVE}">Dashed brown line: the family moved home.</text>')
    parts.append("</svg>")
    return "".join(parts)


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
    if moves:
        sentence += " The family moved home on " + ", ".join(f"{m.date} ({m.kind})" for m in moves) + "."
    return sentence
