"""A pure-Python model of what WooCommerce's REST settings path does to a text (or password) setting value.

``WC_REST_Payment_Gateways_Controller::validate_setting_text_field`` stores ``wp_kses_post(trim(stripslashes(v)))``
for every text, password, email, number and unknown-type setting (``wordpress-woocommerce.md`` §3.5–3.7). This
module reproduces that pipeline, ported from WordPress 6.1.9 (``wp-includes/kses.php``, ``formatting.php``) and
PHP 8.2, so the agent can tell *before* a PUT whether a value (a password, a secret, a passkey) would be stored
changed, and so test doubles of WooCommerce can mangle values exactly like the real site does:

* ``stripslashes``: every backslash is removed (``\\\\`` becomes ``\\``, ``\\0`` a NUL byte);
* ``trim``: leading/trailing space, tab, newline, carriage return, NUL and vertical tab are cut off;
* ``wp_kses_no_null``: control characters (except tab, newline and carriage return) are removed;
* ``wp_kses_normalize_entities``: ``&`` becomes ``&amp;`` unless it starts a valid entity (``&amp;``, ``&copy;``,
  ``&#065;``); numeric entities are normalised (``&#65;`` becomes ``&#065;``);
* the ``pre_kses`` filter ``wp_pre_kses_less_than``: a ``<`` with no ``>`` after it is HTML-escaped (``&lt;``,
  quotes become ``&quot;``/``&#039;``);
* ``wp_kses_split``: a stray ``>`` becomes ``&gt;``; tags that are not allowed in posts are removed (``<script>``);
  allowed tags (``<b>``, ``<a href=...>``) survive with their allowed attributes; HTML comments are kept, filtered.

Not modelled (documented approximations, never relevant to secrets, which must avoid ``& < > \\`` anyway):
``style`` attributes are dropped (WordPress keeps the declarations ``safecss_filter_attr`` allows), ``<object>``
tags lose their attributes (WordPress keeps a PDF on the site's own upload host), and Gutenberg block comments
(``<!-- wp:name {...} -->``) are kept as plain comments (WordPress re-serialises their JSON attributes).

Nothing here imports the agent, keyring or HTTP code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["mangled_characters", "rest_text_roundtrip"]

# --- Data copied from WordPress 6.1.9 ---------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# $allowedentitynames (kses.php).
_ENTITY_NAMES = _words(
    """
nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn acute micro para
middot cedil ordm raquo iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml
Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml
Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute
icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml
quot amp lt gt apos OElig oelig Scaron scaron Yuml circ tilde ensp emsp thinsp zwnj zwj lrm rlm ndash mdash
lsquo rsquo sbquo ldquo rdquo bdquo dagger Dagger permil lsaquo rsaquo euro fnof Alpha Beta Gamma Delta
Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho Sigma Tau Upsilon Phi Chi Psi Omega alpha
beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigmaf sigma tau upsilon phi
chi psi omega thetasym upsih piv bull hellip prime Prime oline frasl weierp image real trade alefsym larr uarr
rarr darr harr crarr lArr uArr rArr dArr hArr forall part exist empty nabla isin notin ni prod sum minus
lowast radic prop infin ang and or cap cup int sim cong asymp ne equiv le ge sub sup nsub sube supe oplus
otimes perp sdot lceil rceil lfloor rfloor lang rang loz spades clubs hearts diams sup1 sup2 sup3 frac14
frac12 frac34 there4
"""
)
# PHP's HTML 4.01 entity table (htmlspecialchars with double_encode=false keeps only these): kses's list minus apos.
_HTML4_ENTITY_NAMES = _ENTITY_NAMES - {"apos"}

# wp_kses_allowed_html('post'): every tag gets the global attributes (_wp_add_global_attributes) plus its own.
_GLOBAL_ATTRIBUTES = _words(
    "aria-describedby aria-details aria-hidden aria-label aria-labelledby class data-* dir id lang role style "
    "title xml:lang"
)
_POST_TAG_ATTRIBUTES: dict[str, str] = {
    "address": "",
    "a": "download href name rel rev target",
    "abbr": "",
    "acronym": "",
    "area": "alt coords href nohref shape target",
    "article": "align",
    "aside": "align",
    "audio": "autoplay controls loop muted preload src",
    "b": "",
    "bdo": "",
    "big": "",
    "blockquote": "cite",
    "br": "",
    "button": "disabled name type value",
    "caption": "align",
    "cite": "",
    "code": "",
    "col": "align char charoff span valign width",
    "colgroup": "align char charoff span valign width",
    "del": "datetime",
    "dd": "",
    "dfn": "",
    "details": "align open",
    "div": "align",
    "dl": "",
    "dt": "",
    "em": "",
    "fieldset": "",
    "figure": "align",
    "figcaption": "align",
    "font": "color face size",
    "footer": "align",
    "h1": "align",
    "h2": "align",
    "h3": "align",
    "h4": "align",
    "h5": "align",
    "h6": "align",
    "header": "align",
    "hgroup": "align",
    "hr": "align noshade size width",
    "i": "",
    "img": "align alt border height hspace loading longdesc src usemap vspace width",
    "ins": "cite datetime",
    "kbd": "",
    "label": "for",
    "legend": "align",
    "li": "align value",
    "main": "align",
    "map": "name",
    "mark": "",
    "menu": "type",
    "nav": "align",
    "object": "data type",
    "p": "align",
    "pre": "width",
    "q": "cite",
    "rb": "",
    "rp": "",
    "rt": "",
    "rtc": "",
    "ruby": "",
    "s": "",
    "samp": "",
    "span": "align",
    "section": "align",
    "small": "",
    "strike": "",
    "strong": "",
    "sub": "",
    "summary": "align",
    "sup": "",
    "table": "align bgcolor border cellpadding cellspacing rules summary width",
    "tbody": "align char charoff valign",
    "td": "abbr align axis bgcolor char charoff colspan headers height nowrap rowspan scope valign width",
    "textarea": "cols disabled name readonly rows",
    "tfoot": "align char charoff valign",
    "th": "abbr align axis bgcolor char charoff colspan headers height nowrap rowspan scope valign width",
    "thead": "align char charoff valign",
    "title": "",
    "tr": "align bgcolor char charoff valign",
    "track": "default kind label src srclang",
    "tt": "",
    "u": "",
    "ul": "type",
    "ol": "reversed start type",
    "var": "",
    "video": "autoplay controls height loop muted playsinline poster preload src width",
}
_ALLOWED: dict[str, frozenset[str]] = {
    tag: _GLOBAL_ATTRIBUTES | _words(extra) for tag, extra in _POST_TAG_ATTRIBUTES.items()
}
# wp_kses_uri_attributes() and wp_allowed_protocols().
_URI_ATTRIBUTES = _words(
    "action archive background cite classid codebase data formaction href icon longdesc manifest poster profile "
    "src usemap xmlns"
)
_PROTOCOLS = _words(
    "http https ftp ftps mailto news irc irc6 ircs gopher nntp feed telnet mms rtsp sms svn tel fax xmpp webcal urn"
)

# --- PHP primitives ------------------------------------------------------------------------------------------------

_PHP_TRIM = " \t\n\r\0\x0b"
_WS = "[ \\t\\n\\x0b\\x0c\\r]"  # PCRE's \s without UTF mode (the C locale): never Unicode spaces
_NOT_WS = "[^ \\t\\n\\x0b\\x0c\\r]"


def _php_stripslashes(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 < len(value):
                nxt = value[i + 1]
                out.append("\0" if nxt == "0" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _php_empty(value: str) -> bool:
    return value in ("", "0")


def _ascii_lower(value: str) -> str:
    return value.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _valid_unicode(i: int) -> bool:
    return i in (0x9, 0xA, 0xD) or 0x20 <= i <= 0xD7FF or 0xE000 <= i <= 0xFFFD or 0x10000 <= i <= 0x10FFFF


# --- kses ----------------------------------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SLASH_ZERO = re.compile(r"\\+0+")


def _no_null(value: str, *, remove_slash_zero: bool) -> str:
    value = _CONTROL.sub("", value)
    if remove_slash_zero:
        value = _SLASH_ZERO.sub("", value)
    return value


_NAMED = re.compile(r"&amp;([A-Za-z]{2,8}[0-9]{0,2});")
_DECIMAL = re.compile(r"&amp;#(0*[0-9]{1,7});")
_HEX = re.compile(r"&amp;#[Xx](0*[0-9A-Fa-f]{1,6});")


def _named_entity(m: re.Match[str]) -> str:
    name = m.group(1)
    return f"&{name};" if name in _ENTITY_NAMES else f"&amp;{name};"


def _decimal_entity(m: re.Match[str]) -> str:
    digits = m.group(1)
    if _php_empty(digits):
        return ""
    if _valid_unicode(int(digits)):
        return "&#" + (digits.lstrip("0")).rjust(3, "0") + ";"
    return f"&amp;#{digits};"


def _hex_entity(m: re.Match[str]) -> str:
    digits = m.group(1)
    if _php_empty(digits):
        return ""
    if not _valid_unicode(int(digits, 16)):
        return f"&amp;#x{digits};"
    return "&#x" + digits.lstrip("0") + ";"


def _normalize_entities(value: str) -> str:
    value = value.replace("&", "&amp;")
    value = _NAMED.sub(_named_entity, value)
    value = _DECIMAL.sub(_decimal_entity, value)
    return _HEX.sub(_hex_entity, value)


_NUMERIC_REF = re.compile(r"#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_NAMED_REF = re.compile(r"([A-Za-z0-9]+);")
_SPECIALCHARS = {"<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"}


def _htmlspecialchars_keep_entities(value: str) -> str:
    """PHP ``htmlspecialchars($v, ENT_QUOTES, 'UTF-8', false)``: valid entities are not encoded again."""
    out: list[str] = []
    for i, ch in enumerate(value):
        if ch == "&":
            rest = value[i + 1 :]
            numeric = _NUMERIC_REF.match(rest)
            named = _NAMED_REF.match(rest)
            if numeric is not None:
                code = int(numeric.group(1), 16) if numeric.group(1) is not None else int(numeric.group(2))
                keep = code <= 0x10FFFF
            else:
                keep = named is not None and named.group(1) in _HTML4_ENTITY_NAMES
            out.append("&" if keep else "&amp;")
        else:
            out.append(_SPECIALCHARS.get(ch, ch))
    return "".join(out)


def _esc_html(value: str) -> str:
    if not re.search("[&<>\"']", value):
        return value
    return _htmlspecialchars_keep_entities(_normalize_entities(value))


_LESS_THAN = re.compile(r"<[^>]*?((?=<)|>|$)")
_BLOCK_TRIPLE_DASH = re.compile(r"<!--(.*?)--->")


def _pre_kses(value: str) -> str:
    # wp_pre_kses_less_than: a '<' that never gets its '>' is escaped.
    value = _LESS_THAN.sub(lambda m: _esc_html(m.group(0)) if ">" not in m.group(0) else m.group(0), value)
    # wp_pre_kses_block_attributes -> filter_block_content (block parsing itself is not modelled).
    if "<!--" in value and "--->" in value:
        value = _BLOCK_TRIPLE_DASH.sub(lambda m: "<!--" + m.group(1).rstrip("-") + "-->", value)
    return value


_SPLIT = re.compile(r"(<!--.*?(-->|$))|(<[^>]*(>|$)|>)")
_TAG = re.compile(rf"^<{_WS}*(/{_WS}*)?([a-zA-Z0-9-]+)([^>]*)>?$")
_XHTML_SLASH = re.compile(rf"{_WS}*/{_WS}*$")


def _kses(value: str) -> str:
    value = _no_null(value, remove_slash_zero=False)
    value = _normalize_entities(value)
    value = _pre_kses(value)
    return _SPLIT.sub(lambda m: _split2(m.group(0)), value)


def _split2(part: str) -> str:
    part = part.replace('\\"', '"')  # wp_kses_stripslashes
    if not part.startswith("<"):
        return "&gt;"
    if part.startswith("<!--"):
        part = part.replace("<!--", "").replace("-->", "")
        while (filtered := _kses(part)) != part:
            part = filtered
        if part == "":
            return ""
        part = re.sub("--+", "-", part)
        part = re.sub("-$", "", part)
        return f"<!--{part}-->"
    m = _TAG.match(part)
    if m is None:
        return ""
    slash, element, attributes = m.group(1) or "", m.group(2), m.group(3)
    if element.lower() not in _ALLOWED:
        return ""
    if slash.strip(_PHP_TRIM) != "":
        return f"</{element}>"
    return _attributes(element, attributes)


@dataclass
class _Attribute:
    name: str
    value: str
    whole: str
    valueless: bool


def _attributes(element: str, attributes: str) -> str:
    """wp_kses_attr: keep the allowed attributes of an allowed element."""
    xhtml_slash = " /" if _XHTML_SLASH.search(attributes) else ""
    element_low = element.lower()
    parsed = _hair(attributes)
    required = {"data", "type"} if element_low == "object" else set()
    stripped_tag = "" if xhtml_slash else f"<{element}>"
    kept = ""
    for attr in parsed:
        is_required = attr.name.lower() in required
        if _attribute_allowed(attr, element_low):
            kept += " " + attr.whole
            required.discard(attr.name.lower())
        elif is_required:
            return stripped_tag
    if required:
        return stripped_tag
    kept = re.sub("[<>]", "", kept)
    return f"<{element}{kept}{xhtml_slash}>"


def _attribute_allowed(attr: _Attribute, element_low: str) -> bool:
    """wp_kses_attr_check for the post context."""
    name_low = attr.name.lower()
    if name_low not in _ALLOWED[element_low] and not re.fullmatch(r"data(?:-[a-z0-9_]+)+", name_low):
        return False
    if name_low == "style":
        return False  # approximation: safecss_filter_attr is not modelled
    if element_low == "a" and name_low == "download":
        return attr.valueless
    if element_low == "object":
        # type must be application/pdf; data must be a PDF on the site's own upload host, which we cannot know.
        return name_low == "type" and attr.value.lower() == "application/pdf"
    return True


_ATTR_NAME = re.compile(r"^([_a-zA-Z][-_a-zA-Z0-9:.]*)")
_EQUALS = re.compile(rf"^{_WS}*={_WS}*")
_SPACES = re.compile(rf"^{_WS}+")
_DQ_MATCH = re.compile(rf'^"([^"]*)"({_WS}+|/?$)')
_DQ_REMOVE = re.compile(rf'^"[^"]*"({_WS}+|$)')
_SQ_MATCH = re.compile(rf"^'([^']*)'({_WS}+|/?$)")
_SQ_REMOVE = re.compile(rf"^'[^']*'({_WS}+|$)")
_UQ_MATCH = re.compile(rf"^([^ \t\n\x0b\x0c\r\"']+)({_WS}+|/?$)")
_UQ_REMOVE = re.compile(rf"^[^ \t\n\x0b\x0c\r\"']+({_WS}+|$)")
_HTML_ERROR = re.compile(rf"^(\"[^\"]*(\"|$)|'[^']*('|$)|{_NOT_WS})*{_WS}*")


def _hair(attr: str) -> list[_Attribute]:
    """wp_kses_hair: parse an attribute list, however malformed."""
    found: dict[str, _Attribute] = {}
    mode = 0
    name = ""

    def value_of(raw: str) -> str:
        return _bad_protocol(raw) if name.lower() in _URI_ATTRIBUTES else raw

    while attr != "":
        working = False
        if mode == 0:
            m = _ATTR_NAME.match(attr)
            if m:
                name = m.group(1)
                working, mode = True, 1
                attr = attr[m.end() :]
        elif mode == 1:
            if m := _EQUALS.match(attr):
                working, mode = True, 2
                attr = attr[m.end() :]
            elif m := _SPACES.match(attr):
                working, mode = True, 0
                found.setdefault(name, _Attribute(name, "", name, True))
                attr = attr[m.end() :]
        else:
            for match_re, remove_re, quote in (
                (_DQ_MATCH, _DQ_REMOVE, '"'),
                (_SQ_MATCH, _SQ_REMOVE, "'"),
                (_UQ_MATCH, _UQ_REMOVE, '"'),
            ):
                if m := match_re.match(attr):
                    value = value_of(m.group(1))
                    found.setdefault(name, _Attribute(name, value, f"{name}={quote}{value}{quote}", False))
                    working, mode = True, 0
                    attr = remove_re.sub("", attr, count=1)
                    break
        if not working:
            attr = _HTML_ERROR.sub("", attr, count=1)
            mode = 0
    if mode == 1:
        found.setdefault(name, _Attribute(name, "", name, True))
    return list(found.values())


_COLON_ENTITY_FIX = re.compile(r"(&#0*58(?![;0-9])|&#x0*3a(?![;a-f0-9]))", re.IGNORECASE)
_COLON = re.compile(r":|&#0*58;|&#x0*3a;|&colon;", re.IGNORECASE)


def _bad_protocol(value: str) -> str:
    """wp_kses_bad_protocol: strip URL schemes that are not allowed."""
    value = _no_null(value, remove_slash_zero=True)
    iterations = 0
    while True:
        original = value
        value = _bad_protocol_once(value, 1)
        iterations += 1
        if not (original != value and iterations < 6):
            break
    return "" if original != value else value


def _bad_protocol_once(value: str, count: int) -> str:
    value = _COLON_ENTITY_FIX.sub(r"\1;", value)
    parts = _COLON.split(value, maxsplit=1)
    if len(parts) == 2 and "/?" not in parts[0]:
        rest = parts[1].strip(_PHP_TRIM)
        protocol = _bad_protocol_scheme(parts[0])
        if protocol == "feed:":
            if count > 2:
                return ""
            rest = _bad_protocol_once(rest, count + 1)
            if _php_empty(rest):
                return rest
        value = protocol + rest
    return value


def _bad_protocol_scheme(scheme: str) -> str:
    scheme = re.sub(r"&#([0-9]+);", lambda m: chr(int(m.group(1)) % 256), scheme)
    scheme = re.sub(r"&#[Xx]([0-9A-Fa-f]+);", lambda m: chr(int(m.group(1), 16) % 256), scheme)
    scheme = re.sub(_WS, "", scheme)
    scheme = _ascii_lower(_no_null(scheme, remove_slash_zero=True))
    return f"{scheme}:" if scheme in _PROTOCOLS else ""


# --- Public API ----------------------------------------------------------------------------------------------------


def rest_text_roundtrip(value: str) -> str:
    """What WooCommerce stores (and a later GET returns) when ``value`` is PUT as a text/password setting."""
    return _kses(_php_stripslashes(value).strip(_PHP_TRIM))


def mangled_characters(value: str) -> list[tuple[str, str]]:
    """The characters of ``value`` that the REST path changes, each with a short reason; ``[]`` if it survives.

    Each reason reads after the character and before "by WordPress's REST API", e.g. ``('&', "is changed to
    '&amp;' (or the entity it starts is rewritten)")`` or ``(' ', "is trimmed off the start or end")``. Each
    character is listed once, in the order of its first appearance.
    """
    result = rest_text_roundtrip(value)
    if result == value:
        return []
    found: dict[str, str] = {}

    def add(ch: str, reason: str) -> None:
        found.setdefault(ch, reason)

    for ch in value:
        if ch == "\\" or _CONTROL.match(ch):
            add(ch, "is removed")
    stripped = _php_stripslashes(value)
    trimmed = stripped.strip(_PHP_TRIM)
    head = stripped[: len(stripped) - len(stripped.lstrip(_PHP_TRIM))]
    tail = stripped[len(stripped.rstrip(_PHP_TRIM)) :] if trimmed else ""
    for ch in head + tail:
        if ch != "\0":
            add(ch, "is trimmed off the start or end")
    clean = _no_null(trimmed, remove_slash_zero=False)
    entities = _normalize_entities(clean)
    if entities != clean:
        add("&", "is changed to '&amp;' (or the entity it starts is rewritten)")
    filtered = _kses(clean)
    for ch, reason in (
        ("<", "is escaped to '&lt;' or removed with its HTML tag"),
        (">", "is escaped to '&gt;' or removed with its HTML tag"),
        ('"', "is escaped or removed with the HTML tag around it"),
        ("'", "is escaped or removed with the HTML tag around it"),
    ):
        if filtered.count(ch) != entities.count(ch):
            add(ch, reason)
    if not found:  # e.g. '<br/>' becomes '<br />': point at the first character that differs
        index = next((i for i, (a, b) in enumerate(zip(value, result, strict=False)) if a != b), None)
        index = min(len(value), len(result)) if index is None else index
        ch = value[min(index, len(value) - 1)]
        add(ch, "is part of HTML markup or an entity that is rewritten")
    order = {ch: value.find(ch) for ch in found}
    return sorted(found.items(), key=lambda item: order[item[0]])
