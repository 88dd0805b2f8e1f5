"""wp_bridge.kses: the model of WooCommerce's REST text-setting sanitiser (wordpress-woocommerce.md §3.6–3.7).

Every row of the reference's mangling table is checked, then the model is compared, on thousands of generated
strings, with the real thing: WordPress 6.1.9's own kses.php run by PHP (marker ``wordpress``).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wp_bridge.kses import mangled_characters, rest_text_roundtrip

pytestmark = pytest.mark.unit

# (sent, stored) — the reference's table, row by row.
TABLE = [
    ("P@ss&word1", "P@ss&amp;word1"),
    ("a<b1", "a&lt;b1"),
    ("a>b1", "a&gt;b1"),
    ("x\\y1", "xy1"),
    (" pad1 ", "pad1"),
    ("<script>x</script>y1", "xy1"),
    ("Sa&fe<b>X\\y>z", "Sa&amp;fe<b>Xy&gt;z"),
    ('Q"uote1', 'Q"uote1'),
    ("it's1", "it's1"),
    ("100%1", "100%1"),
    ("#!$^*()=+-_.,;:?/{}[]|~`1", "#!$^*()=+-_.,;:?/{}[]|~`1"),
    ("@", "@"),
]


@pytest.mark.parametrize(("sent", "stored"), TABLE)
def test_reference_table(sent: str, stored: str) -> None:
    assert rest_text_roundtrip(sent) == stored
    assert (mangled_characters(sent) == []) == (sent == stored)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AT&amp;T", "AT&amp;T"),  # a valid entity is kept
        ("&copy;&bogus;", "&copy;&amp;bogus;"),
        ("&#65;", "&#065;"),  # numeric entities are normalised
        ("&#X41;", "&#x41;"),
        ("a\\\\b", "a\\b"),  # stripslashes: an escaped backslash survives as one
        ("\tx\n", "x"),
        ("a\x01b", "ab"),  # control characters go
        ("a<b\"c'", "a&lt;b&quot;c&#039;"),  # an unterminated '<' span is HTML-escaped, quotes included
        ("<br/>", "<br />"),
        ('<a href="javascript:alert(1)" onclick="x">k</a>', '<a href="alert(1)">k</a>'),
        ("<!-- note -->x", "<!-- note -->x"),
    ],
)
def test_more_wordpress_behaviour(value: str, expected: str) -> None:
    assert rest_text_roundtrip(value) == expected


@pytest.mark.parametrize(
    ("value", "chars"),
    [
        ("P@ss&word1", ["&"]),
        ("a<b1", ["<"]),
        ("a>b1", [">"]),
        ("x\\y1", ["\\"]),
        (" pad1 ", [" "]),
        ("\tpad1", ["\t"]),
        ("<script>x</script>y1", ["<", ">"]),
        ("Sa&fe<b>X\\y>z", ["&", ">", "\\"]),  # in order of first use; '<b>' survives, so '<' is not blamed
        ('a<b"c', ["<", '"']),
        ("<br/>", ["/"]),  # rewritten to '<br />': the fallback names the first character that differs
        ("Abc#12%$", []),
    ],
)
def test_mangled_characters_names_the_culprits(value: str, chars: list[str]) -> None:
    found = mangled_characters(value)
    assert [c for c, _ in found] == chars
    assert all(reason for _, reason in found)


def test_reason_wording_for_ampersand() -> None:
    assert mangled_characters("a&b") == [("&", "is changed to '&amp;' (or the entity it starts is rewritten)")]


SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@#!$%^*()-_=+.,;:?/~"


@given(st.text(alphabet=SAFE))
def test_safe_alphabet_always_survives(value: str) -> None:
    """Rule (a) of the reference: these characters are safe for generated secrets."""
    assert rest_text_roundtrip(value) == value
    assert mangled_characters(value) == []


TRICKY = [*SAFE, *"&<>\\\"' \t\n\x00\x01é€;", "<b>", "&amp;", "&#65;", "<br/>", "<script>"]


@given(st.lists(st.sampled_from(TRICKY)).map("".join))
def test_mangled_characters_is_consistent_with_the_roundtrip(value: str) -> None:
    found = mangled_characters(value)
    assert (found == []) == (rest_text_roundtrip(value) == value)
    assert all(ch in value for ch, _ in found)
    assert len({ch for ch, _ in found}) == len(found)


# --- Differential test against WordPress's own kses.php -----------------------------------------------------------

WP_ROOT = Path("/usr/share/wordpress")
HARNESS = r"""<?php
define('ABSPATH', getenv('WP_ROOT') . '/');
define('WPINC', 'wp-includes');
function wp_cache_get($k, $g = '', $f = false, &$found = null) {
    if ($k === 'alloptions') { return array('blog_charset' => 'UTF-8'); }
    if ($k === 'notoptions') { return array(); }
    return false;
}
function wp_cache_add(...$a) { return true; }
function wp_cache_set(...$a) { return true; }
require ABSPATH . WPINC . '/load.php';
require ABSPATH . WPINC . '/plugin.php';
require ABSPATH . WPINC . '/functions.php';
require ABSPATH . WPINC . '/formatting.php';
require ABSPATH . WPINC . '/kses.php';
require ABSPATH . WPINC . '/blocks.php';
require ABSPATH . WPINC . '/class-wp-block-parser.php';
add_filter('pre_kses', 'wp_pre_kses_less_than');
add_filter('pre_kses', 'wp_pre_kses_block_attributes', 10, 3);
$out = array();
foreach (json_decode(stream_get_contents(STDIN), true) as $v) {
    // WC_REST_Payment_Gateways_Controller::validate_setting_text_field
    $out[] = wp_kses_post(trim(stripslashes($v)));
}
echo json_encode($out);
"""

FRAGMENTS = [
    *"<>&\\\"' \t\n\x00\x01\x0b=/:;aB1#%$@é€\u00a0",
    "<b>", "</b>", "<br/>", "<script>", "</script>", "<!--", "-->", "--->", "<!-- c -->", "&amp;", "&copy;",
    "&apos;", "&#65;", "&#0;", "&#x41;", "&#X0;", "&bogus;", "&#58;", "\\0", "\\\\", "<<", ">>", "< b>",
    "</ b >", "<1>", "<b-c>", '<a href="javascript:alert(1)">', "<a href=http://x.y/z title='t' onclick=\"e\">",
    '<img src="x" alt=y/>', '<p class="c" data-x-y="1" DATA-Z=2 download>', "<a download>", "<a download=1>",
    "<b id=1 id=2>", '<b foo="bar" / >', '<div \n class=\n"x">', '<a href="feed:javascript:x">',
    '<a href="&#106;avascript:x">',
]  # fmt: skip


def _generated_cases(count: int) -> list[str]:
    rng = random.Random(20240611)  # deterministic: a failure is reproducible
    cases = [value for value, _ in TABLE]
    cases += ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 8))) for _ in range(count)]
    alphabet = [chr(i) for i in range(128)] + list("éü€\u00a0\u2028😀")
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))) for _ in range(count)]
    return cases


@pytest.mark.wordpress
def test_model_matches_wordpress_kses(tmp_path: Path) -> None:
    from tests.conftest import component_unavailable

    php = shutil.which("php")
    if php is None or not (WP_ROOT / "wp-includes" / "kses.php").is_file():
        component_unavailable("PHP with Debian's WordPress core", "php or /usr/share/wordpress is missing")
    script = tmp_path / "kses.php"
    script.write_text(HARNESS)
    cases = _generated_cases(2500)
    proc = subprocess.run(
        [str(php), str(script)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        env={"WP_ROOT": str(WP_ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wordpress = json.loads(proc.stdout)
    assert len(wordpress) == len(cases)
    mismatches = [(c, w, rest_text_roundtrip(c)) for c, w in zip(cases, wordpress, strict=True)]
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert mismatches == []
    for case, stored in zip(cases, wordpress, strict=True):
        assert (mangled_characters(case) == []) == (case == stored), case
