"""Synthetic IMDb snapshots: `title.basics.tsv.gz` and `title.ratings.tsv.gz` in IMDb's exact format.

The files are tab-separated UTF-8 with one header row, `\\N` for null and no quoting of any kind (a title
may hold `"`, `'` or `,` as plain text), gzipped -- what https://datasets.imdbws.com/ publishes daily.

Everything is vectorised (numpy draws, pyarrow string kernels), so IMDb's full 11.8 M titles take seconds:

* rows are generated in chunks of `CHUNK_ROWS`, each with its own seeded generator, so the output depends
  only on the arguments (never on threads or timing);
* each chunk becomes one block of text by joining its columns with pyarrow (`binary_join_element_wise`),
  the joined string array's data buffer *is* the file body;
* the body is deflated in independent pieces on a thread pool and stitched into one ordinary gzip member
  (pigz's technique: every piece ends on a sync flush, one final empty block, one CRC for the whole body),
  header mtime 0, so equal arguments give byte-identical files.

The rating is a noisy function of hidden effects -- per genre (fixed) and per title word (drawn from the
seed) -- and of the title type, so a title+genres classifier can learn something, but far from all.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from imdb_assets.contracts.vocabulary import IMDB_GENRES, TITLE_TYPES
from imdb_assets.files import atomic_output

BASICS_FILE = "title.basics.tsv.gz"
RATINGS_FILE = "title.ratings.tsv.gz"
BASICS_COLUMNS: tuple[str, ...] = (
    "tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear",
    "runtimeMinutes", "genres",
)  # fmt: skip
RATINGS_COLUMNS: tuple[str, ...] = ("tconst", "averageRating", "numVotes")
NULL = "\\N"

CHUNK_ROWS = 1 << 20  # rows generated per chunk (part of the output's definition: do not change lightly)
PIECE_BYTES = 4 << 20  # uncompressed bytes deflated per task
MAX_VOTES = 3_000_000
LAST_YEAR = 2026

# --------------------------------------------------------------------------------------------------
# Vocabularies and the fixed parts of the model
# --------------------------------------------------------------------------------------------------

_G = {g: i for i, g in enumerate(IMDB_GENRES)}
_T = {t: i for i, t in enumerate(TITLE_TYPES)}

# title type: (share of all titles, share rated, mean rating, median votes, runtime mean, sd, min, max,
#              runtime null share, start-year null share, year scale (larger = older titles))
# The shares follow IMDb's dumps (/work/shared/IMDB_DATA.md): of ~11.8 M titles about 77% are episodes and
# 6.1% movies; ~1.6 M are rated, ~330 k of them movies (46% of the movies). About 2% of the rated draws
# fall on titles dated next year, which stay unrated, so the rated shares sit a little above the targets.
_TYPE_TABLE: dict[str, tuple[float, float, float, float, float, float, int, int, float, float, float]] = {
    "tvEpisode": (0.7707, 0.090, 7.3, 12, 38, 16, 3, 180, 0.70, 0.07, 14),
    "short": (0.0900, 0.170, 6.8, 12, 11, 8, 1, 45, 0.35, 0.02, 30),
    "movie": (0.0610, 0.470, 6.2, 90, 96, 22, 40, 320, 0.15, 0.02, 28),
    "video": (0.0260, 0.200, 6.5, 15, 62, 30, 5, 240, 0.50, 0.02, 14),
    "tvSeries": (0.0240, 0.370, 6.9, 40, 42, 15, 5, 180, 0.55, 0.02, 16),
    "tvMovie": (0.0135, 0.380, 6.3, 35, 86, 14, 40, 200, 0.25, 0.02, 24),
    "tvMiniSeries": (0.0055, 0.380, 7.0, 40, 52, 18, 10, 200, 0.45, 0.02, 14),
    "tvSpecial": (0.0045, 0.330, 6.8, 20, 62, 28, 5, 240, 0.40, 0.02, 16),
    "videoGame": (0.0036, 0.440, 6.8, 30, 0, 0, 0, 0, 1.00, 0.02, 12),
    "tvShort": (0.0010, 0.280, 6.9, 10, 9, 6, 1, 40, 0.40, 0.02, 30),
    "tvPilot": (0.0002, 0.200, 6.5, 10, 40, 15, 5, 120, 0.50, 0.02, 20),
}
if abs(sum(row[0] for row in _TYPE_TABLE.values()) - 1.0) > 1e-9:  # a mix, not weights: edits must keep it whole
    raise ValueError("_TYPE_TABLE: the title-type shares must sum to 1")
_TYPE_SHARE = np.array([_TYPE_TABLE[t][0] for t in TITLE_TYPES])
_TYPE_SHARE = _TYPE_SHARE / _TYPE_SHARE.sum()
_RATED_SHARE = np.array([_TYPE_TABLE[t][1] for t in TITLE_TYPES])
_MEAN_RATING = np.array([_TYPE_TABLE[t][2] for t in TITLE_TYPES])
_LOG_MEDIAN_VOTES = np.log([_TYPE_TABLE[t][3] for t in TITLE_TYPES])
_RT_MEAN, _RT_SD, _RT_MIN, _RT_MAX, _RT_NULL, _YEAR_NULL, _YEAR_SCALE = (
    np.array([_TYPE_TABLE[t][k] for t in TITLE_TYPES], dtype=np.float64) for k in range(4, 11)
)
_MOVIE = _T["movie"]
_EPISODE = _T["tvEpisode"]
_SHORT_TYPES = np.array([_T["short"], _T["tvShort"]])
_TV_TYPES = np.array([_T["tvEpisode"], _T["tvSeries"], _T["tvSpecial"], _T["tvPilot"]])
_SERIES, _MINI = _T["tvSeries"], _T["tvMiniSeries"]

# genre: (weight for films, weight for television, effect on rating in latent sd units)
_GENRE_TABLE: dict[str, tuple[float, float, float]] = {
    "Action": (6.0, 4.0, -0.30), "Adult": (0.0, 0.0, -0.40), "Adventure": (4.5, 4.0, -0.05),
    "Animation": (3.0, 6.0, 0.30), "Biography": (3.5, 1.2, 0.45), "Comedy": (19.0, 20.0, -0.10),
    "Crime": (6.0, 6.0, 0.05), "Documentary": (18.0, 8.0, 0.75), "Drama": (34.0, 22.0, 0.20),
    "Family": (3.5, 7.0, 0.00), "Fantasy": (2.8, 2.5, -0.15), "Film-Noir": (0.08, 0.01, 0.40),
    "Game-Show": (0.02, 3.0, 0.00), "History": (3.0, 2.5, 0.45), "Horror": (7.0, 1.2, -1.00),
    "Music": (4.0, 3.5, 0.30), "Musical": (1.2, 0.5, 0.10), "Mystery": (3.0, 3.0, -0.10),
    "News": (0.4, 5.0, 0.30), "Reality-TV": (0.2, 7.0, -0.20), "Romance": (7.5, 6.0, 0.00),
    "Sci-Fi": (2.5, 1.5, -0.55), "Short": (0.0, 0.5, 0.15), "Sport": (1.8, 2.5, 0.20),
    "Talk-Show": (0.1, 9.0, 0.10), "Thriller": (6.5, 2.0, -0.45), "War": (1.5, 0.6, 0.35),
    "Western": (1.0, 0.4, 0.00),
}  # fmt: skip
_GENRE_WEIGHT_FILM = np.array([_GENRE_TABLE[g][0] for g in IMDB_GENRES])
_GENRE_WEIGHT_TV = np.array([_GENRE_TABLE[g][1] for g in IMDB_GENRES])
_GENRE_EFFECT = 1.3 * np.array([_GENRE_TABLE[g][2] for g in IMDB_GENRES])

# rating model: latent z = genre effect + word effect + noise (sd ~1); rating = 10 - exp(a_type - B * z)
_WORD_SD = 0.40  # sd of the summed per-word effects of a title
_NOISE_SD = 0.85
_GENRE_CENTER = 0.15  # typical genre effect, subtracted so z is roughly centred
_Z_SD = float(np.sqrt(_WORD_SD**2 + _NOISE_SD**2 + 0.20))
_B = 0.33
_FEW_VOTES_SD = 1.6  # extra rating noise sd (in stars) at 1 vote, shrinking with sqrt(votes)
_A = np.log(10.0 - _MEAN_RATING) - _B**2 / 2

_ARTICLES = ("The", "The", "The", "The", "The", "The", "The", "A", "My", "Our")
_CONNECTORS = (
    "of", "of the", "of the", "and", "and the", "in", "in the", "on", "at the", "for", "with", "to", "from",
    "&", "vs.", "Without", "Beyond the", "Under the", "After the", "Before the", "Inside", "on the",
)  # fmt: skip
_SEQUELS = (
    "II", "2", "3", "III", "Part II", "Part III", "Part 2", "4", "IV", "Returns", "Reloaded",
    "Chapter 2", "Vol. 1", "Vol. 2", "Redux", "Begins", "Forever", "Again",
)  # fmt: skip
_TRAILING_ARTICLES = (", The", ", The", ", The", ", A")

# content words, most frequent first (sampled with Zipf-like weights); each gets a hidden effect
_WORDS_TEXT = """
Love Night Man Life Day World Story Girl Time Home Death Dream Blood Dark Last Christmas House Heart Game
Road City Little Secret Black Life's Return Big New Lost Woman King Summer Family Street War Light Red
Queen Blue White Devil Sun Angel Moon Golden Wild Death's Boy Lady School Party Fire Water Kill Star
Ghost Dead Beautiful Time's Deep Journey Great Dance Mother Father Sister Brother Children Heaven Hell
Island River Sea Mountain Forest Garden Wedding Money Power Silence Shadow Shadows Road's Stranger Hunter
Killer Doctor Detective Princess Prince Soldier Warrior Witch Monster Dragon Robot Zombie Vampire Alien
Planet Space Galaxy Future Past Memory Memories Promise Truth Lies Justice Revenge Escape Rescue Chase
Run Fight Storm Rain Snow Winter Spring Autumn Morning Evening Midnight Tomorrow Yesterday Forever
Always Never Nothing Everything Someone Nobody Hello Goodbye Welcome Paradise Empire Kingdom Legend
Legacy Mystery Miracle Magic Spirit Soul Mind Eyes Hands Voice Song Music Dancer Singer Painter Writer
Hero Heroes Villain Thief Liar Lover Lovers Friend Friends Enemy Enemies Stranger's Neighbours Town
Village Country Border Desert Ocean Valley Bridge Tower Castle Palace Hotel Café Restaurant Kitchen Bed
Room Door Window Wall Road Train Car Ship Plane Bus Taxi Bike Horse Dog Cat Bird Wolf Tiger Lion Bear
Snake Fish Spider Butterfly Rose Flower Tree Stone Gold Silver Diamond Iron Steel Glass Paper Ink Letter
Letters Book Books Film Picture Photograph Camera Mirror Clock Key Box Gift Treasure Map Code Number
Zero One Two Three Seven Ten Hundred Thousand Million 2 7 13 21 100 1917 1984 2001 9/11 24 Amélie Déjà
Vu Noël Señor Mañana Über Fiancé Naïve Résumé Zoë Piñata Crème Jalapeño São Paulo Côte México Zürich
Don't Can't Won't Ain't It's Nobody's Devil's Father's Mother's O'Brien Hell's 'Til Ol' Rock'n'Roll
Mr. Mrs. Dr. St. Jr. Now! Why? Help! Stop! Go! Wow! "Bob" "Happy" "Weird" Mother-in-Law Blue-Eyed
Long-Distance Half-Life Jack Sarah Johnny Mary Billy Lucy Max Anna Charlie Emma Frank Rosa Harry Ali
Tokyo Paris London Berlin Rome Vegas Texas Brooklyn Hollywood Chicago Mumbai Cairo Havana Alaska Africa
America American English French Italian Chinese Indian Irish Mexican Russian Spanish Swedish Good Bad
Ugly Happy Sad Angry Crazy Mad Silent Quiet Loud Strange Perfect Broken Hidden Forgotten Final First
Second Third Young Old Eternal Endless Sweet Bitter Cold Hot Frozen Burning Falling Rising Running
Flying Dying Living Sleeping Waking Dancing Singing Killing Hunting Searching Waiting Missing Wanted
Innocent Guilty Holy Sacred Savage Brave Lonely Free True False Real Fake Rich Poor Royal Dirty Pretty
Beast Beauty Sins Sinner Saint Saints Rebel Rebels Outlaw Outlaws Gang Boss Mafia Cop Cops Spy Spies
Agent Mission Operation Project Protocol Experiment Evidence Verdict Trial Case Files Diaries Diary
Chronicles Tales Tale Adventures Saga Odyssey Quest Voyage Show Live Concert Tour Special Awards Night's
Weekend Holiday Vacation Birthday Anniversary Reunion Funeral Honeymoon Divorce Marriage Baby Babies
Kids Teen Teens Girls Boys Women Men People Ladies Gentlemen Brothers Sisters Daughters Sons Mothers
"""
_WORDS = tuple(dict.fromkeys(_WORDS_TEXT.split()))  # de-duplicated, in order of first appearance
# foreign words for an originalTitle that differs from the primary (English) title
_FOREIGN_ARTICLES = ("La", "Le", "Les", "El", "Los", "Die", "Der", "Das", "Il", "O", "Den", "De")
_FOREIGN_TEXT = """
amour nuit vie fille homme femme cœur été hiver mort rêve ciel mer château fabuleux destin hombre
mujer corazón noche sangre vida amor ciudad camino niña muerte Mädchen Straße König Liebe Nacht Leben
Frau Mann Herz Schön Geschichte Himmel Grüße amore notte città vita donna uomo cuore bella dolce
strada água cidade coração saudade noite Kärlek natt liv hjärta sommar Ночь Любовь Война Мир Жизнь
Брат Город Сердце Ζωή Νύχτα Αγάπη 愛 夜 東京 物語 千と千尋 神隠し 花 雨 사랑 밤 하늘 서울 दिल प्यार
Ölüm Aşk Gece Żywot Miłość Noc Życie Łódź Über Größe Fräulein déjà vécu
"""
_FOREIGN_WORDS = tuple(dict.fromkeys(_FOREIGN_TEXT.split()))

_EPISODE_NUMBERED = 0.35  # share of tvEpisode rows titled "Episode #S.E"

# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotSummary:
    out_dir: Path
    titles: int  # rows in title.basics
    rated: int  # rows in title.ratings
    rated_movies: int
    seconds: float

    def line(self) -> str:
        return (
            f"{self.out_dir}: {self.titles:,} titles, {self.rated:,} ratings "
            f"({self.rated_movies:,} rated movies) in {self.seconds:.1f} s"
        )


def write_snapshot(out_dir: Path, titles: int = 8000, seed: int = 0) -> SnapshotSummary:
    """Write a fresh synthetic snapshot of `titles` titles (tt0000001 upwards) into `out_dir`."""
    t0 = time.perf_counter()
    if titles < 1:
        raise ValueError("titles must be >= 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = _World.from_seed(seed)
    level = _compress_level(titles)
    ratings: list[_Ratings] = []
    rated_movies = 0

    def chunk(chunk_no: int) -> _Chunk:
        start = chunk_no * CHUNK_ROWS
        rng = np.random.default_rng([seed, _TAG_CHUNK, chunk_no])
        return _generate_titles(rng, world, first_id=start + 1, n=min(CHUNK_ROWS, titles - start))

    n_chunks = -(-titles // CHUNK_ROWS)
    with (
        ThreadPoolExecutor(_workers()) as pool,
        ThreadPoolExecutor(_workers()) as gen_pool,
        _AtomicFiles(out_dir) as files,
    ):
        basics = files.gzip(BASICS_FILE, level, pool)
        basics.add(_header(BASICS_COLUMNS))
        for part in _ordered_map(gen_pool, chunk, range(n_chunks), ahead=_workers()):
            basics.add(part.body)
            ratings.append(part.ratings)
            rated_movies += part.rated_movies
        basics.close()
        merged = _Ratings.concat(ratings)
        _write_ratings(files.gzip(RATINGS_FILE, level, pool), merged)
    return SnapshotSummary(out_dir, titles, len(merged), rated_movies, time.perf_counter() - t0)


def write_next_day(from_dir: Path, out_dir: Path, change_rate: float = 0.01, seed: int = 1) -> SnapshotSummary:
    """Write the snapshot that follows the one in `from_dir` into `out_dir` (which may be `from_dir`).

    Every title is kept byte for byte; about `change_rate / 2 * titles` new titles are appended with higher
    tconsts; about `change_rate` of the rated titles get more votes (numVotes only grows) and a drifted
    averageRating; some previously unrated titles get their first rating. Only tconst, titleType and genres
    of the old title.basics are parsed, so a real IMDb snapshot can be the source too.
    New titles draw their hidden word effects from `seed` (the source snapshot's seed is not recorded).
    """
    t0 = time.perf_counter()
    if not 0.0 <= change_rate <= 1.0:
        raise ValueError("change_rate must be within [0, 1]")
    from_dir, out_dir = Path(from_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, _TAG_NEXT_DAY])
    world = _World.from_seed(seed)
    old_ratings = _read_ratings(from_dir / RATINGS_FILE)
    level = 1 if (from_dir / BASICS_FILE).stat().st_size >= _LEVEL1_FROM_BYTES else 6

    with ThreadPoolExecutor(_workers()) as pool, _AtomicFiles(out_dir) as files:
        # the old basics go through unchanged, recompressed while they are being decompressed
        basics = files.gzip(BASICS_FILE, level, pool)
        raw = _read_gzip(from_dir / BASICS_FILE, sink=basics.add)
        header_end = raw.find(b"\n") + 1
        header = bytes(raw[:header_end]).decode("utf-8")
        if header.rstrip("\r\n").split("\t") != list(BASICS_COLUMNS):
            raise ValueError(f"{from_dir / BASICS_FILE}: unexpected header {header!r}")
        if len(raw) and raw[-1] != 0x0A:
            basics.add(b"\n")
        old = _parse_tsv(memoryview(raw)[header_end:], BASICS_COLUMNS, ["tconst", "titleType", "genres"], {})
        del raw
        old_ids = _tconst_ids(old["tconst"])
        old_types = _type_codes(old["titleType"])
        n_old = len(old_ids)

        # new titles, numbered after the highest tconst so far
        n_new = round(change_rate / 2 * n_old)
        max_id = int(old_ids.max()) if n_old else 0

        def chunk(chunk_no: int) -> _Chunk:
            start = chunk_no * CHUNK_ROWS
            chunk_rng = np.random.default_rng([seed, _TAG_NEXT_DAY_CHUNK, chunk_no])
            n = min(CHUNK_ROWS, n_new - start)
            return _generate_titles(chunk_rng, world, first_id=max_id + 1 + start, n=n, fresh=True)

        with ThreadPoolExecutor(_workers()) as gen_pool:
            new_parts = []
            for part in _ordered_map(gen_pool, chunk, range(-(-n_new // CHUNK_ROWS)), ahead=_workers()):
                basics.add(part.body)
                new_parts.append(part)
        basics.close()

        # existing ratings: more votes for ~change_rate of them, and a rating that drifts less the more votes
        n_rated_old = len(old_ratings)
        changed = _sample_without_replacement(rng, np.ones(n_rated_old), round(change_rate * n_rated_old))
        votes = old_ratings.votes.copy()
        r10 = old_ratings.r10.copy()
        v = votes[changed].astype(np.float64)
        new_votes = v + 1 + np.floor(v * rng.lognormal(np.log(0.02), 1.0, len(changed)))
        drift = rng.normal(0.0, 1.0, len(changed)) * np.maximum(0.05, 1.6 / np.sqrt(new_votes))
        r10[changed] = np.clip(np.rint(r10[changed] + 10 * drift), 10, 100).astype(np.int16)
        votes[changed] = new_votes.astype(np.int64)

        # first ratings for some unrated titles, likelier for the types IMDb users rate most
        unrated = ~np.isin(old_ids, old_ratings.ids)
        n_first = round(change_rate * n_rated_old / 4)
        weights = np.where(unrated & (old_types >= 0), _RATED_SHARE[np.maximum(old_types, 0)], 0.0)
        first = np.sort(_sample_without_replacement(rng, weights, n_first))
        first_types = old_types[first]
        first_genre_effect = _genre_effect_of_strings(old["genres"].take(pa.array(first)))
        z = (first_genre_effect - _GENRE_CENTER + rng.normal(0.0, _Z_SD, len(first))) / _Z_SD
        first_votes = 5 + np.floor(rng.lognormal(np.log(3.0), 1.0, len(first))).astype(np.int64)
        jitter = rng.standard_normal(len(first)) * _FEW_VOTES_SD / np.sqrt(first_votes)
        first_r10 = _rating10(z, first_types, jitter)

        merged = _Ratings.concat(
            [
                _Ratings(old_ratings.ids, r10, votes, old_ratings.tconst),
                _Ratings(old_ids[first], first_r10, first_votes, old["tconst"].take(pa.array(first))),
                *[p.ratings for p in new_parts],
            ]
        ).sorted()
        movie_ids = np.concatenate([old_ids[old_types == _MOVIE], *[p.movie_ids for p in new_parts]])
        rated_movies = int(np.isin(merged.ids, movie_ids).sum())
        _write_ratings(files.gzip(RATINGS_FILE, level, pool), merged)
    return SnapshotSummary(out_dir, n_old + n_new, len(merged), rated_movies, time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------

_TAG_WORLD, _TAG_CHUNK, _TAG_NEXT_DAY, _TAG_NEXT_DAY_CHUNK = 0x57, 0x43, 0x4E, 0x4E43


@dataclass(frozen=True)
class _World:
    """What a seed hides: the effect of each title word on the rating."""

    word_effect: np.ndarray

    @classmethod
    def from_seed(cls, seed: int) -> _World:
        rng = np.random.default_rng([seed, _TAG_WORLD])
        return cls(word_effect=rng.normal(0.0, 1.0, len(_WORDS)))


@dataclass
class _Ratings:
    ids: np.ndarray  # int64 title number
    r10: np.ndarray  # int16, averageRating * 10
    votes: np.ndarray  # int64
    tconst: pa.StringArray | None = None  # the original spelling, when read from a file

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def concat(parts: list[_Ratings]) -> _Ratings:
        if not parts:
            return _Ratings(np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0, np.int64))
        tconst = None
        if any(p.tconst is not None for p in parts):
            tconst = pa.concat_arrays([p.tconst if p.tconst is not None else _format_tconst(p.ids) for p in parts])
        return _Ratings(
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.r10 for p in parts]).astype(np.int16),
            np.concatenate([p.votes for p in parts]).astype(np.int64),
            tconst,
        )

    def sorted(self) -> _Ratings:
        order = np.argsort(self.ids, kind="stable")
        tconst = self.tconst.take(pa.array(order)) if self.tconst is not None else None
        return _Ratings(self.ids[order], self.r10[order], self.votes[order], tconst)


@dataclass(frozen=True)
class _Chunk:
    body: pa.Buffer | memoryview  # the chunk's lines, UTF-8, each ending in "\n"
    ratings: _Ratings
    rated_movies: int
    movie_ids: np.ndarray


_SAMPLER_BITS = 16


def _sampler(weights: np.ndarray) -> np.ndarray:
    """A lookup table for drawing indices with the given weights (resolution 2**-16): table[uniform int]."""
    cdf = np.cumsum(weights) / np.sum(weights)
    u = (np.arange(1 << _SAMPLER_BITS) + 0.5) / (1 << _SAMPLER_BITS)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1).astype(np.int16)


def _zipf(n: int, s: float = 1.0, q: float = 2.7) -> np.ndarray:
    return 1.0 / (np.arange(n) + q) ** s


_TYPE_SAMPLER = _sampler(_TYPE_SHARE)
_GENRE_SAMPLER_FILM = _sampler(_GENRE_WEIGHT_FILM)
_GENRE_SAMPLER_TV = _sampler(_GENRE_WEIGHT_TV)
_WORD_SAMPLER = _sampler(_zipf(len(_WORDS)))
_FOREIGN_SAMPLER = _sampler(_zipf(len(_FOREIGN_WORDS), 0.8))
_WORDS_ARR = pa.array(_WORDS)
_FOREIGN_ARR = pa.array(_FOREIGN_WORDS)
_TYPE_ARR = pa.array(TITLE_TYPES)


def _uniform_ints(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(0, 1 << _SAMPLER_BITS, shape, dtype=np.uint16)


def _draw(sampler: np.ndarray, rng: np.random.Generator, shape) -> np.ndarray:
    return sampler[_uniform_ints(rng, shape)]


def _patch(base: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """`base` with its `rows` (ascending positions) replaced by `values` -- one take, no full-size joins."""
    if len(rows) == 0:
        return base
    positions = np.arange(len(base), dtype=np.int64)
    positions[rows] = len(base) + np.arange(len(rows))
    return pa.concat_arrays([base, values.cast(base.type)]).take(pa.array(positions))


def _take(values: pa.Array, idx: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    indices = pa.array(idx) if present is None else pa.array(idx, mask=~present)
    return values.take(indices)


def _choice_strings(options: tuple[str, ...], rng: np.random.Generator, present: np.ndarray) -> pa.Array:
    idx = rng.integers(0, len(options), len(present), dtype=np.int32)
    return _take(pa.array(options), idx, present)


def _generate_titles(rng: np.random.Generator, world: _World, first_id: int, n: int, fresh: bool = False) -> _Chunk:
    """`n` consecutive titles from `first_id` on: their basics lines and their ratings (if rated)."""
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    ttype = _draw(_TYPE_SAMPLER, rng, n).astype(np.int8)
    is_movie = ttype == _MOVIE
    is_episode = ttype == _EPISODE

    # ---- genres: 1-3 distinct, as a bit set (bit order = alphabetical order), ~5% null
    is_tv = np.isin(ttype, _TV_TYPES)
    u = _uniform_ints(rng, (3, n))
    g = np.where(is_tv, _GENRE_SAMPLER_TV[u], _GENRE_SAMPLER_FILM[u]).astype(np.int32)
    u_k = rng.random(n)
    k = 1 + (u_k < 0.5) + (u_k < 0.25)  # 50% one genre, 25% two, 25% three (before de-duplication)
    is_adult = rng.random(n) < 0.02
    g[0] = np.where(np.isin(ttype, _SHORT_TYPES) & (rng.random(n) < 0.85), _G["Short"], g[0])
    g[0] = np.where(is_adult, _G["Adult"], g[0])  # IMDb's adult titles carry the Adult genre
    mask = (
        (np.int32(1) << g[0])
        | np.where(k >= 2, np.int32(1) << g[1], 0).astype(np.int32)
        | np.where(k >= 3, np.int32(1) << g[2], 0).astype(np.int32)
    )
    mask = np.where((rng.random(n) < 0.05) & ~is_adult, 0, mask).astype(np.int32)
    genres, genre_effect = _genre_strings(mask)

    # ---- titles
    titles, word_sum, n_words = _title_strings(rng, world, n)
    episode_named = is_episode & (rng.random(n) < _EPISODE_NUMBERED)
    named = np.flatnonzero(episode_named)
    season = 1 + np.minimum(rng.geometric(0.35, len(named)), 60)
    episode = 1 + np.minimum(rng.geometric(0.06, len(named)), 999)
    episode_title = pc.binary_join_element_wise(
        "Episode #", pc.cast(pa.array(season), pa.string()), ".", pc.cast(pa.array(episode), pa.string()), ""
    )
    primary = _patch(titles, named, episode_title)
    word_term = np.where(episode_named, 0.0, word_sum / np.sqrt(np.maximum(n_words, 1)))

    translated = np.flatnonzero((~episode_named) & (rng.random(n) < np.where(is_movie, 0.18, 0.06)))
    original = _patch(primary, translated, _foreign_strings(rng, len(translated)))
    no_title = (~is_movie) & (rng.random(n) < 0.001)
    untitled = np.flatnonzero(no_title)
    nulls = pa.nulls(len(untitled), pa.string())
    primary, original = _patch(primary, untitled, nulls), _patch(original, untitled, nulls)

    # ---- years and runtime
    scale = _YEAR_SCALE[ttype] * (0.35 if fresh else 1.0)
    start_year = (LAST_YEAR - 1) - np.floor(rng.exponential(1.0, n) * scale).astype(np.int64)
    old = start_year < 1900
    start_year[old] = rng.integers(1900, 1940, int(old.sum()))
    future = rng.random(n) < (0.10 if fresh else 0.02)
    start_year[future] = LAST_YEAR
    year_null = rng.random(n) < _YEAR_NULL[ttype]
    span = np.where(ttype == _SERIES, rng.geometric(0.3, n) - 1, (rng.random(n) < 0.2).astype(np.int64))
    has_end = ((ttype == _SERIES) & (rng.random(n) < 0.55)) | ((ttype == _MINI) & (rng.random(n) < 0.9))
    end_year = np.minimum(start_year + span, LAST_YEAR)
    end_null = year_null | ~has_end | (start_year >= LAST_YEAR)
    runtime = np.rint(_RT_MEAN[ttype] + _RT_SD[ttype] * rng.standard_normal(n))
    runtime = np.clip(runtime, _RT_MIN[ttype], _RT_MAX[ttype]).astype(np.int64)
    runtime_null = rng.random(n) < _RT_NULL[ttype]

    # ---- ratings (hidden effects + noise), only for the rated titles
    rated = (rng.random(n) < _RATED_SHARE[ttype] * (0.5 if fresh else 1.0)) & ~no_title
    rated &= year_null | (start_year < LAST_YEAR)
    r_idx = np.flatnonzero(rated)
    rt = ttype[r_idx]
    latent = genre_effect[r_idx] - _GENRE_CENTER + _WORD_SD * word_term[r_idx]
    z = (latent + rng.normal(0.0, _NOISE_SD, len(r_idx))) / _Z_SD
    log_votes = _LOG_MEDIAN_VOTES[rt] + 2.0 * rng.standard_normal(len(r_idx)) + 0.35 * z
    if fresh:
        log_votes -= 2.5
    votes = np.minimum(5 + np.floor(np.exp(log_votes)), MAX_VOTES).astype(np.int64)
    r10 = _rating10(z, rt, rng.standard_normal(len(r_idx)) * _FEW_VOTES_SD / np.sqrt(votes))

    # ---- the lines
    columns = [
        _format_tconst(ids),
        _TYPE_ARR.take(pa.array(ttype)),
        primary,
        original,
        pc.cast(pa.array(is_adult.astype(np.int8)), pa.string()),
        _int_strings(start_year, year_null),
        _int_strings(end_year, end_null),
        _int_strings(runtime, runtime_null),
        genres,
    ]
    return _Chunk(
        body=_join_lines(columns),
        ratings=_Ratings(ids[r_idx], r10, votes),
        rated_movies=int((rt == _MOVIE).sum()),
        movie_ids=ids[is_movie],
    )


def _rating10(z: np.ndarray, types: np.ndarray, jitter: np.ndarray | float = 0.0) -> np.ndarray:
    """averageRating * 10 from a latent z (sd ~1): left-skewed, mean by title type, within 1.0-10.0."""
    rating = 10.0 - np.exp(_A[types] - _B * z) + jitter
    return np.clip(np.rint(rating * 10), 10, 100).astype(np.int16)


def _genre_strings(mask: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The IMDb genres string (alphabetical, comma-separated, null for 0) and the mean genre effect."""
    encoded = pc.dictionary_encode(pa.array(mask))
    uniques = encoded.dictionary.to_numpy()
    names: list[str | None] = []
    effects = np.zeros(len(uniques))
    for j, m in enumerate(uniques.tolist()):
        members = [i for i in range(len(IMDB_GENRES)) if m >> i & 1]
        names.append(",".join(IMDB_GENRES[i] for i in members) if members else None)
        effects[j] = _GENRE_EFFECT[members].mean() if members else _GENRE_CENTER
    indices = encoded.indices
    return pa.array(names, pa.string()).take(indices), effects[indices.to_numpy()]


def _genre_effect_of_strings(genres: pa.Array) -> np.ndarray:
    """Mean genre effect of IMDb genre strings (`\\N` or unknown -> the typical effect)."""
    total = np.zeros(len(genres))
    count = np.zeros(len(genres))
    for i, name in enumerate(IMDB_GENRES):
        hit = pc.match_substring_regex(genres, f"(^|,){name}(,|$)").to_numpy(zero_copy_only=False)
        hit = np.asarray(hit, dtype=bool)
        total += hit * _GENRE_EFFECT[i]
        count += hit
    return np.where(count > 0, total / np.maximum(count, 1), _GENRE_CENTER)


def _title_strings(rng: np.random.Generator, world: _World, n: int) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """English-ish titles from the vocabulary, with the sum of their words' hidden effects and word count.

    Shape: [article] word [connector] [word] [word] [": " [article] word [word]] [sequel] [", The"], rarely
    wrapped in double quotes. The rare parts are joined on the few rows that have them, then patched in.
    """
    words = _draw(_WORD_SAMPLER, rng, (5, n))
    u = rng.random((10, n))
    n_main = 1 + (u[0] < 0.5) + (u[1] < 0.25)
    has_conn = (n_main >= 2) & (u[2] < 0.3)
    has_sub = u[3] < 0.08
    n_sub = 1 + (u[4] < 0.5)
    has_art = u[5] < 0.3
    trailing = has_art & ~has_sub & (u[6] < 0.03)
    has_art &= ~trailing
    has_sequel = u[7] < 0.03
    quoted = u[8] < 0.002
    sub_art = has_sub & (u[9] < 0.3)

    used = np.stack([np.ones(n, bool), n_main >= 2, n_main >= 3, has_sub, has_sub & (n_sub >= 2)])
    word_sum = (world.word_effect[words] * used).sum(axis=0)
    n_words = used.sum(axis=0)

    title = pc.binary_join_element_wise(
        _choice_strings(_ARTICLES, rng, has_art),
        _take(_WORDS_ARR, words[0]),
        _choice_strings(_CONNECTORS, rng, has_conn),
        _take(_WORDS_ARR, words[1], used[1]),
        _take(_WORDS_ARR, words[2], used[2]),
        " ",
        null_handling="skip",
    )
    rows = np.flatnonzero(has_sub | has_sequel | trailing | quoted)
    if len(rows):
        part = title.take(pa.array(rows))
        r_sub = has_sub[rows]
        sub = pc.binary_join_element_wise(
            _choice_strings(_ARTICLES, rng, sub_art[rows]),
            _take(_WORDS_ARR, words[3][rows]),  # never all-null: pyarrow drops all-null rows with "skip"
            _take(_WORDS_ARR, words[4][rows], used[4][rows]),
            " ",
            null_handling="skip",
        )
        sub = pc.if_else(pa.array(r_sub), sub, pa.scalar(None, pa.string()))
        part = pc.binary_join_element_wise(part, sub, ": ", null_handling="skip")
        part = pc.binary_join_element_wise(
            part, _choice_strings(_SEQUELS, rng, has_sequel[rows]), " ", null_handling="skip"
        )
        part = pc.binary_join_element_wise(
            part, _choice_strings(_TRAILING_ARTICLES, rng, trailing[rows]), "", null_handling="skip"
        )
        part = pc.if_else(pa.array(quoted[rows]), pc.binary_join_element_wise('"', part, '"', ""), part)
        title = _patch(title, rows, part)
    return title, word_sum, n_words


def _foreign_strings(rng: np.random.Generator, n: int) -> pa.Array:
    words = _draw(_FOREIGN_SAMPLER, rng, (3, n))
    n_words = 1 + (rng.random(n) < 0.5) + (rng.random(n) < 0.2)
    return pc.binary_join_element_wise(
        _choice_strings(_FOREIGN_ARTICLES, rng, rng.random(n) < 0.4),
        _take(_FOREIGN_ARR, words[0]),
        _take(_FOREIGN_ARR, words[1], n_words >= 2),
        _take(_FOREIGN_ARR, words[2], n_words >= 3),
        " ",
        null_handling="skip",
    )


# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


def _header(columns: tuple[str, ...]) -> bytes:
    return ("\t".join(columns) + "\n").encode("utf-8")


def _format_tconst(ids: np.ndarray) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(ids, pa.int64()), pa.string()), 7, "0")
    return pc.binary_join_element_wise("tt", digits, "")


