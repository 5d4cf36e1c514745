"""Trend charts as inline SVG strings: no JavaScript, fine under a strict CSP, the same markup in
the page and the PDF. Worse is higher up. Ratings are marked by colour, shape and a letter."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from heat.checklist.vocabulary import RATINGS

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 112, 150, 46, 56
DOMAIN_COLOURS = ["#1d70b8", "#4c2c92", "#d53880", "#28a197", "#b58840", "#5694ca", "#912b88", "#85994b"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "6 3", "2 3", "8 3 2 3"]


@dataclass(frozen=True)
class ChartVisit:
    label: str
    rating: str
    mean: float | None
    domain_worst: tuple[int | None, ...]


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 8:.1f} {x + 8:.1f},{y + 6:.1f} {x - 8:.1f},{y + 6:.1f}" fill="{colour}"/>'
        )
    if shape == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 8:.1f} {x + 8:.1f},{y:.1f} {x:.1f},{y + 8:.1f} {x - 8:.1f},{y:.1f}" '
            f'fill="{colour}"/>'
        )
    if shape == "square":
        return f'<rect x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" height="14" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7.5" fill="{colour}"/>'


def trend_svg(
    visits: list[ChartVisit], domain_titles: list[str], grade_labels: dict[int, str], title: str = "Trend over visits"
) -> str:
    """A line for the overall mean (thick, black) and one per domain's worst grade, oldest visit on the left.
    `grade_labels` names the grade lines 1 to 5, as the checklist definition words them."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(visits)

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(grade: float) -> float:
        return TOP + plot_h * (5 - grade) / 4

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="trend-title" class="heat-chart" font-family="sans-serif" font-size="12">',
        f'<title id="trend-title">{escape(title)}</title>',
        f'<text x="{LEFT}" y="16" font-weight="bold">Worse ↑</text>',
    ]
    for grade, label in grade_labels.items():
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(grade):.1f}" y2="{y(grade):.1f}" '
            'stroke="#b1b4b6" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(grade) + 4:.1f}" text-anchor="end" fill="#505a5f">{escape(label)}</text>'
        )
    step = max(1, (n + 7) // 8)
    for i, visit in enumerate(visits):
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" fill="#0b0c0c">'
                f"{escape(visit.label)}</text>"
            )
    for d, domain in enumerate(domain_titles):
        points = [
            (x(i), y(worst))
            for i, v in enumerate(visits)
            if d < len(v.domain_worst) and (worst := v.domain_worst[d]) is not None
        ]
        colour, dash = DOMAIN_COLOURS[d % len(DOMAIN_COLOURS)], DASHES[d % len(DASHES)]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5" '
                f'stroke-dasharray="{dash}" opacity="0.85"/>'
            )
        for px, py in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>')
        label_y = TOP + 4 + d * 15
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" y1="{label_y - 4}" y2="{label_y - 4}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT + 36}" y="{label_y}" fill="#0b0c0c" font-size="10">{escape(domain[:22])}</text>'
        )
    means = [(x(i), y(v.mean)) for i, v in enumerate(visits) if v.mean is not None]
    if len(means) > 1:
        parts.append(
            '<polyline points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py in means)
            + '" fill="none" stroke="#0b0c0c" stroke-width="3.5"/>'
        )
    for px, py in means:
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="#0b0c0c"/>')
    legend_y = TOP + 4 + len(domain_titles) * 15 + 6
    parts.append(
        f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
        'stroke="#0b0c0c" stroke-width="3.5"/>'
    )
    parts.append(
        f'<text x="{WIDTH - RIGHT + 36}" y="{legend_y}" font-size="10" font-weight="bold">Average grade</text>'
    )
    # Rating of each visit: colour, shape and letter along the top, never colour alone.
    for i, visit in enumerate(visits):
        rating = RATINGS[visit.rating]
        colour, letter = rating.colour, rating.letter
        parts.append(_marker(rating.shape, x(i), 30, colour))
        parts.append(
            f'<text x="{x(i):.1f}" y="{34:.1f}" text-anchor="middle" font-size="9" font-weight="bold" '
            f'fill="#ffffff">{letter}</text>'
        )
    legend = ", ".join(f"{r.letter} {r.label} ({r.shape})" for r in RATINGS.values())
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="#505a5f" font-size="10">Markers: {legend}</text>')
    parts.append("</svg>")
    return "".join(parts)
