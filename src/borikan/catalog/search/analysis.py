"""Text analysis shared by the index and the queries: normalise, tokenise Thai and English, decompound.

Both sides must analyse text the same way, so everything here is a pure function of its input (cached per
process). PyThaiNLP's dictionary is loaded once per process, on first use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# The Thai word segmenter. Measured on the query set (bench/scenario_search.py, engines shipped with PyThaiNLP
# that need no model download): newmm ties or beats "longest" and "mm" on quality and is ~10x faster than
# "longest", so it is the one used.
TOKENIZER_ENGINE = "newmm"

_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_THAI_DIGITS = {ord(d): str(i) for i, d in enumerate("๐๑๒๓๔๕๖๗๘๙")}
# Vowel and tone marks that combine with the consonant before them; typed twice by mistake now and then.
_THAI_COMBINING = frozenset(
    "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
)
_NIKHAHIT = "\u0e4d"
_SARA_AA = "\u0e32"
_SARA_AM = "\u0e33"
_MAI_YAMOK = "\u0e46"  # ๆ repeats the word before it: it adds nothing to search
_TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b")

# Words that say nothing about which service is meant: question words, politeness, grammar.
# Deliberately short: ขอ (ask for), ต่อ (renew), ใหม่ (new), เปิด (open) carry meaning in this domain.
THAI_STOPWORDS = frozenset(
    [
        "การ",
        "ความ",
        "ที่",
        "ซึ่ง",
        "อัน",
        "และ",
        "หรือ",
        "กับ",
        "แก่",
        "แต่",
        "ของ",
        "ใน",
        "จาก",
        "โดย",
        "เพื่อ",
        "ให้",
        "ได้",
        "ไป",
        "มา",
        "ว่า",
        "ก็",
        "จะ",
        "ต้อง",
        "อยาก",
        "อะไร",
        "ไหน",
        "ยังไง",
        "อย่างไร",
        "บ้าง",
        "ไหม",
        "มั้ย",
        "หรือเปล่า",
        "ครับ",
        "คับ",
        "ค่ะ",
        "คะ",
        "นะ",
        "จ้ะ",
        "จ้า",
        "เรา",
        "ผม",
        "ฉัน",
        "หนู",
        "ดิฉัน",
        "คือ",
        "เป็น",
        "มี",
        "อยู่",
        "แล้ว",
        "ยัง",
        "ไง",
        "ทำไง",
        "ที่ไหน",
        "เมื่อไร",
        "เมื่อไหร่",
        "กรณี",
        "ๆ",
    ]
)
ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "for",
        "in",
        "on",
        "at",
        "and",
        "or",
        "my",
        "i",
        "me",
        "how",
        "do",
        "does",
        "did",
        "can",
        "could",
        "what",
        "where",
        "when",
        "which",
        "who",
        "is",
        "are",
        "be",
        "was",
        "with",
        "by",
        "from",
        "get",
        "need",
        "want",
        "please",
        "about",
        "into",
        "this",
        "that",
        "it",
        "its",
        "as",
        "your",
        "you",
    ]
)
STOPWORDS = THAI_STOPWORDS | ENGLISH_STOPWORDS

_SPLIT_RE = re.compile(r"([\u0e01-\u0e2e\u0e2f-\u0e4e]+|[a-z]+|[0-9]+)")
_THAI_RE = re.compile(r"[\u0e01-\u0e4e]")


def _is_thai_letter(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e"


# Text that needs more than lower-casing and digit mapping: the slow path below handles it character by character.
_NEEDS_WORK = re.compile(
    r"[\u0e46\u0e4d\u200b-\u200d\u2060\ufeff\u00ad\ufffd\x00-\x1f\x7f-\x9f]|[\u0e01-\u0e2e]\.|([\u0e31-\u0e4e])\1"
)


@lru_cache(maxsize=200_000)
def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """Lower-case, NFKC, Thai digits → Arabic, Thai typing slips fixed; and for each output character the index
    of the input character it came from (to mark matches in the original text).

    Dropped: control and format characters (binary junk, zero-width spaces), ๆ, and the dots of Thai
    abbreviations (ภ.ง.ด.90 → ภงด90, so both spellings meet).
    """
    if not _NEEDS_WORK.search(text) and (text.isascii() or unicodedata.is_normalized("NFKC", text)):
        folded = text.lower().translate(_THAI_DIGITS)
        if len(folded) == len(text):
            return folded, list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for index, raw in enumerate(text):
        if raw in _ZERO_WIDTH:
            continue
        category = unicodedata.category(raw)
        if category[0] == "C" or raw == "\ufffd":
            out.append(" ")
            where.append(index)
            continue
        for ch in unicodedata.normalize("NFKC", raw).lower().translate(_THAI_DIGITS):
            if ch == _MAI_YAMOK:
                continue
            if ch == _SARA_AA and out and out[-1] == _NIKHAHIT:  # ํ + า typed for ำ
                out[-1] = _SARA_AM
                continue
            if ch in _THAI_COMBINING and out and out[-1] == ch:
                continue
            if ch == "." and out and _is_thai_letter(out[-1]):
                continue
            out.append(ch)
            where.append(index)
    return "".join(out), where


def normalise(text: str) -> str:
    return normalise_with_offsets(text)[0]


def strip_tone_marks(word: str) -> str:
    return "".join(ch for ch in word if ch not in _TONE_MARKS)


@lru_cache(maxsize=1)
def thai_dictionary() -> frozenset[str]:
    from pythainlp.corpus.common import thai_words

    return thai_words()


@lru_cache(maxsize=1)
def _word_frequencies() -> dict[str, int]:
    from pythainlp.corpus import tnc

    return dict(tnc.word_freqs())


# A compound is split only into words common enough in the Thai National Corpus, so that a plain word such as
# ทะเบียน is not cut into rare syllable-words (ทะ + เบียน) while ใบอนุญาต → ใบ + อนุญาต is.
COMMON_WORD_FREQUENCY = 1000


@lru_cache(maxsize=200_000)
def _segment_thai(run: str, engine: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    return tuple(t for t in word_tokenize(run, engine=engine, keep_whitespace=False) if t.strip())


def stem_english(word: str) -> str:
    """A light suffix stripper: plurals, -ing, -ed, -al (renewal → renew, licences → licence)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, keep in (("ing", 4), ("ed", 4), ("al", 5)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=100_000)
