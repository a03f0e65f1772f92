"""Themes: every file loads, defines every semantic colour, stays readable, and Textual accepts it."""

from __future__ import annotations

import ast
import re

import pytest
from textual._color_constants import COLOR_NAME_TO_RGB
from textual.app import App, ComposeResult
from textual.color import Color, rgb_to_lab
from textual.filter import Monochrome, NoColor
from textual.widgets import Static

from tests.support.paths import ROOT
from themes import SEMANTIC_VARIABLES, theme_names
from themes.loader import (
    THEME_COLOUR_FIELDS,
    ThemeError,
    ansi_color_for,
    load_themes,
    parse_theme,
    theme_variable_defaults,
)

THEMES = load_themes()
RGB_THEMES = [name for name, theme in THEMES.items() if not theme.ansi]
TEXT_VARIABLES = ("up", "down", "neutral", "flag-bull", "flag-bear", "flag-context", "stale", "muted")


def test_the_promised_themes_exist_and_match_the_files() -> None:
    assert {"dark", "light", "high-contrast", "ansi16", "monochrome"} <= set(THEMES)
    # In the README's order, which t cycles through: the colour themes, then the ANSI ones.
    assert theme_names() == ("dark", "light", "high-contrast", "ansi16", "monochrome")
    assert set(THEMES) == set(theme_names())
    assert THEMES["light"].dark is False and THEMES["dark"].dark is True


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_theme_defines_every_semantic_colour(name: str) -> None:
    theme = THEMES[name]
    for var in SEMANTIC_VARIABLES:
        Color.parse(theme.variables[var])  # raises if Textual cannot use it
    for field in THEME_COLOUR_FIELDS:
        assert getattr(theme, field) is not None, field


@pytest.mark.parametrize("name", ["ansi16", "monochrome"])
def test_ansi_themes_use_only_the_16_ansi_colours(name: str) -> None:
    theme = THEMES[name]
    colours = [getattr(theme, f) for f in THEME_COLOUR_FIELDS]
    colours += [v for k, v in theme.variables.items() if not k.endswith("-style")]
    assert theme.ansi
    assert all(Color.parse(c).ansi is not None for c in colours), colours


def _luminance(colour: str) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    c = Color.parse(colour)
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", RGB_THEMES)
def test_text_colours_are_readable_on_the_background(name: str) -> None:
    """WCAG AA (4.5:1) for every text colour: the 'unreadable on light terminals' complaint."""
    theme = THEMES[name]
    assert theme.foreground and theme.background
    assert _contrast(theme.foreground, theme.background) >= (7.0 if name == "high-contrast" else 4.5)
    for var in TEXT_VARIABLES:
        assert _contrast(theme.variables[var], theme.background) >= 4.5, var


# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
CVD = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
}


def _simulate(colour: str, matrix: tuple[tuple[float, float, float], ...]) -> Color:
    c = Color.parse(colour)
    lin = [
        (v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4
        for v in (c.r, c.g, c.b)
    ]
    out = []
    for row in matrix:
        v = min(1.0, max(0.0, sum(m * x for m, x in zip(row, lin, strict=True))))
        out.append(round(255 * (12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055)))
    return Color(*out)


def _delta_e(a: Color, b: Color) -> float:
    la, lb = rgb_to_lab(a), rgb_to_lab(b)
    return float(((la.L - lb.L) ** 2 + (la.a - lb.a) ** 2 + (la.b - lb.b) ** 2) ** 0.5)


@pytest.mark.parametrize("pair", [("up", "down"), ("flag-bull", "flag-bear"), ("heat-pos", "heat-neg")])
def test_high_contrast_keeps_up_and_down_apart_for_red_green_colour_blindness(pair: tuple[str, str]) -> None:
    variables = THEMES["high-contrast"].variables
    up, down = (variables[k] for k in pair)
    # Blue for up, orange for down: not red and green.
    assert 180 <= Color.parse(up).hsl.h * 360 <= 250
    assert 20 <= Color.parse(down).hsl.h * 360 <= 50
    for kind, matrix in CVD.items():
        assert _delta_e(_simulate(up, matrix), _simulate(down, matrix)) >= 50, kind
    # The same check shows why the dark theme's green/red is not enough on its own.
    dark = THEMES["dark"].variables
    assert (
        _delta_e(_simulate(dark["up"], CVD["deuteranopia"]), _simulate(dark["down"], CVD["deuteranopia"]))
        < 20
    )


GOOD = (
    """
dark = true
primary = "#112233"
secondary = "#112233"
accent = "#112233"
foreground = "#FFFFFF"
background = "#000000"
surface = "#000000"
panel = "#111111"
success = "green"
warning = "yellow"
error = "red"
[variables]
"""
    + "\n".join(f'{var} = "#808080"' for var in SEMANTIC_VARIABLES)
    + "\n"
)


def test_a_well_formed_file_parses() -> None:
    assert parse_theme(GOOD, "mine", "mine.toml").variables["up"] == "#808080"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (GOOD.replace('up = "#808080"\n', ""), "key 'variables.up': missing"),
        (GOOD.replace('down = "#808080"', 'down = "#80808G"'), "key 'variables.down': not a colour"),
        (GOOD.replace('primary = "#112233"', "primary = 3"), "key 'primary': expected a colour string"),
        (GOOD.replace("dark = true", 'dark = "yes"'), "key 'dark': expected true or false"),
        ("glow = 1\n" + GOOD, "key 'glow': unknown key"),
        (GOOD.replace('panel = "#111111"\n', ""), "key 'panel': missing"),
        ("ansi = true\n" + GOOD, "key 'variables.ansi-background': missing"),
        (GOOD.replace("[variables]", "[variables\n"), "invalid TOML"),
    ],
)
def test_malformed_theme_files_name_the_file_and_key(text: str, words: str) -> None:
    with pytest.raises(ThemeError) as caught:
        parse_theme(text, "mine", "mine.toml")
    assert str(caught.value).startswith("theme file mine.toml") and words in str(caught.value)


