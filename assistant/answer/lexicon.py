"""Every word list and tuned constant of the answer rules, each with what it is for and the data that chose it.

"Gold tune questions" means `eval/gold/tune.jsonl` (the 72 questions the rules were first written on); "general" means
written from general English or biomedical naming, not from any evaluation data. No entry may be chosen on
`eval/gold/heldout.jsonl` or on a benchmark's test part. The numeric thresholds of the answer step live in
`settings.AnswerSettings` (min_sentence_score, sentence_margin, refusal_threshold, min_term_coverage,
support_threshold), all chosen on the gold tune questions.
"""

from __future__ import annotations

import re

# --- answer/terms.py ------------------------------------------------------------
# Question scaffolding and English function words; they say nothing about what the documents must contain. General
# English, plus question words ("role", "kind", "stand", "mean", "abbreviation") added while reading the gold tune
# questions.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just may me might more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves tell explain describe known know please give list kind kinds type types way ways role
    effect effects use used using work works stand stands mean means meaning abbreviation acronym et al etc""".split()
)
# Words that neither start nor end a spelled-out abbreviation ("mechanism of action" may hold one inside).
# General English function words, not chosen on any data.
FUNCTION_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())
# Words that negate a statement (the cosine prefilter of the citation check). General English.
NEGATIONS = frozenset("not no never neither nor without none cannot fail fails failed absence lack lacks".split())
# Gene/protein/drug-like tokens and numbers that must occur verbatim: CCL2, FoxP3, IL-10, CD4+, STAT5, 6955. General
# naming conventions.
KEY_TERM = re.compile(r"^(?=.*\d)|^[A-Z]{2,}|^[a-z]+[A-Z]|^[A-Z][a-z]+[A-Z0-9]")
# Derivational prefixes of biomedical adjectives ("antitumour" is about tumours), and the combining forms of medical
# words ("immunosuppressive" is about suppression). General English and biomedical morphology.
# Short prefixes (de-, re-, co-) are left out: "deliver" is not about the liver.
DERIVATIONAL_PREFIXES = (
    "anti", "non", "intra", "inter", "extra", "hyper", "hypo", "multi", "pseudo", "semi", "post",
    "immuno", "neuro", "cardio", "hepato", "nephro", "onco", "cyto",
)  # fmt: skip
# Greek letters as written out, so "IFN-α", "IFNα" and "IFN-alpha" meet. General (the Greek alphabet).
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta",
    "ι": "iota", "κ": "kappa", "λ": "lambda", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau",
    "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Α": "alpha", "Β": "beta", "Γ": "gamma", "Δ": "delta",
    "Κ": "kappa", "Ω": "omega",
}  # fmt: skip
# British spellings folded to American ones before stemming, on questions and passages alike (so a fold that is
# wrong for some word joins nothing that was apart): tumour, leukaemia, oedema, analyse, organise, centre, catalogue.
# General English orthography.
SPELLING_FOLDS = (
    (re.compile(r"(?<=[a-z]{3})our(s?)$"), r"or\1"),
    (re.compile(r"(?<=[a-z])ae(?=[a-z])"), "e"),
    (re.compile(r"(?<=[a-z])oe(?=[a-z]{2})"), "e"),
    (re.compile(r"^oe(?=[a-z]{3})"), "e"),
    (re.compile(r"(?<=[a-z]{2})ys(e|es|ed|ing|er|ers)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{3})tre(s?)$"), r"ter\1"),
    (re.compile(r"(?<=[a-z]{3})ogue(s?)$"), r"og\1"),
)
# Words of research reporting that any document may or may not use; they say nothing about its topic. Chosen
# while reading the gold tune questions ("propose", "new", "authors").
GENERIC_WORDS = (
    "study studies model models treat treated treatment use used research result results paper article author "
    "authors publish published journal disease diseases experiment experiments animal type types new involve "
    "involved test tested method methods data find found show shown report reported drug drugs propose proposed "
    "suggest suggested conclude concluded"
)

# --- answer/extractive.py ------------------------------------------------------------
# Weight of cosine against IDF term overlap in a sentence score. Chosen on the gold tune questions.
DENSE_WEIGHT = 0.6
# Shorter lines (headings, bylines) are not answers. General.
MIN_ANSWER_WORDS = 5
# A shorter sentence still answers when it ends as one: "Donepezil inhibits acetylcholinesterase." General (a subject,
# a verb, an object; the claim check's least too). Rule written after an outside tester's finding, 2026-12-07.
MIN_SENTENCE_WORDS = 3
# Candidate sentences scored per question. Chosen on the gold tune questions (the rules were tuned with it).
SHORTLIST = 16
# And, for a question about several documents, per document. Chosen on the gold tune questions.
SHORTLIST_PER_DOCUMENT = 6
# A question about the publication itself, answered by the citation line. Words from the gold tune questions.
BIBLIOGRAPHIC_ASKED = re.compile(
    r"\b(journal|published|publication|pages|authors?|wrote|written by|venue|issue|volume)\b", re.IGNORECASE
)
# Score added to the citation line for a bibliographic question. Chosen on the gold tune questions.
CITATION_LINE_BONUS = 0.3
# A question asking which journal: a sentence naming one ("Journal of Clinical Investigation") gives the kind of thing
# asked for and has the citation line's bonus (rule written after a tune_paraphrase failure, 2026-12-07).
JOURNAL_ASKED = re.compile(
    r"\b(?:which|what|whose)\s+(?:\w+\s+)?journals?\b|\bjournals?\s+(?:was|were|is|are|did|does|has|have)\b", re.I
)
JOURNAL_NAMED = re.compile(r"\bJournal\b")

# --- answer/selection.py ------------------------------------------------------------
# How far below min_sentence_score the sentence right after a chosen one may score and still complete it. Chosen on
# the gold tune questions.
NEXT_SENTENCE_SLACK = 0.05

# --- answer/verification.py ------------------------------------------------------------
# Passage sentences within this cosine of the best one also support an answer sentence. Chosen on the gold tune
# questions.
SUPPORT_SPAN_MARGIN = 0.05

# --- answer/gate/answerability.py ------------------------------------------------------------
# The question asks for an amount: "how many/much", or a quantity word as the thing a what/which phrase asks for
# ("what dose", "what's the standard daily dose", "which micromolar concentration"). A question that only mentions
# one ("does high-dose radiotherapy help?", a claim about a 40 mg dosage) asks whether, not how much: those misfires
# were seen on PubMedQA and SciFact tune questions; up to four words between, for a tune paraphrase ("what's the
# standard daily Glivec dose"). Quantity words from the gold tune questions and general English.
QUANTITY_ASKED = re.compile(
    r"\bhow (?:many|much)\b|\bwhat percent"
    r"|\b(?:what|which)(?:'s|\s+is|\s+are|\s+was|\s+were)?\s+(?:[\w-]+\s+){0,4}?"
    r"(?:dose|dosage|doses|strength|concentrations?|percentage)\b",
    re.I,
)
# The amount asked for has a unit (a dose, a concentration). Words from the gold tune questions.
UNIT_ASKED = re.compile(r"\b(dose|dosage|doses|strength|micromolar|millimolar|mg|µm|nm)\b", re.I)
# A number, in digits or words. General.
NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)?\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|hundred)\b", re.I
)
# A number with a unit of dose, mass, volume or share. General units.
AMOUNT_WITH_UNIT = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:%|percent|mg|µg|ug|ng|g|kg|ml|µl|mm|µm|um|nm|mmol|µmol|iu|units?|mg/kg|mg/m2)(?![\w])",
    re.I,
)
# The question asks when, or for a year or date. General English.
DATE_ASKED = re.compile(r"^\s*when\b|\b(what|which) (year|date)\b|\bin what year\b", re.I)
# A year (1800-2099) or a month and day. General.
DATE = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d", re.I)
# English's question words. General English.
WH_WORDS = "how|why|what|when|where|which|who|whom|whose"
# A question put with an auxiliary verb ("does imatinib block ...", "how do mast cells ...", "is the cream ..."):
# English puts the subject right after it. General English grammar.
# English auxiliary verbs, as a regex alternation (the verifier's perturbations and the yes/no reading use them too).
AUXILIARIES = "does|do|did|is|are|was|were|can|could|may|might|will|would|should|has|have|had"
SUBJECT_ASKED = re.compile(
    rf"^\s*(?:(?:{WH_WORDS})\s+(?:\w+\s+)?)?(?:{AUXILIARIES})\s+(?P<rest>.+)",
    re.I,
)
# A question opening with a question word asks for a thing, not for a yes or a no. General English.
QUESTION_WORD = re.compile(rf"^\s*(?:{WH_WORDS})\b", re.I)
# The question is about several things or documents. General English.
SEVERAL_ASKED = re.compile(r"\b(both|each|either|compare|comparison|differ|difference|versus|vs)\b|\band\b", re.I)
# The question asks about things used together. General English.
COMBINED_ASKED = re.compile(
    r"\b(combin\w*|together with|co-?administ\w*|plus|synerg\w*|concomitant\w*|in addition to)\b", re.I
)
# Where a multi-document question splits into parts. General English.
CLAUSE_BREAK = re.compile(r"\s*(?:[;,]\s*(?:and|but|while|whereas)?|\b(?:whereas|while)\b)\s*", re.I)
# Joiners dropped beside a dropped word. General English.
JOINERS = frozenset({"and", "or", "&"})
# Articles dropped before a dropped word. General English.
ARTICLES = frozenset({"the", "a", "an"})

# --- answer/gate/linking.py ------------------------------------------------------------
# A cell type named in a question ("mast cells"). General.
CELL_TYPE = re.compile(r"\b([A-Za-z][\w+\-]*)\s+(?:cells?|lymphocytes?)\b(?!-)")
# The kind of thing a which/what question asks for. General English.
ASKED_KIND = re.compile(r"\b(?:which|what)\s+(.+)", re.I)
# Words after which/what read as that kind. Chosen on the gold tune questions.
MAX_KIND_WORDS = 3
