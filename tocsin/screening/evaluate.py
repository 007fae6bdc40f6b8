"""A labelled pair set for screening, and precision, recall and F1 of a scorer on it.

Pairs are (query, list entry, same thing?) built from identities drawn from name
banks of several naming cultures and from the entries of list files, with
generated variants as they occur in screening: the name written in another
script (Cyrillic, Arabic) or another transliteration, parts reordered or
missing, a typo, a birth date or country added; negatives are distinct people
and companies with similar names: a shared given or family name, a near
family name, the same name with another birth date and nationality, another
organisation with the same leading words. Everything is drawn from a seeded
random generator, so the same seed gives the same pairs.
"""

# ruff: noqa: RUF001 - Cyrillic and Arabic letters are the point of this module

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tocsin.screening import matching

# --------------------------------------------------------------------------- name banks

RUSSIAN_GIVEN = ["Ivan", "Dmitry", "Sergei", "Alexei", "Nikolai", "Mikhail", "Andrei",
                 "Pavel", "Yuri", "Oleg", "Viktor", "Boris", "Igor", "Vladimir", "Anatoly",
                 "Olga", "Tatiana", "Elena", "Natalia", "Svetlana", "Irina", "Marina"]
RUSSIAN_FAMILY = ["Sidorov", "Volkov", "Petrov", "Kuznetsov", "Sokolov", "Popov", "Lebedev",
                  "Kozlov", "Novikov", "Morozov", "Pavlov", "Semenov", "Golubev", "Vinogradov",
                  "Bogdanov", "Vorobyov", "Fedorov", "Mikhailov", "Belyaev", "Tarasov",
                  "Belov", "Komarov", "Orlov", "Kiselev", "Makarov", "Andreev", "Kovalev",
                  "Ilyin", "Gusev", "Titov", "Kuzmin", "Kudryavtsev", "Baranov", "Kulikov"]
ARABIC = {  # Latin spellings met on lists → Arabic script
    "Mohammed": "محمد", "Ahmed": "أحمد", "Ali": "علي", "Hassan": "حسن", "Hussein": "حسين",
    "Omar": "عمر", "Khalid": "خالد", "Ibrahim": "إبراهيم", "Youssef": "يوسف",
    "Karim": "كريم", "Saeed": "سعيد", "Mahmoud": "محمود", "Mustafa": "مصطفى",
    "Nasser": "ناصر", "Rashid": "راشد", "Hamid": "حامد", "Abdullah": "عبد الله",
    "Tariq": "طارق", "Jamal": "جمال", "Faisal": "فيصل", "Salim": "سالم", "Yasin": "ياسين",
}
ARABIC_FAMILY = ["Al-Masri", "Al-Tikriti", "Haddad", "Khoury", "Mansour", "Nasr", "Saleh",
                 "Qureshi", "Al-Hashimi", "Al-Zahrani", "Darwish", "Farouk", "Hamdan",
                 "Jaber", "Kassem", "Othman", "Suleiman", "Yousef", "Zaidi", "Barakat"]
TRANSLITERATIONS = {
    "Mohammed": ["Muhammad", "Mohamed", "Mohammad", "Muhammed"],
    "Ahmed": ["Ahmad"], "Hussein": ["Husain", "Hussain", "Husayn"],
    "Hassan": ["Hasan"], "Youssef": ["Yusuf", "Youssouf", "Yousef"],
    "Omar": ["Umar"], "Khalid": ["Khaled"], "Saeed": ["Said", "Saied"],
    "Mahmoud": ["Mahmud"], "Mustafa": ["Mostafa", "Moustafa"], "Nasser": ["Naser"],
    "Rashid": ["Rasheed"], "Abdullah": ["Abdallah", "Abd Allah"], "Tariq": ["Tarek"],
    "Faisal": ["Faysal"], "Salim": ["Saleem"], "Yasin": ["Yassin", "Yaseen"],
    "Dmitry": ["Dmitri", "Dmitriy"], "Sergei": ["Sergey"], "Alexei": ["Aleksei", "Alexey"],
    "Yuri": ["Yury", "Iouri"], "Andrei": ["Andrey"], "Vorobyov": ["Vorobiev"],
    "Tatiana": ["Tatyana"], "Natalia": ["Natalya"], "Semenov": ["Semyonov"],
}
WESTERN_GIVEN = ["John", "Michael", "David", "James", "Robert", "Maria", "Anna", "Laura",
                 "Carlos", "Juan", "Jose", "Luis", "Miguel", "Pedro", "Ana", "Sofia",
                 "Pierre", "Jean", "Marco", "Giulia", "Hans", "Peter", "Klaus", "Petra"]