class _Probe(App[None]):
    """A minimal app whose stylesheet uses every semantic variable."""

    CSS = "\n".join(f"#v-{var} {{ color: ${var}; }}" for var in SEMANTIC_VARIABLES)

    def __init__(self, theme_name: str) -> None:
        super().__init__(ansi_color=ansi_color_for(THEMES[theme_name]))
        for theme in load_themes().values():
            self.register_theme(theme)
        self.theme = theme_name

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults()

    def compose(self) -> ComposeResult:
        for var in SEMANTIC_VARIABLES:
            yield Static(var, id=f"v-{var}")


@pytest.mark.parametrize("name", sorted(THEMES))
async def test_textual_applies_each_theme_to_a_stylesheet_of_semantic_variables(name: str) -> None:
    app = _Probe(name)
    async with app.run_test() as pilot:
        await pilot.pause()
        colour = app.query_one("#v-up", Static).styles.color
        assert colour == Color.parse(THEMES[name].variables["up"])
        app.theme = "textual-light"  # a built-in theme: the defaults keep the stylesheet valid
        await pilot.pause()
        assert app.query_one("#v-down", Static).styles.color == Color.parse(THEMES["dark"].variables["down"])


async def test_no_color_with_the_monochrome_theme_strips_colour_instead_of_greying(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _Probe("monochrome")
    async with app.run_test():
        filters = [type(f) for f in app.get_line_filters()]
    assert NoColor in filters and Monochrome not in filters


# ---- stylesheets: theme variables only -----------------------------------------------------------------

_HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b")
_ALLOWED_WORDS = {"transparent"}


def _stylesheets() -> list[tuple[str, str]]:
    sheets = [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "tui").rglob("*.tcss"))
    ]
    for path in sorted((ROOT / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            value = getattr(node, "value", None)
            if (
                any(isinstance(t, ast.Name) and t.id in ("CSS", "DEFAULT_CSS") for t in targets)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                sheets.append((f"{path.relative_to(ROOT)}:{node.lineno}", value.value))
    return sheets


def colour_literals(css: str) -> list[str]:
    """Hex colours, colour names and rgb()/hsl() in the declarations (not selectors) of ``css``."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found = []
    for piece, delimiter in re.findall(r"([^{};]*)([{};]|$)", css):
        if delimiter == "{" or ":" not in piece:
            continue  # a selector, or nothing
        value = piece.split(":", 1)[1]
        for token in value.split():
            word = token.strip(",").lower()
            if (
                _HEX.fullmatch(word)
                or word.startswith(("rgb(", "rgba(", "hsl(", "hsla("))
                or (word in COLOR_NAME_TO_RGB and word not in _ALLOWED_WORDS)
            ):
                found.append(token)
    return found


def test_the_colour_literal_finder_finds_literals_and_ignores_selectors() -> None:
    css = "#bad:hover { color: #FF0000; background: $panel 50%; border: tall red; }\n.x { tint: rgb(1,2,3); }"
    assert colour_literals(css) == ["#FF0000", "red", "rgb(1,2,3)"]


def test_no_stylesheet_in_tui_uses_a_colour_literal() -> None:
    sheets = _stylesheets()
    assert any(where.endswith(".tcss") for where, _ in sheets)  # the finder sees the app's stylesheet
    offenders = {where: found for where, css in sheets if (found := colour_literals(css))}
    assert offenders == {}