def decompound(word: str) -> tuple[str, ...]:
    """Split a dictionary compound into the fewest dictionary words (ใบอนุญาตขับรถ → ใบอนุญาต, ขับรถ).

    Splits only at Thai character-cluster boundaries; returns () when the word does not split that way.
    """
    if len(word) < 4 or not _THAI_RE.match(word):
        return ()
    from pythainlp.tokenize.tcc import tcc_pos

    words = thai_dictionary()
    frequencies = _word_frequencies()
    bounds = sorted(tcc_pos(word) | {0, len(word)})
    best: dict[int, tuple[str, ...]] = {0: ()}
    for end in bounds[1:]:
        for start in bounds:
            if start >= end:
                break
            if start not in best:
                continue
            piece = word[start:end]
            if len(piece) < 2 or piece == word or piece not in words:
                continue
            if frequencies.get(piece, 0) < COMMON_WORD_FREQUENCY:
                continue
            candidate = (*best[start], piece)
            if end not in best or len(candidate) < len(best[end]):
                best[end] = candidate
    parts = best.get(len(word), ())
    return parts if len(parts) >= 2 else ()


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # the normalised term
    start: int  # offsets in the normalised text
    end: int
    thai: bool


def tokenise(normalised: str, *, engine: str = "") -> list[Token]:
    """Split normalised text into words: Thai runs through PyThaiNLP, English words stemmed, numbers kept."""
    engine = engine or TOKENIZER_ENGINE
    tokens: list[Token] = []
    for match in _SPLIT_RE.finditer(normalised):
        run = match.group(0)
        if run[0].isascii():
            text = stem_english(run) if run.isalpha() else run
            tokens.append(Token(text, match.start(), match.end(), False))
            continue
        offset = match.start()
        for word in _segment_thai(run, engine):
            position = run.find(word, offset - match.start())
            start = match.start() + position if position >= 0 else offset
            offset = start + len(word)
            tokens.append(Token(word, start, offset, True))
    return tokens