WESTERN_FAMILY = ["Garcia", "Lopez", "Martinez", "Rodriguez", "Fernandez", "Gonzalez",
                  "Sanchez", "Ramirez", "Torres", "Smith", "Johnson", "Williams", "Brown",
                  "Taylor", "Anderson", "Dubois", "Moreau", "Rossi", "Bianchi", "Muller",
                  "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann"]
COUNTRIES = ["ru", "ir", "sy", "iq", "ae", "tr", "mx", "co", "ve", "gb", "de", "fr", "it",
             "es", "cn", "kp", "by", "ua", "lb", "eg"]
ORG_WORDS = ["Baltic", "Golden", "Crescent", "Ocean", "Star", "Global", "Trading", "Freight",
             "Logistics", "Energy", "Petro", "Marine", "Shipping", "Capital", "Invest",
             "Holding", "Industrial", "Technologies", "Alliance", "Eastern", "Northern",
             "Silk", "Road", "Phoenix", "Atlas", "Orion", "Delta", "Summit", "Pioneer",
             "Emerald", "Falcon", "Horizon", "United", "Continental", "Royal", "Crystal"]
ORG_TYPES = [("LLC", "Limited Liability Company"), ("Ltd", "Limited"), ("OOO", "OOO"),
             ("GmbH", "GmbH"), ("SA", "Sociedad Anonima"), ("JSC", "Joint Stock Company"),
             ("FZE", "FZE"), ("Co", "Company")]
_CYRILLIC = [("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
             ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("a", "а"), ("b", "б"),
             ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"),
             ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
             ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"),
             ("h", "х"), ("c", "к"), ("x", "кс"), ("w", "в"), ("j", "дж"), ("q", "к")]


def to_cyrillic(text: str) -> str:
    """A plain Russian-style spelling of a Latin name in Cyrillic script."""
    out = []
    for word in text.split():
        lower, i, letters = word.lower(), 0, []
        while i < len(lower):
            for latin, cyr in _CYRILLIC:
                if lower.startswith(latin, i):
                    letters.append(cyr)
                    i += len(latin)
                    break
            else:
                letters.append(lower[i])
                i += 1
        spelled = "".join(letters)
        out.append(spelled[:1].upper() + spelled[1:])
    return " ".join(out)


# --------------------------------------------------------------------------- pairs


@dataclass
class Pair:
    """A query, a list entry and whether they are the same thing."""

    query: dict[str, Any]
    entry: dict[str, Any]
    same: bool
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "entry": self.entry, "same": self.same,
                "kind": self.kind}


def _entity(schema: str, **props: Any) -> dict[str, Any]:
    return {"schema": schema, "properties": {k: v if isinstance(v, list) else [v]
                                             for k, v in props.items() if v}}


def _dob(rng: random.Random) -> str:
    return f"{rng.randint(1950, 1995)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiou") + word[i + 1:]


@dataclass
class Person:
    given: str
    family: str
    middle: str | None
    culture: str
    dob: str
    country: str
    gender: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given, self.middle, self.family) if p)

    def entry(self) -> dict[str, Any]:
        return _entity("Person", name=self.name, birthDate=self.dob, nationality=self.country,
                       gender=self.gender)


