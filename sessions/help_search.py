"""The help finder: which agency helps with what a resident typed.

A resident writes "förskoleplats", "forskoleplats", "bank id", "BANKID",
"deklaraton" or "tax return". The words are normalised (accents stripped, case
folded, hyphens and spaces collapsed), then compared with every topic's names
and search words and every e-service's and agency's names, in every language
(so "kindergarten", "дитячий садок" and "بنك آيدي" find theirs), allowing one
typo. The answers are agencies, best first, each with the e-services and
topics that matched and the agency's next times.

The tables are small (tens of rows), so matching happens in Python on rows
read in a fixed number of queries. That keeps the answers identical on SQLite
and PostgreSQL: no database collation, accent or full-text rule is involved.
"""

import dataclasses
import functools
import unicodedata

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyLevel, EService, Topic
from eserviceverkstad.i18n import in_every_language, sort_key
from sessions.models import Occurrence, StaffedSlot

MAX_QUERY_LENGTH = 200
MAX_ANSWERS = 5
NEXT_TIMES = 3
# Below this a phrase is no match at all; answers weaker than RELATIVE_CUT of
# the best one are left out, so a clear answer is not buried in near misses.
THRESHOLD = 0.5
RELATIVE_CUT = 0.8

# Weights: a topic's or agency's name says more than one of its search words;
# an e-service or series that covers a matching topic is slightly less
# certain than a direct hit.
NAME_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.9
ESERVICE_VIA_TOPIC = 0.95
SERIES_VIA_TOPIC = 0.9

# Words that say nothing about the problem, in both languages (normalised).
ENGLISH_STOP_WORDS = (
    "a an and are at can do for from get help how i in is it me my of on or please the to want what "
    "where who with you"
)
SWEDISH_STOP_WORDS = (
    "att av de den det dig din du en ett for fran har hjalp hur i jag kan med mig min mina mitt nar "
    "och om pa som till vad var vill"
)
STOP_WORDS = frozenset(f"{ENGLISH_STOP_WORDS} {SWEDISH_STOP_WORDS}".split())

TOO_LONG = _("Your search is too long. Write a few words, for example “preschool place” or “BankID”.")
UNREADABLE = _("We could not read your search. Write it again with letters and numbers only.")
NO_WORDS = _("Write a word about what you need help with, for example “tax return”.")


# Arabic and Persian keyboards write yeh and kaf as different letters
# (ي/ی, ك/ک); a Persian reader may type either.
ARABIC_LETTER_VARIANTS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})


def normalise(text):
    """'Förskole-Plats ' -> 'forskole plats': accents stripped, case folded,
    everything but letters and digits turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text).translate(ARABIC_LETTER_VARIANTS)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join("".join(char if char.isalnum() else " " for char in plain).split())


def within_one_edit(a, b):
    """True when ``a`` and ``b`` differ by at most one inserted, deleted,
    changed or swapped letter (optimal string alignment distance <= 1)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[start:] == b[start + 1 :]
    return a[start + 1 :] == b[start + 1 :] or (
        a[start : start + 2] == b[start : start + 2][::-1] and a[start + 2 :] == b[start + 2 :]
    )


@dataclasses.dataclass(frozen=True)
class Words:
    """A text as the matcher sees it: its words without stop words, and
    its letters without spaces ('bank id' and 'BankID' are both 'bankid')."""

    words: tuple
    compact: str
    starts: frozenset  # where each word begins in ``compact``

    @classmethod
    def of(cls, text):
        all_words = normalise(text).split()
        starts, position = set(), 0
        for word in all_words:
            starts.add(position)
            position += len(word)
        significant = tuple(w for w in all_words if w not in STOP_WORDS and len(w) > 1)
        return cls(significant, "".join(all_words), frozenset(starts))


def _word_score(word, phrase_words):
    best = 0.0
    for candidate in phrase_words:
        if word == candidate:
            return 1.0
        if len(word) >= 4 and len(candidate) >= 4 and within_one_edit(word, candidate):
            best = max(best, 0.85)
        elif len(word) >= 4 and (candidate.startswith(word) or (len(word) >= 5 and word in candidate)):
            # "forskol" -> "forskoleplats"; "deklaration" in "inkomstdeklaration".
            best = max(best, 0.75)
    return best


def _at_word_start(haystack, needle):
    """True when ``needle.compact`` occurs in ``haystack.compact`` where one
    of ``haystack``'s words begins ("datorn" holds "dator"; "skolval" does
    not hold "kolv")."""
    position = haystack.compact.find(needle.compact)
    while position != -1:
        if position in haystack.starts:
            return True
        position = haystack.compact.find(needle.compact, position + 1)
    return False