def _int_strings(values: np.ndarray, null: np.ndarray) -> pa.Array:
    return pc.fill_null(pc.cast(pa.array(values, mask=null), pa.string()), NULL)


def _join_lines(columns: list[pa.Array]) -> memoryview:
    """The rows as one UTF-8 block, tab-separated, nulls as `\\N`, each row ending in a newline."""
    filled = [pc.fill_null(c, NULL) for c in columns]
    filled[-1] = pc.binary_join_element_wise(filled[-1], "\n", "")
    lines = pc.binary_join_element_wise(*filled, "\t")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    return _string_data(lines)


def _string_data(arr: pa.Array) -> memoryview:
    """The concatenated characters of a string array (zero-copy)."""
    if len(arr) == 0:
        return memoryview(b"")
    width = 8 if pa.types.is_large_string(arr.type) else 4
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if width == 8 else np.int32)
    lo, hi = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    return memoryview(arr.buffers()[2])[lo:hi]


def _rating_strings(r10: np.ndarray) -> pa.Array:
    r10 = r10.astype(np.int64)
    return pc.binary_join_element_wise(
        pc.cast(pa.array(r10 // 10), pa.string()), pc.cast(pa.array(r10 % 10), pa.string()), "."
    )


def _write_ratings(out: _ParallelGzip, ratings: _Ratings) -> None:
    out.add(_header(RATINGS_COLUMNS))
    tconst = ratings.tconst if ratings.tconst is not None else _format_tconst(ratings.ids)
    step = CHUNK_ROWS * 2
    for start in range(0, len(ratings), step):
        sl = slice(start, start + step)
        out.add(
            _join_lines(
                [
                    tconst.slice(start, step),
                    _rating_strings(ratings.r10[sl]),
                    pc.cast(pa.array(ratings.votes[sl]), pa.string()),
                ]
            )
        )
    out.close()


# --------------------------------------------------------------------------------------------------
# Reading (for the next day)
# --------------------------------------------------------------------------------------------------


def _read_gzip(path: Path, sink=None) -> bytes:
    """The decompressed content of a gzip file (all members), passing each decompressed block to `sink`."""
    parts: list[bytes] = []
    d = zlib.decompressobj(wbits=31)
    in_member = False
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            while block:
                in_member = True
                out = d.decompress(block)
                if out:
                    parts.append(out)
                    if sink is not None:
                        sink(out)
                block = b""
                if d.eof:  # another gzip member may follow
                    block, in_member = d.unused_data, False
                    d = zlib.decompressobj(wbits=31)
    if in_member:
        raise ValueError(f"{path}: truncated gzip file")
    return b"".join(parts)


def _parse_tsv(body: memoryview, columns: tuple[str, ...], include: list[str], types: dict) -> dict[str, pa.Array]:
    """IMDb TSV body (no header) as arrays: no quoting, no escaping; `\\N` stays text unless typed."""
    table = pa_csv.read_csv(
        pa.py_buffer(body),
        read_options=pa_csv.ReadOptions(column_names=list(columns), block_size=16 << 20),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
        convert_options=pa_csv.ConvertOptions(
            include_columns=include,
            column_types={c: types.get(c, pa.string()) for c in include},
            null_values=[NULL],
            strings_can_be_null=False,
        ),
    )
    return {c: table[c].combine_chunks() for c in include}


def _tconst_ids(tconst: pa.Array) -> np.ndarray:
    if len(tconst) == 0:
        return np.zeros(0, np.int64)
    return pc.cast(pc.utf8_slice_codeunits(tconst, 2), pa.int64()).to_numpy()


def _type_codes(types: pa.Array) -> np.ndarray:
    """Index into TITLE_TYPES (-1 for a type this module does not know)."""
    return pc.fill_null(pc.index_in(types, value_set=_TYPE_ARR), -1).to_numpy().astype(np.int8)


def _read_ratings(path: Path) -> _Ratings:
    raw = _read_gzip(path)
    header_end = raw.find(b"\n") + 1
    header = raw[:header_end].decode("utf-8")
    if header.rstrip("\r\n").split("\t") != list(RATINGS_COLUMNS):
        raise ValueError(f"{path}: unexpected header {header!r}")
    cols = _parse_tsv(
        memoryview(raw)[header_end:],
        RATINGS_COLUMNS,
        list(RATINGS_COLUMNS),
        {"averageRating": pa.float64(), "numVotes": pa.int64()},
    )
    r10 = np.rint(pc.fill_null(cols["averageRating"], 1.0).to_numpy() * 10).astype(np.int16)
    votes = pc.fill_null(cols["numVotes"], 0).to_numpy().astype(np.int64)
    return _Ratings(_tconst_ids(cols["tconst"]), r10, votes, cols["tconst"])


def _sample_without_replacement(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """`k` distinct indices, each drawn with probability proportional to its weight (O(n))."""
    eligible = int((weights > 0).sum())
    k = max(0, min(k, eligible))
    if k == 0:
        return np.zeros(0, np.int64)
    with np.errstate(divide="ignore"):
        keys = rng.exponential(1.0, len(weights)) / weights
    return np.argpartition(keys, k - 1)[:k].astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Writing: parallel gzip, atomic files
# --------------------------------------------------------------------------------------------------


def _workers() -> int:
    return max(2, min(8, os.cpu_count() or 2))


def _ordered_map(pool: ThreadPoolExecutor, fn, items, ahead: int = 2):
    """`map(fn, items)` on a pool, results in order, at most `ahead` tasks in flight (bounded memory)."""
    pending: deque[Future] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:
            fut.cancel()


_LEVEL1_FROM_TITLES = 1_000_000
_LEVEL1_FROM_BYTES = 12 << 20  # a compressed title.basics of about a million titles


def _compress_level(titles: int) -> int:
    """Level 6 (gzip's default) for small snapshots, level 1 from a million titles (speed first)."""
    return 6 if titles < _LEVEL1_FROM_TITLES else 1


def _deflate_piece(data: memoryview, level: int) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


class _ParallelGzip:
    """One gzip member written from pieces deflated in parallel (each ends on a sync flush, as pigz does)."""

    def __init__(self, out: BinaryIO, level: int, pool: ThreadPoolExecutor):
        self._f = out  # closed by close() or abort()
        xfl = 4 if level == 1 else (2 if level == 9 else 0)
        self._f.write(b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + bytes([xfl, 255]))
        self._level = level
        self._pool = pool
        self._pending: deque[Future] = deque()
        self._crc = 0
        self._size = 0
        self._max_pending = 4 * _workers()  # compressed pieces waiting to be written, in order
        self.closed = False

    def add(self, data: bytes | memoryview | pa.Buffer) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), PIECE_BYTES):
            piece = view[start : start + PIECE_BYTES]
            self._pending.append(self._pool.submit(_deflate_piece, piece, self._level))
            self._crc = zlib.crc32(piece, self._crc)
            self._size += len(piece)
            while len(self._pending) > self._max_pending or (self._pending and self._pending[0].done()):
                self._f.write(self._pending.popleft().result())

    def close(self) -> None:
        while self._pending:
            self._f.write(self._pending.popleft().result())
        self._f.write(b"\x03\x00")  # final empty fixed-Huffman block
        self._f.write(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
        self._f.close()  # atomic_output syncs it before it is renamed into place
        self.closed = True

    def abort(self) -> None:
        for fut in self._pending:
            fut.cancel()
        self._pending.clear()
        self._f.close()


class _AtomicFiles:
    """Temp files in the target folder, renamed over the real names only when everything succeeded."""

    def __init__(self, out_dir: Path):
        self._dir = out_dir
        self._outputs = ExitStack()  # one atomic_output per file: renamed, or removed, when it closes
        self._writers: list[_ParallelGzip] = []

    def gzip(self, name: str, level: int, pool: ThreadPoolExecutor) -> _ParallelGzip:
        temporary = self._outputs.enter_context(atomic_output(self._dir / name))
        writer = _ParallelGzip(temporary.open("wb"), level, pool)
        self._writers.append(writer)
        return writer

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            assert all(w.closed for w in self._writers), "a gzip writer was not closed"
        else:
            for writer in self._writers:
                writer.abort()
        return self._outputs.__exit__(exc_type, exc, tb)