def _person(rng: random.Random) -> Person:
    culture = rng.choice(("russian", "arabic", "western"))
    female = {"Olga", "Tatiana", "Elena", "Natalia", "Svetlana", "Irina", "Marina", "Maria",
              "Anna", "Laura", "Ana", "Sofia", "Giulia", "Petra"}
    if culture == "russian":
        given, family = rng.choice(RUSSIAN_GIVEN), rng.choice(RUSSIAN_FAMILY)
        father = rng.choice([g for g in RUSSIAN_GIVEN if g not in female])
        middle = (father + ("ovna" if given in female else "ovich")) if rng.random() < .5 \
            else None
        if given in female and family.endswith(("ov", "ev", "in")):
            family += "a"
        country = rng.choice(("ru", "by", "ua", "kz"))
    elif culture == "arabic":
        given, family = rng.choice(list(ARABIC)), rng.choice(ARABIC_FAMILY)
        middle = rng.choice(list(ARABIC)) if rng.random() < .4 else None
        country = rng.choice(("iq", "sy", "eg", "lb", "ye", "ae", "sa"))
    else:
        given, family = rng.choice(WESTERN_GIVEN), rng.choice(WESTERN_FAMILY)
        middle = rng.choice(WESTERN_FAMILY) if rng.random() < .3 else None
        country = rng.choice(("mx", "co", "ve", "es", "gb", "us", "fr", "it", "de"))
    return Person(given, family, middle, culture, _dob(rng), country,
                  "female" if given in female else "male")


def _org(rng: random.Random) -> tuple[str, str, str]:
    words = rng.sample(ORG_WORDS, rng.randint(2, 3))
    short, long = rng.choice(ORG_TYPES)
    return " ".join(words), short, long


def _variants(rng: random.Random, p: Person) -> list[tuple[str, dict[str, Any]]]:
    """Queries for the same person, each with what was changed."""
    out = []
    if p.culture == "russian":
        out.append(("cyrillic", _entity("Person", name=to_cyrillic(p.name),
                                        birthDate=p.dob)))
    if p.culture == "arabic":
        script = " ".join(ARABIC.get(x, x) for x in (p.given, p.middle) if x)
        out.append(("arabic-script", _entity("Person", name=f"{script} {p.family}",
                                             nationality=p.country)))
    spelled = [rng.choice(TRANSLITERATIONS.get(w, [w])) for w in (p.given, p.family)]
    if spelled != [p.given, p.family]:
        out.append(("transliteration", _entity("Person", name=" ".join(spelled),
                                               birthDate=p.dob[:4])))
    out.append(("reordered", _entity("Person", name=f"{p.family.upper()}, {p.given}"
                                     .replace(",", ""), nationality=p.country)))
    if p.middle:
        out.append(("missing-part", _entity("Person", name=f"{p.given} {p.family}",
                                            birthDate=p.dob)))
    out.append(("typo", _entity("Person", name=f"{p.given} {_typo(rng, p.family)}",
                                birthDate=p.dob, gender=p.gender)))
    return out


def _negatives(rng: random.Random, p: Person, others: Sequence[Person]
               ) -> list[tuple[str, dict[str, Any]]]:
    """Queries for other people whose names look like ``p``'s."""
    other = rng.choice([o for o in others if o.culture == p.culture and o.family != p.family
                        and o.given != p.given] or list(others))
    dob = _dob(rng)
    while dob[:4] == p.dob[:4]:
        dob = _dob(rng)
    country = rng.choice([c for c in COUNTRIES if c != p.country])
    family_bank = {"russian": RUSSIAN_FAMILY, "arabic": ARABIC_FAMILY,
                   "western": WESTERN_FAMILY}[p.culture]
    near = [f for f in family_bank if f != p.family and f[:3] == p.family[:3]]
    out = [("same-given", _entity("Person", name=f"{p.given} {other.family}",
                                  birthDate=other.dob)),
           ("same-family", _entity("Person", name=f"{other.given} {p.family}",
                                   birthDate=other.dob)),
           ("same-name-other-person", _entity("Person", name=p.name, birthDate=dob,
                                              nationality=country))]
    if near:
        out.append(("near-family", _entity("Person", name=f"{p.given} {rng.choice(near)}",
                                           birthDate=dob)))
    if p.gender == "male" and p.culture == "russian" and p.family.endswith(("ov", "ev")):
        out.append(("other-gender", _entity("Person", name=f"{p.given} {p.family}a",
                                            gender="female", birthDate=dob)))
    return out


