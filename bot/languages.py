"""The twelve languages of our users and a small, dependency-free language guesser.

Why our own guesser: the common detectors do not know Tigrinya, Kurmanji or Pashto, and
messages are short and mix in German words. Script first (Arabic, Cyrillic, Ethiopic), then
letters and frequent words for the Latin-script languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    rtl: bool = False


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("de", "Deutsch"),
        Language("en", "English"),
        Language("ar", "العربية", rtl=True),
        Language("fa", "دری / فارسی", rtl=True),
        Language("ps", "پښتو", rtl=True),
        Language("ku", "Kurmancî"),
        Language("ti", "ትግርኛ"),
        Language("so", "Soomaali"),
        Language("tr", "Türkçe"),
        Language("fr", "Français"),
        Language("uk", "Українська"),
        Language("ru", "Русский"),
    )
}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent short words; a German word in an English sentence should not flip the language,
# so we count all hits and take the best, not the first.
_STOPWORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "ich",
            "du",
            "er",
            "sie",
            "wir",
            "ihr",
            "und",
            "oder",
            "nicht",
            "ein",
            "eine",
            "einen",
            "der",
            "die",
            "das",
            "ist",
            "bin",
            "habe",
            "hast",
            "hat",
            "wie",
            "was",
            "wo",
            "wann",
            "warum",
            "wer",
            "kann",
            "kann",
            "ich",
            "muss",
            "mit",
            "für",
            "fuer",
            "von",
            "zu",
            "zum",
            "zur",
            "im",
            "in",
            "auf",
            "mein",
            "meine",
            "mir",
            "mich",
            "bitte",
            "danke",
            "hallo",
            "guten",
            "tag",
            "brauche",
            "möchte",
            "moechte",
            "will",
            "gibt",
            "es",
            "kein",
            "keine",
            "auch",
            "noch",
            "schon",
            "aber",
            "wenn",
            "dann",
            "bei",
            "nach",
            "einem",
            "einer",
        ]
    ),
    "en": frozenset(
        [
            "i",
            "you",
            "he",
            "she",
            "we",
            "they",
            "and",
            "or",
            "not",
            "a",
            "an",
            "the",
            "is",
            "am",
            "are",
            "have",
            "has",
            "how",
            "what",
            "where",
            "when",
            "why",
            "who",
            "can",
            "could",
            "must",
            "with",
            "for",
            "from",
            "to",
            "in",
            "on",
            "my",
            "me",
            "please",
            "thanks",
            "thank",
            "hello",
            "hi",
            "need",
            "want",
            "there",
            "no",
            "also",
            "still",
            "but",
            "if",
            "then",
            "at",
            "after",
            "do",
            "does",
            "get",
            "is",
            "it",
            "this",
            "that",
            "of",
        ]
    ),
    "fr": frozenset(
        [
            "je",
            "tu",
            "il",
            "elle",
            "nous",
            "vous",
            "et",
            "ou",
            "ne",
            "pas",
            "un",
            "une",
            "le",
            "la",
            "les",
            "est",
            "suis",
            "ai",
            "comment",
            "quoi",
            "où",
            "quand",
            "pourquoi",
            "qui",
            "peux",
            "dois",
            "avec",
            "pour",
            "de",
            "du",
            "des",
            "à",
            "au",
            "mon",
            "ma",
            "mes",
            "moi",
            "merci",
            "bonjour",
            "besoin",
            "veux",
        ]
    ),
    "tr": frozenset(
        [
            "ben",
            "sen",
            "o",
            "biz",
            "siz",
            "ve",
            "veya",
            "değil",
            "bir",
            "bu",
            "şu",
            "ne",
            "nasıl",
            "nerede",
            "neden",
            "kim",
            "için",
            "ile",
            "mi",
            "mı",
            "var",
            "yok",
            "benim",
            "bana",
            "lütfen",
            "teşekkürler",
            "merhaba",
            "istiyorum",
            "lazım",
            "nasil",
            "nerde",
            "miyim",
            "mıyım",
            "musun",
            "misin",
            "mu",
            "mü",
            "kadar",
            "kaç",
            "neden",
            "nereye",
            "yapabilirim",
            "edebilirim",
            "alabilirim",
            "bulabilirim",
            "gerekiyor",
            "geldi",
            "söylediler",
            "ediyor",
            "yardım",
            "iş",
            "ev",
            "kursu",
            "arkadaşım",
            "kardeşim",
        ]
    ),
    "so": frozenset(
        [
            "waxaan",
            "waan",
            "aan",
            "iyo",
            "ama",
            "maya",
            "haa",
            "sidee",
            "maxaa",
            "xaggee",
            "goorma",
            "waa",
            "ka",
            "ku",
            "la",
            "u",
            "ii",
            "aniga",
            "mahadsanid",
            "salaan",
            "baan",
            "doonayaa",
            "sideen",
            "ma",
            "oo",
            "ah",
            "iga",
            "igu",
            "waxay",
            "ayaa",
            "ayuu",
            "haysta",
            "haystaa",
            "jiraan",
            "yahay",
            "tahay",
            "maxay",
            "miyaa",
            "karaa",
            "sameeyaa",
            "caawin",
            "walaal",
            "saaxiib",
            "sxb",
            "xafiiska",
            "lacag",
            "guri",
            "shaqo",
            "dugsi",
            "nin",
            "ayaan",
            "kale",
            "hadda",
            "haddaan",
            "yaa",
            "imisa",
            "buu",
            "intee",
            "weli",
            "lama",
            "sharci",
            "caawimaad",
            "jarmal",
            "jarmalka",
        ]
    ),
    "ku": frozenset(
        [
            "ez",
            "tu",
            "ew",
            "em",
            "hûn",
            "û",
            "an",
            "ne",
            "yek",
            "ev",
            "çawa",
            "çi",
            "li",
            "kengî",
            "çima",
            "kî",
            "dikarim",
            "divê",
            "bi",
            "ji",
            "bo",
            "min",
            "spas",
            "silav",
            "dixwazim",
            "heye",
            "tune",
            "ya",
            "yê",
            "bê",
            "didin",
            "dide",
            "niha",
            "çiqas",
            "îro",
            "vê",
            "xwe",
            "kurmancî",
            "almanî",
            "karê",
            "kar",
            "bikim",
            "bike",
            "dikim",
            "heval",
        ]
    ),
}

_LETTER_HINTS: dict[str, str] = {
    "de": "äöüß",
    "tr": "ışğ",
    "ku": "êîûş",
    "fr": "éèàùâêîôûç",
}

_PERSIAN_LETTERS = set("پچژگکی")
# Pashto function words that Dari/Farsi and Arabic do not use ("د" = of, "لپاره" = for, …).
_PASHTO_WORDS = frozenset(
    ["د", "لپاره", "کې", "څه", "زه", "مې", "شم", "وکړم", "دی", "سره", "نشم", "غواړم", "شته"]
)
_PASHTO_LETTERS = set("ټډړږښځڅڼۍېګ")
_UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")


# Ukrainian and Russian share most letters; these frequent words tell them apart when the
# Ukrainian-only letters (і ї є ґ) do not occur.
_UKRAINIAN_WORDS = frozenset(
    [
        "де",
        "як",
        "що",
        "чи",
        "мені",
        "можна",
        "треба",
        "мій",
        "моя",
        "це",
        "та",
        "або",
        "вже",
        "ще",
        "тільки",
        "коли",
        "тобі",
        "вас",
        "мене",
        "хочу",
        "потрібно",
        "отримати",
        "роботу",
        "житло",
        "навчання",
        "курс",
        "курси",
        "допоможіть",
        "дякую",
    ]
)
_RUSSIAN_WORDS = frozenset(
    [
        "где",
        "как",
        "что",
        "мне",
        "можно",
        "нужно",
        "это",
        "или",
        "уже",
        "ещё",
        "еще",
        "только",
        "когда",
        "тебе",
        "почему",
        "какой",
        "хочу",
        "получить",
        "работу",
        "жильё",
        "жилье",
        "учиться",
        "курсы",
        "помогите",
        "спасибо",
    ]
)


def _cyrillic_language(text: str) -> str:
    if any(ch in _UKRAINIAN_LETTERS for ch in text):
        return "uk"
    words = [w.lower() for w in _WORD.findall(text)]
    uk = sum(w in _UKRAINIAN_WORDS for w in words)
    ru = sum(w in _RUSSIAN_WORDS for w in words)
    if any(ch in "ыэъё" for ch in text.lower()):
        ru += 2  # letters Ukrainian does not use
    return "uk" if uk > ru else "ru"


def _script_guess(text: str) -> str | None:
    arabic = sum(1 for ch in text if "\u0600" <= ch <= "\u06ff")
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    ethiopic = sum(1 for ch in text if "\u1200" <= ch <= "\u139f")
    latin = sum(1 for ch in text if ch.isalpha() and ch.isascii())
    best = max(arabic, cyrillic, ethiopic)
    if best == 0 or best < latin:
        return None
    if ethiopic == best:
        return "ti"
    if cyrillic == best:
        return _cyrillic_language(text)
    if any(ch in _PASHTO_LETTERS for ch in text) or _PASHTO_WORDS & {
        w.lower() for w in _WORD.findall(text)
    }:
        return "ps"
    if any(ch in _PERSIAN_LETTERS for ch in text):
        return "fa"
    return "ar"


def detect_language(text: str) -> str | None:
    """Best guess of the language of `text`, or None when there is too little to go on."""
    by_script = _script_guess(text)
    if by_script:
        return by_script
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    scores: dict[str, float] = {}
    for code, stopwords in _STOPWORDS.items():
        scores[code] = float(sum(1 for w in words if w in stopwords))
    lowered = text.lower()
    for code, letters in _LETTER_HINTS.items():
        if any(ch in lowered for ch in letters):
            scores[code] += 0.5
    if "ı" in lowered or "ğ" in lowered:  # letters only Turkish uses among our languages
        scores["tr"] += 1.0
    best_code, best_score = max(scores.items(), key=lambda item: item[1])
    ties = [code for code, score in scores.items() if score == best_score]
    if best_score < 1 or len(ties) > 1:
        return None
    return best_code
