"""Title and genre normalisation shared by training and serving (pure Python, no Dagster).

Training and serving must turn a title into exactly the same string, so both call `normalise_title`.
It has to survive real IMDb titles: any script (accents folded, Cyrillic, Greek, CJK and Devanagari
kept as letters), typographic punctuation, "Matrix, The", "Part II", "Vol. 2", "1,000", "U.S.A.".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from imdb_assets.contracts.vocabulary import IMDB_GENRES

# Articles IMDb (and older dumps) move to the end: "Matrix, The", "Cité des enfants perdus, La".
_ARTICLES = (
    "the", "a", "an",  # English
    "le", "la", "les", "l'", "un", "une",  # French
    "el", "los", "las", "una",  # Spanish
    "il", "lo", "gli",  # Italian
    "der", "die", "das", "ein", "eine",  # German
    "de", "het", "een", "den", "det",  # Dutch / Scandinavian
    "os",  # Portuguese
)  # fmt: skip
# Not "i", "o", "as": in English titles ("Hold Me, I", "Romeo, O") they are not moved articles.
_ARTICLE_PATTERN = "|".join(sorted((re.escape(a) for a in _ARTICLES), key=len, reverse=True))
# "Rest, The" at the end, or "Rest, The: Subtitle" / "Rest, The - Subtitle" before a subtitle.
_TRAILING_ARTICLE = re.compile(
    rf"^(?P<rest>.+?),\s*(?P<article>{_ARTICLE_PATTERN})(?P<tail>\s*(?:[:\-\u2013\u2014(].*)?)$", re.IGNORECASE
)

_ROMAN = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
    "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17, "xviii": 18, "xix": 19, "xx": 20,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
}  # fmt: skip
_SEQUEL_WORDS = r"part|pt|chapter|chap|episode|ep|vol|volume|book|act|season|series|round|level"
_ROMAN_ALTERNATION = "|".join(sorted(_ROMAN, key=len, reverse=True))
_MULTI_LETTER_ROMAN = "|".join(sorted((r for r in _ROMAN if len(r) > 1), key=len, reverse=True))
# After a sequel word any numeral is a number ("Part I", "Episode V", "Part Two"). Elsewhere only
# numerals of two or more letters, and only at the end of the title or before a subtitle ("Rocky II",
# "Rocky II: ..."): a lone "V" or "X" is too often a word ("Malcolm X").
_NUMERALS = re.compile(
    rf"\b(?P<word>{_SEQUEL_WORDS})\.?\s+(?P<number>{_ROMAN_ALTERNATION}|{'|'.join(_NUMBER_WORDS)})\b"
    rf"|(?<=\s)(?P<trailing>{_MULTI_LETTER_ROMAN})(?=\s*(?:$|[:\-\u2013\u2014(]))",
    re.IGNORECASE,
)

# Every match of _NUMERALS in an ASCII title contains one of these (a sequel word, or the first two letters
# of a multi-letter numeral), in any case: one scan for them skips the costly pattern on ~90% of titles.
# Non-ASCII titles always take the full pattern (IGNORECASE also matches a few non-ASCII letters).
_NUMERAL_HINT = re.compile("act|book|chap|ep|level|part|pt|round|season|series|vol|ii|iv|ix|vi|xi|xv|xx")

_DIGIT_GROUPING = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")  # "1,000" -> "1000"
_DOTTED_ACRONYM = re.compile(r"\b(?:\w\.){2,}")  # "U.S.A." -> "USA"


class _WordCharacters(dict):
    """`str.translate` table, filled lazily: letters, digits and combining marks stay, all else is a space."""

    def __missing__(self, code: int) -> str | None:
        # Marks (M*) are kept: vowel signs of Indic scripts, kana voicing marks are part of the word.
        kept = unicodedata.category(chr(code))[0] in "LNM"
        self[code] = value = chr(code) if kept else " "
        return value


# Apostrophes join their word ("Don't" -> "dont", "Life's" -> "lifes") instead of splitting it.
_WORD_CHARACTERS = _WordCharacters(dict.fromkeys(map(ord, "'\u2019\u2018\u02bc`\u00b4"), None))


def _is_accent_script(base: str) -> bool:
    """Latin and Greek: scripts whose diacritics are accents to fold. Not Cyrillic ("й" is its own
    letter), and not scripts whose marks are vowels or voicing (Devanagari, kana)."""
    code = ord(base)
    return code < 0x0250 or 0x0370 <= code <= 0x03FF or 0x1E00 <= code <= 0x1FFF


def _fold_accents(text: str) -> str:
    """ "Amélie" -> "Amelie", "Ｔｏｋｙｏ" -> "Tokyo", "ﬁve" -> "five"; marks of other scripts are kept
    ("दिल से" keeps its vowel signs, "Ночной" its "й"), so only Latin and Greek accents are folded."""
    if text.isascii():
        return text
    kept: list[str] = []
    base = " "
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.category(char) == "Mn":
            if _is_accent_script(base):
                continue
        else:
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _move_trailing_article(text: str) -> str:
    match = _TRAILING_ARTICLE.match(text)
    if not match:
        return text
    article = match["article"]
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{match['rest'].strip()}{match['tail']}"


def _numeral_to_digits(match: re.Match) -> str:
    if match["word"]:
        number = match["number"].lower()
        return f"{match['word']} {_ROMAN.get(number) or _NUMBER_WORDS[number]}"
    return str(_ROMAN[match["trailing"].lower()])


def normalise_title(title: str) -> str:
    """Lower-case words separated by single spaces, the same at training and at prediction time.

    "Amélie" -> "amelie", "Matrix, The" -> "the matrix", "Rocky II" -> "rocky 2",
    "Star Wars: Episode V - The Empire Strikes Back" -> "star wars episode 5 the empire strikes back",
    "Don't Look Up" -> "dont look up", "Ночь" -> "ночь", "千と千尋の神隠し" is kept as is.
    """
    text = str(title).strip()
    if not text.isascii():
        text = _fold_accents(text)
    # The cheap `in` tests skip regular expressions that cannot match (most titles): ~3 us a title.
    if "," in text:
        text = _move_trailing_article(text)
    if not text.isascii() or _NUMERAL_HINT.search(text.lower()):
        text = _NUMERALS.sub(_numeral_to_digits, text)
    if "." in text or "," in text:
        text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
        text = _DIGIT_GROUPING.sub("", text)
    if "&" in text or "+" in text:
        text = text.replace("&", " and ").replace("+", " plus ")
    return " ".join(text.casefold().translate(_WORD_CHARACTERS).split())


# Characters that send a title down a branch of `normalise_title` (trailing article, acronym, digit
# grouping, "&" and "+"): titles holding one take the Python path in `normalise_titles`.
_BRANCH_CHARACTERS = "[,.&+]"


def normalise_titles(titles: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`normalise_title` of many titles at once: exactly `pa.array([normalise_title(t) for t in
    titles.to_pylist()])` (a null is cleaned as `normalise_title(None)`), with the type of `titles`.

    For an ASCII title with no branch character and no numeral hint, `normalise_title` reduces to
    lower-case (casefold on ASCII), drop "'" and "`", turn every run of other non-alphanumerics into one
    space (ASCII's only letters, digits and marks are a-z, A-Z, 0-9), trim: Arrow does that in C++ for
    ~83% of IMDb's titles. Every other title goes through `normalise_title` itself, so the two paths
    cannot drift apart on the hard cases (~0.25 s instead of ~0.5 s for IMDb's 160 k distinct titles).
    """
    if isinstance(titles, pa.ChunkedArray):
        titles = titles.combine_chunks()
    lowered = pc.ascii_lower(titles)
    takes_branch = pc.or_kleene(
        pc.match_substring_regex(titles, _BRANCH_CHARACTERS),
        pc.match_substring_regex(lowered, _NUMERAL_HINT.pattern),
    )
    simple = pc.and_kleene(pc.string_is_ascii(titles), pc.invert(takes_branch))
    needs_python = pc.invert(pc.fill_null(simple, False))  # nulls too: normalise_title(None) says how
    words = pc.replace_substring(pc.replace_substring(lowered, "'", ""), "`", "")
    # Most titles are already words and single spaces: only the others pay for the regex replace.
    messy = pc.match_substring_regex(words, "[^a-z0-9 ]|  ")
    spaced = pc.replace_substring_regex(pc.filter(words, messy), "[^a-z0-9]+", " ")
    cleaned = pc.ascii_trim(pc.replace_with_mask(words, messy, spaced), " ")
    python_titles = pc.filter(titles, needs_python).to_pylist()
    if not python_titles:
        return cleaned
    python_cleaned = pa.array([normalise_title(title) for title in python_titles], cleaned.type)
    return pc.replace_with_mask(cleaned, needs_python, python_cleaned)


# Genres a person may type in another spelling: "sci fi", "SCIFI", "film noir" -> IMDb's names.
_GENRE_BY_KEY = {re.sub(r"[^a-z]", "", g.lower()): g for g in IMDB_GENRES}


def canonical_genre(genre: str) -> str:
    """IMDb's spelling of a genre if it is one of IMDb's (any case, spacing, hyphens), else the stripped input."""
    stripped = " ".join(str(genre).split())
    return _GENRE_BY_KEY.get(re.sub(r"[^a-z]", "", stripped.lower()), stripped)


def split_genres(genres: str | Iterable[str] | None) -> list[str]:
    """IMDb's comma-separated genre list (or an iterable of genres) as a sorted, de-duplicated list of
    genre names in IMDb's spelling; `\\N`, empty items and None are dropped, unknown genres are kept
    (the model ignores them and serving reports them)."""
    if genres is None or (isinstance(genres, float) and math.isnan(genres)):
        return []
    items = genres.split(",") if isinstance(genres, str) else list(genres)
    cleaned = (canonical_genre(g) for g in items if g is not None)
    return sorted({g for g in cleaned if g and g != "\\N"})