def _significant_length(words):
    return sum(len(word) for word in words.words) or len(words.compact)


def phrase_score(query, phrase):
    """How well ``query`` (Words) matches ``phrase`` (Words), from 0 to 1."""
    if not phrase.compact or not query.compact:
        return 0.0
    if query.compact == phrase.compact:
        return 1.0
    if len(phrase.compact) >= 4 and within_one_edit(query.compact, phrase.compact):
        return 0.9
    # The whole phrase inside a longer question ("hur tackar jag ja till
    # förskoleplats"), or the question inside a longer phrase ("e-böcker" in
    # "låna e-böcker"): the more of the other it covers, the better.
    if len(phrase.compact) >= 4 and _at_word_start(query, phrase):
        return 0.6 + 0.3 * min(1.0, len(phrase.compact) / _significant_length(query))
    if len(query.compact) >= 4 and _at_word_start(phrase, query):
        return 0.6 + 0.3 * len(query.compact) / len(phrase.compact)
    if not query.words or not phrase.words:
        return 0.0
    scores = [_word_score(word, phrase.words) for word in query.words]
    matched = sum(1 for word in phrase.words if _word_score(word, query.words) > 0)
    # Most weight on how much of the question matched, some on how much of
    # the phrase: "preschool" fits "preschool" better than "preschool class".
    return (sum(scores) / len(scores)) * (0.6 + 0.25 * matched / len(phrase.words))


@functools.lru_cache(maxsize=4096)
def _catalogue_words(text):
    # The catalogue's names and search words change rarely: each is
    # normalised once per process, not once per search.
    return Words.of(text)


def _phrases(texts, weight):
    return [(_catalogue_words(text), weight) for text in texts if text and text.strip()]


def _split_keywords(text):
    # Arabic and Persian write the comma as "،".
    return [part for part in (text or "").replace("،", ",").split(",") if part.strip()]


def best_score(query, phrases):
    return max((phrase_score(query, words) * weight for words, weight in phrases), default=0.0)


@dataclasses.dataclass
class Answer:
    """One agency that helps, with what matched and when it is here next."""

    agency: Agency
    score: float
    evidence: int = 0
    eservices: list = dataclasses.field(default_factory=list)
    topics: list = dataclasses.field(default_factory=list)
    next_times: list = dataclasses.field(default_factory=list)

    def sort_key(self):
        # Ties (two libraries both run BankID drop-ins) go to the agency
        # with more matching e-services and series, then by name.
        return (-round(self.score, 6), -self.evidence, sort_key(self.agency.name), self.agency.pk)


@dataclasses.dataclass
class SearchResult:
    query: str
    problem: str = ""
    answers: list = dataclasses.field(default_factory=list)
    topics: list = dataclasses.field(default_factory=list)

    @property
    def searched(self):
        return bool(self.query) and not self.problem