def generate_pairs(seed: int = 1, people: int = 400, companies: int = 150) -> list[Pair]:
    """The labelled pairs, deterministic for a seed."""
    rng = random.Random(seed)
    persons = [_person(rng) for _ in range(people)]
    pairs: list[Pair] = []
    for p in persons:
        entry = p.entry()
        for kind, query in _variants(rng, p):
            pairs.append(Pair(query, entry, True, kind))
        for kind, query in _negatives(rng, p, persons):
            pairs.append(Pair(query, entry, False, kind))
    for _ in range(companies):
        words, short, long = _org(rng)
        country = rng.choice(COUNTRIES)
        reg = f"{rng.randint(10**8, 10**9 - 1)}"
        entry = _entity("Company", name=f"{words} {long}", jurisdiction=country,
                        registrationNumber=reg)
        pairs.append(Pair(_entity("Company", name=f"{words} {short}"), entry, True,
                          "org-type"))
        pairs.append(Pair(_entity("Company", name=f"{words.upper()}"), entry, True,
                          "org-no-type"))
        if country in ("ru", "by", "ua"):
            pairs.append(Pair(_entity("Company", name=f"ООО {to_cyrillic(words)}"), entry,
                              True, "org-cyrillic"))
        pairs.append(Pair(_entity("Company", name=f"{_typo(rng, words)} {short}",
                                  registrationNumber=reg), entry, True, "org-typo-id"))
        first = words.split()[0]
        other = " ".join([first, *rng.sample([w for w in ORG_WORDS if w not in words], 2)])
        pairs.append(Pair(_entity("Company", name=f"{other} {short}"), entry, False,
                          "org-same-lead"))
        pairs.append(Pair(_entity("Company", name=f"{words} Foundation",
                                  registrationNumber=f"{rng.randint(10**8, 10**9 - 1)}"),
                          entry, False, "org-other-registration"))
    rng.shuffle(pairs)
    return pairs


# --------------------------------------------------------------------------- evaluation


@dataclass
class Quality:
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (f"P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f} "
                f"at {self.threshold:.2f} (tp {self.tp} fp {self.fp} fn {self.fn} "
                f"tn {self.tn})")


def quality(scores: Iterable[tuple[float, bool]], threshold: float) -> Quality:
    tp = fp = fn = tn = 0
    for value, same in scores:
        hit = value >= threshold
        tp += hit and same
        fp += hit and not same
        fn += (not hit) and same
        tn += (not hit) and not same
    return Quality(threshold, tp, fp, fn, tn)


def best_threshold(scores: Sequence[tuple[float, bool]]) -> float:
    """The threshold with the highest F1 (for a baseline without a default of its own)."""
    candidates = sorted({round(s, 3) for s, _ in scores})
    return max(candidates, key=lambda t: quality(scores, t).f1) if candidates else 0.5


def tocsin_scores(pairs: Sequence[Pair]) -> list[tuple[float, bool]]:
    out = []
    for pair in pairs:
        query = matching.prepare(matching.entity_from_dict(pair.query), query=True)
        entry = matching.prepare(matching.entity_from_dict(pair.entry))
        out.append((matching.score(query, entry).score, pair.same))
    return out


def _names(entity: dict[str, Any]) -> list[str]:
    return [*entity["properties"].get("name", []), *entity["properties"].get("alias", [])]


def baseline_scorer() -> Callable[[dict[str, Any], dict[str, Any]], float]:
    """rapidfuzz's token-set ratio, the best over all names of both sides, in [0, 1]."""
    from rapidfuzz import fuzz, utils

    def scorer(query: dict[str, Any], entry: dict[str, Any]) -> float:
        return max((fuzz.token_set_ratio(a, b, processor=utils.default_process) / 100.0
                    for a in _names(query) for b in _names(entry)), default=0.0)

    return scorer


def baseline_scores(pairs: Sequence[Pair]) -> list[tuple[float, bool]]:
    scorer = baseline_scorer()
    return [(scorer(p.query, p.entry), p.same) for p in pairs]


def split(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """Tuning half and held-out half (every other pair)."""
    return list(pairs[0::2]), list(pairs[1::2])