SHINGLE_WEIGHT = 0.5


@lru_cache(maxsize=300_000)
def analyse(text: str, *, engine: str = "", decompound_parts: bool = True) -> tuple[tuple[str, float], ...]:
    """Index terms of a text with their weights: each word 1, the parts of a compound ½, their parts ¼, and each
    pair of neighbouring words ("ต่อ ใบขับขี่") ½.

    Stopwords are left out. Cached per distinct text: services share agency and document names.
    """
    terms: list[tuple[str, float]] = []
    previous: Token | None = None
    for token in tokenise(normalise(text), engine=engine):
        if token.text in STOPWORDS:
            continue
        terms.append((token.text, 1.0))
        if previous is not None and not (previous.text.isdigit() and token.text.isdigit()):
            # word pairs in order reward the query's words standing together in the text, as typed
            terms.append((f"{previous.text} {token.text}", SHINGLE_WEIGHT))
        previous = token
        if decompound_parts and token.thai:
            for part in decompound(token.text):
                if part in STOPWORDS:
                    continue
                terms.append((part, 0.5))
                terms.extend((sub, 0.25) for sub in decompound(part) if sub not in STOPWORDS)
    return tuple(terms)


def plain_terms(text: str) -> list[str]:
    """The floor's analysis: whitespace split, then PyThaiNLP newmm inside each piece; nothing else."""
    terms: list[str] = []
    for piece in text.lower().split():
        terms.extend(t for t in _segment_thai(piece, "newmm") if any(c.isalnum() for c in t))
    return terms


def char_bigrams(text: str) -> set[str]:
    compact = "".join(ch for ch in text if not ch.isspace())
    return {compact[i : i + 2] for i in range(len(compact) - 1)} if len(compact) > 1 else {compact}


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance; returns limit + 1 as soon as it is sure to exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        row_min = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[len(b)]


def deletes(word: str, distance: int) -> set[str]:
    """Every string made by deleting up to `distance` characters (the SymSpell candidate keys)."""
    found = {word}
    frontier = {word}
    for _ in range(distance):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 1}
        found |= frontier
    return found


_SILENT = re.compile(r"[\u0e01-\u0e2e][\u0e34\u0e38]?\u0e4c")


# Consonants that sound like a commoner one (ณ/น, ศ ษ/ส, ภ/พ, ...): the usual spelling slips.
_HOMOPHONES = str.maketrans("ณศษภฆฌญฬฎฏฐฑฒธ", "นสสพคชยลดตทททท")


def sound_form(word: str, *, keep_tones: bool = False) -> str:
    """How a Thai word sounds, roughly: silent letters (under ์) dropped, homophone consonants merged, and
    tone marks dropped unless asked to keep them (พาสปอร์ต → พาสปอต, พาณิชย์ → พานิช)."""
    spoken = _SILENT.sub("", word).translate(_HOMOPHONES)
    return spoken if keep_tones else strip_tone_marks(spoken)


@lru_cache(maxsize=50_000)
def thai_sound_key(word: str) -> str:
    """Udom83 Thai soundex: misspellings that sound alike share a key (พาสปอด, พาสปอร์ต)."""
    from pythainlp.soundex import soundex

    return soundex(word, engine="udom83") if _THAI_RE.match(word) else ""