def check_query(text):
    """A message for a query we cannot search with, or '' if it is fine."""
    if len(text) > MAX_QUERY_LENGTH:
        return TOO_LONG
    if any(unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"} and char not in "\t\n\r" for char in text):
        return UNREADABLE
    if not normalise(text):
        return NO_WORDS
    return ""


class Catalogue:
    """Topics, e-services and agencies with their phrases, read in four
    queries: topics; agencies; e-services; e-service topics; plus the
    topics each agency's series cover."""

    def __init__(self, municipality=None):
        self.topics = all_topics()
        agencies = Agency.objects.all()
        # A municipality's help finder answers with its own offices and the
        # national agencies, not with another municipality's.
        if municipality is not None:
            agencies = agencies.filter(Q(municipality=municipality) | Q(level=AgencyLevel.NATIONAL))
        self.agencies = {agency.pk: agency for agency in agencies}
        self.eservices = [e for e in EService.objects.all() if e.agency_id in self.agencies]
        self.eservice_topics = {}
        for eservice_id, topic_id in EService.topics.through.objects.values_list("eservice_id", "topic_id"):
            self.eservice_topics.setdefault(eservice_id, set()).add(topic_id)
        self.series_topics = {}
        for agency_id, topic_id in StaffedSlot.topics.through.objects.values_list(
            "staffedslot__agency_id", "topic_id"
        ):
            if agency_id not in self.agencies:
                continue
            self.series_topics.setdefault(agency_id, []).append(topic_id)

    def topic_phrases(self, topic):
        keywords = [word for text in in_every_language(topic, "keywords") for word in _split_keywords(text)]
        return _phrases(in_every_language(topic, "name"), NAME_WEIGHT) + _phrases(keywords, KEYWORD_WEIGHT)


def _score_topics(query, catalogue):
    scores = {}
    for topic in catalogue.topics:
        score = best_score(query, catalogue.topic_phrases(topic))
        if score >= THRESHOLD:
            scores[topic.pk] = score
    return scores


def _answer_for(answers, catalogue, agency_id, score):
    answer = answers.get(agency_id)
    if answer is None:
        answer = answers[agency_id] = Answer(catalogue.agencies[agency_id], 0.0)
    answer.score = max(answer.score, score)
    return answer


def _collect_answers(query, catalogue, topic_scores):
    answers = {}
    for agency in catalogue.agencies.values():
        score = best_score(query, _phrases(in_every_language(agency, "name"), NAME_WEIGHT))
        if score >= THRESHOLD:
            _answer_for(answers, catalogue, agency.pk, score).evidence += 1
    for eservice in catalogue.eservices:
        direct = best_score(query, _phrases(in_every_language(eservice, "name"), NAME_WEIGHT))
        topic_ids = catalogue.eservice_topics.get(eservice.pk, ())
        via_topic = max((topic_scores.get(pk, 0.0) * ESERVICE_VIA_TOPIC for pk in topic_ids), default=0.0)
        if max(direct, via_topic) >= THRESHOLD:
            answer = _answer_for(answers, catalogue, eservice.agency_id, max(direct, via_topic))
            answer.eservices.append(eservice)
            answer.evidence += 1
    for agency_id, topic_ids in catalogue.series_topics.items():
        matching = [topic_scores[pk] for pk in topic_ids if pk in topic_scores]
        if matching:
            answer = _answer_for(answers, catalogue, agency_id, max(matching) * SERIES_VIA_TOPIC)
            answer.evidence += len(matching)
    return answers


def _attach_topics(answers, catalogue, topic_scores):
    by_pk = {topic.pk: topic for topic in catalogue.topics}
    for answer in answers:
        covered = set(catalogue.series_topics.get(answer.agency.pk, ()))
        for eservice in answer.eservices:
            covered |= catalogue.eservice_topics.get(eservice.pk, set())
        matched = sorted(covered & topic_scores.keys(), key=lambda pk: -topic_scores[pk])
        answer.topics = [by_pk[pk] for pk in matched]
        # An agency found by its own name shows all its e-services.
        if not answer.eservices:
            answer.eservices = [e for e in catalogue.eservices if e.agency_id == answer.agency.pk]
        answer.eservices.sort(key=lambda eservice: sort_key(eservice.name))


def next_times_by_agency(agency_ids, now=None, per_agency=NEXT_TIMES, municipality=None):
    """Up to ``per_agency`` coming sessions for each agency, in one query;
    with ``municipality``, at its venues only."""
    occurrences = Occurrence.objects.filter(slot__agency_id__in=agency_ids)
    if municipality is not None:
        occurrences = occurrences.filter(slot__venue__municipality=municipality)
    ranked = (
        occurrences.next_per("slot__agency_id", per_agency, now)
        # The agency too: a bookable session's "Book" button names it.
        .select_related("slot__venue", "slot__agency")
        .order_by("starts_at", "pk")
    )
    by_agency = {}
    for occurrence in ranked:
        by_agency.setdefault(occurrence.slot.agency_id, []).append(occurrence)
    return by_agency


def all_topics():
    return sorted(Topic.objects.all(), key=lambda topic: sort_key(topic.name))


def search(text, municipality=None):
    """Answers for the resident's ``text``. Never raises on odd input: a
    query we cannot use gives a ``problem`` message and the topic list.
    With ``municipality``: its agencies and the national ones, with their
    next times there."""
    text = (text or "").strip()
    result = SearchResult(query=text[:MAX_QUERY_LENGTH], problem=check_query(text) if text else "")
    if not text or result.problem:
        result.topics = all_topics()
        return result
    catalogue = Catalogue(municipality)
    query = Words.of(text)
    topic_scores = _score_topics(query, catalogue)
    answers = sorted(_collect_answers(query, catalogue, topic_scores).values(), key=Answer.sort_key)
    if not answers:
        result.topics = catalogue.topics
        return result
    answers = [a for a in answers if a.score >= answers[0].score * RELATIVE_CUT][:MAX_ANSWERS]
    _attach_topics(answers, catalogue, topic_scores)
    upcoming = next_times_by_agency([answer.agency.pk for answer in answers], municipality=municipality)
    for answer in answers:
        answer.next_times = upcoming.get(answer.agency.pk, [])
    result.answers = answers
    return result
