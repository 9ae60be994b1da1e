"""Query understanding without an LLM: a glossary mined from the corpus plus curated synonyms.

The glossary pairs each acronym the reviews define ("Multi-Agency Risk
Assessment Conference (MARAC)") with its expansion. The synonym list maps
practitioners' everyday words to the reviews' wording ("dad" -> father). Both
are applied to a query before keyword and dense search.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from core.records import ReviewMeta
from index.keyword import singular_acronyms, tokenize

# Each group lists words practitioners use interchangeably. A query word or phrase in a group
# pulls in the group's other members. Kept small and domain-general on purpose.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "father",
        "fathers",
        "dad",
        "dads",
        "daddy",
        "male carer",
        "male carers",
        "men",
        "males",
        "stepfather",
        "mother's partner",
        "partner",
        "boyfriend",
        "boyfriends",
        "think fathers",
        "hidden men",
    ),
    ("mother", "mum", "mums", "mothers", "maternal"),
    ("genogram", "family tree", "mapping family relationships", "family relationships", "who is in the family"),
    (
        "challenge",
        "escalation",
        "escalate",
        "escalating",
        "professional challenge",
        "disagree",
        "disagreement",
        "push back",
        "resolution",
    ),
    ("marac", "multi-agency risk assessment conference", "risk conference", "risk conferences"),
    (
        "cme",
        "children missing education",
        "missing education",
        "not in school",
        "out of school",
        "school place",
        "not attending school",
    ),
    ("neglect", "neglected", "neglectful", "poor home conditions", "cumulative harm", "chronic neglect"),
    (
        "information sharing",
        "share information",
        "sharing information",
        "communication",
        "joint working",
        "working together",
        "talk to each other",
        "multi-agency",
    ),
    ("domestic abuse", "domestic violence", "dv", "violence at home", "abusive relationship"),
    ("health visitor", "health visitors", "health visiting", "hv"),
    ("gp", "gps", "family doctor", "doctor", "general practice", "general practitioner"),
    ("social worker", "social workers", "children's social care", "csc", "social care", "children's services"),
    ("cannabis", "drugs", "drug use", "substance misuse", "substance use", "alcohol"),
    ("mental health", "mental ill-health", "depression", "post-natal depression", "perinatal mental health"),
    (
        "co-sleeping",
        "co-sleep",
        "bed sharing",
        "sleeping with the baby",
        "safe sleep",
        "sudden infant death",
        "sids",
        "cot death",
    ),
    (
        "lived experience",
        "voice of the child",
        "child's voice",
        "seeing the child",
        "child seen",
        "wishes and feelings",
    ),
    (
        "non-engagement",
        "engagement",
        "hard to reach",
        "hard to engage",
        "avoid professionals",
        "avoiding professionals",
        "dodge",
        "dodging",
        "dodged",
        "disguised compliance",
        "not engaging",
        "missed appointments",
        "was not brought",
    ),
    ("supervision", "management oversight", "oversight", "supervisor", "manager"),
    ("covid", "covid-19", "pandemic", "lockdown", "lockdowns"),
    ("school", "schools", "education", "teacher", "teachers", "designated safeguarding lead", "college", "colleges"),
    (
        "recommendation",
        "recommendations",
        "recommend",
        "recommended",
        "actions",
        "what should change",
        "learning point",
    ),
    (
        "mash",
        "multi-agency safeguarding hub",
        "multi agency safeguarding hub",
        "children's hub",
        "front door",
        "single point of access",
        "first response",
    ),
    ("assessment", "assessments", "assess", "assessing"),
    (
        "child protection plan",
        "cp plan",
        "child protection",
        "icpc",
        "initial child protection conference",
        "core group",
    ),
    ("chronology", "chronologies", "history", "historic concerns", "family history", "timeline"),
    ("learning disability", "learning disabilities", "learning needs", "parents with learning"),
    ("police", "officer", "officers"),
    ("housing", "house moves", "moved home", "change of address", "moving house", "moving home"),
    ("training", "trained", "train", "learning and development"),
    ("probation", "offender", "offenders", "on licence", "prison"),
    ("death", "died", "deaths", "child death"),
    ("toddler", "toddlers", "young child", "young children"),
    ("red book", "parent-held record", "parent held record", "personal child health record", "pchr"),
    ("interpreter", "interpreters", "interpreting", "translator", "translators", "translate", "translation"),
    ("closed", "closure", "case closure", "closing", "shut", "shutting"),
    # "Who noticed she wasn't in school?": the reviews say who identified it.
    ("identified", "noticed", "discovered", "spotted", "realised", "realized"),
    # "Who hurt Child O?": the reviews say the child was assaulted or injured.
    ("hurt", "injured", "injury", "injuries", "assaulted", "attacked", "attack"),
    (
        "relatives",
        "close relatives",
        "wider family",
        "extended family",
        "grandparents",
        "grandparent",
        "grandmother",
        "kinship care",
    ),
)

_GO = ("go", "goes", "going", "went", "gone")  # the forms of "go" in the idioms below

# Everyday idiom for what the reviews say in their own words. One way only: the idiom brings in the reviews'
# terms (and their synonym group); a question in the reviews' terms does not bring in the idiom.
IDIOMS: dict[str, str] = {
    **dict.fromkeys(
        (
            "in the loop",
            "out of the loop",
            "kept in the loop",
            "left in the dark",
            "join the dots",
            "joining the dots",
            "connect the dots",
        ),
        "information sharing",
    ),
    "joined up": "joint working",
    **dict.fromkeys(
        (
            "going through the motions",
            "saying all the right things",
            "say all the right things",
            "saying the right things",
            "what we want to hear",
            "what professionals want to hear",
            "playing the game",
            "yes to everything",
            # "Parents who go along with everything", "seem to cooperate", "look cooperative on the surface".
            *(f"{verb} along with" for verb in _GO),
            *(
                f"{verb} {cooperating}"
                for verb in (
                    *("look", "looks", "looked", "looking", "seem", "seems", "seemed", "seeming"),
                    *("appear", "appears", "appeared", "appearing"),
                )
                for cooperating in (
                    *("cooperative", "co-operative", "compliant", "to cooperate", "to co-operate", "to comply"),
                    *("to be cooperating", "to be co-operating", "like they're cooperating", "like theyre cooperating"),
                    *("like they are cooperating", "like she's cooperating", "like he's cooperating"),
                )
            ),
        ),
        "disguised compliance",
    ),
    **dict.fromkeys(
        (
            "face value",
            "at their word",
            "at her word",
            "at his word",
            *(
                f"{verb} {whose} word"
                for verb in ("take", "takes", "took", "taking")
                for whose in ("her", "his", "their")
            ),
        ),
        "professional curiosity",
    ),
    **dict.fromkeys(("run it past", "ran it past", "run this past", "ran this past", "run that past"), "discussed"),
    **dict.fromkeys(("round the table", "around the table", "round the same table"), "meeting"),
    **dict.fromkeys(("sticking point", "sticking points", "at loggerheads", "butting heads"), "disagreement"),
    # "Who first picked up that she wasn't in school?": the reviews say who identified it.
    **dict.fromkeys(
        (
            *(f"{verb} up {what}" for verb in ("pick", "picks", "picked", "picking") for what in ("on", "that")),
            *(
                f"{verb} up {what}"
                for verb in ("flag", "flags", "flagged", "flagging")
                for what in ("that", "concern", "concerns")
            ),
            "clocked that",
        ),
        "identified",
    ),
    **dict.fromkeys(
        (
            "slip through the net",
            "slipping through the net",
            "slipped through the net",
            "fall through the net",
            "falling through the net",
            "fell through the net",
            "through the gaps",
            "through the cracks",
        ),
        "missed",
    ),
    # "Our MARFs keep getting knocked back": not accepted.
    **dict.fromkeys(
        tuple(f"{verb} back" for verb in ("knocked", "knocking", "knock", "knocks", "bounced", "bouncing", "bounce")),
        "not accepted",
    ),
    # "Off every agency's radar": the reviews say invisible to services, hidden from agencies.
    **dict.fromkeys(
        (
            *(f"{where} {whose} radar" for where in ("under", "off") for whose in ("the", "their", "our", "anyone's")),
            *(f"off {whose} radar" for whose in ("everyone's", "every agency's", "agencies'", "services'", "all")),
            "off radar",
        ),
        "invisible",
    ),
    # "The state of the house": the reviews write of home conditions.
    **dict.fromkeys(
        (
            *(
                f"{what} of the {place}"
                for what in ("state", "condition")
                for place in ("house", "houses", "home", "homes", "flat", "flats", "place", "property")
            ),
            "living conditions",
        ),
        "home conditions",
    ),
    # Two agencies going out together: a joint visit.
    **dict.fromkeys(
        (
            "visit together",
            "visits together",
            "visited together",
            "visiting together",
            *(f"{verb} out together" for verb in _GO),
            *(f"{verb} out on a visit together" for verb in _GO),
        ),
        "joint visit",
    ),
    # Concerns met one at a time: the reviews speak of isolated incidents and incident-led practice.
    **dict.fromkeys(("one at a time", "one by one", "one incident at a time", "piecemeal"), "isolated incidents"),
    # "Did anyone clap eyes on the child?": was the child seen.
    **dict.fromkeys(
        # Without the "on", which a follow-up's carried topic drops as a stopword.
        (f"{verb} eyes" for verb in ("clap", "clapped", "clapping", "lay", "laid", "laying", "set")),
        "seen",
    ),
    # "Leaning on grandparents": the reviews warn against placing reliance on relatives.
    **dict.fromkeys(("lean on", "leaning on", "leant on", "leaned on", "leans on"), "reliance"),
    # Referred again and again: repeated referrals, "three referrals in succession".
    **dict.fromkeys(
        (
            *("again and again", "over and over", "time and again", "time after time"),
            # "Just keep sending them?", "should I send another?": referring again, and again.
            *(
                f"{verb} {doing}"
                for verb in ("keep", "keeps", "kept", "keep on")
                for doing in ("sending", "referring", "submitting", "resubmitting")
            ),
            *(f"{verb} another" for verb in ("send", "sending", "sent", "submit", "submitting", "make")),
            "another referral",
        ),
        "repeated referrals",
    ),
    # Concerns "brushed off": the reviews say they were not pursued.
    **dict.fromkeys(("brushed off", "brush off", "brushed aside", "fobbed off", "fob off"), "not pursued"),
    # Family or neighbours who "raised the alarm": raised concerns.
    **dict.fromkeys(
        # Also without "the", which a follow-up's carried topic drops as a stopword.
        (
            f"{verb} {the}alarm"
            for verb in ("raise", "raises", "raised", "raising", "sound", "sounded")
            for the in ("the ", "")
        ),
        "raised concerns",
    ),
    # "She can't get her head round the doses": understanding.
    **dict.fromkeys(
        (
            f"{verb} {whose} head {round}"
            for verb in ("get", "gets", "getting", "got")
            for whose in ("my", "her", "his", "their", "your", "our")
            for round in ("round", "around")
        ),
        "understand",
    ),
    # "Is the briefing even meant for me?", "who's it aimed at?": who the review is written for, who should read it.
    **dict.fromkeys(
        (
            *(f"{meant} for {whom}" for meant in ("meant", "intended", "written") for whom in ("me", "us", "who")),
            # Not any "aimed at": "which recommendations were aimed at schools?" asks about schools.
            *(f"aimed at {whom}" for whom in ("me", "us", "who")),
            "it aimed at",
            *(
                f"{who} it {meant}"
                for who in ("who's", "whos", "who is")
                for meant in ("for", "meant for", "intended for", "written for", "aimed at")
            ),
            "target audience",
        ),
        "who should read it",
    ),
    # "Is his real dad in the picture?": involvement.
    "in the picture": "involvement",
    # Parents "playing ball": cooperating, or seeming to ("look like they're playing ball" is disguised compliance).
    **dict.fromkeys(("play ball", "plays ball", "played ball", "playing ball"), "cooperation"),
    # "Did anyone push it up the chain?": escalation.
    **dict.fromkeys(
        (
            *("up the chain", "up the line", "up the ladder", "higher up", "further up"),
            *(f"over {whose} head" for whose in ("her", "his", "their", "my")),
            *(f"over {whose} heads" for whose in ("their", "our")),
        ),
        "escalation",
    ),
    # Agencies that don't "turn up" or "send apologies": attendance at meetings.
    **dict.fromkeys(
        (
            *(f"{verb} up" for verb in ("turn", "turns", "turned", "turning", "show", "shows", "showed", "showing")),
            *(f"{verb} apologies" for verb in ("send", "sends", "sent", "sending", "gave", "give", "giving")),
        ),
        "attend",
    ),
    # A child "way behind" or "behind for their age": developmental delay.
    **dict.fromkeys(
        (
            *(f"{adv} behind" for adv in ("way", "really", "so", "very", "far", "badly", "how", "massively", "miles")),
            *(f"behind for {whose} age" for whose in ("his", "her", "their", "your")),
            *("behind developmentally", "behind with milestones", "missing milestones", "behind other children"),
        ),
        "developmental delay",
    ),
    # Agencies that "sat on their hands": waited, did not act.
    **dict.fromkeys((f"{verb} on their hands" for verb in ("sit", "sits", "sat", "sitting")), "wait"),
    # A worker who didn't "kick up a fuss": challenge.
    **dict.fromkeys(
        (
            f"{verb} {what}"
            for verb in ("kick up", "kicked up", "kicking up", "make", "made", "making", "raise", "raised")
            for what in ("a fuss", "more of a fuss", "a stink")
        ),
        "challenge",
    ),
    # "Sharing a bed with your baby", "sleeping with the baby": co-sleeping.
    **dict.fromkeys(
        (
            *(f"{verb} a bed" for verb in ("share", "shares", "shared", "sharing")),
            "same bed",
            *(f"{verb} with the baby" for verb in ("sleep", "sleeps", "slept", "sleeping")),
            *(f"{verb} with their baby" for verb in ("sleep", "sleeps", "slept", "sleeping")),
        ),
        "co-sleeping",
    ),
    # "Why didn't the council just go to court?", "take the parents to court": a court order or a prosecution.
    **dict.fromkeys(
        (
            *(f"{verb} to court" for verb in ("go", "goes", "going", "went", "gone")),
            *(
                f"{verb} {whom} to court"
                for verb in ("take", "taking", "took", "taken")
                for whom in ("them", "him", "her", "the parents", "the family", "mum", "dad")
            ),
        ),
        "court order or prosecution",
    ),
}

# Practitioners' shorthand and family words, written out as the reviews write them ("hols" -> holidays,
# "nan" -> grandmother) before anything else reads the question.
SHORTHAND: dict[str, str] = {
    "info": "information",
    "hols": "holidays",
    "xmas": "Christmas",
    "appt": "appointment",
    "appts": "appointments",
    "mtg": "meeting",
    "mtgs": "meetings",
    "convo": "conversation",
    "convos": "conversations",
    "approx": "approximately",
    "yr": "year",
    "yrs": "years",
    "wk": "week",
    "wks": "weeks",
    "mins": "minutes",
    "tmrw": "tomorrow",
    "esp": "especially",
    "nan": "grandmother",
    "nana": "grandmother",
    "nanna": "grandmother",
    "gran": "grandmother",
    "grandma": "grandmother",
    "grandad": "grandfather",
    "grandpa": "grandfather",
    "stepdad": "stepfather",
    "stepmum": "stepmother",
    "bf": "boyfriend",
    "recs": "recommendations",
    "rec": "recommendation",
    "tho": "though",
    "s47": "section 47",
    "s17": "section 17",
    "mam": "mum",
    "meds": "medication",
    "copper": "police officer",
    "coppers": "police officers",
    "cop": "police officer",
    "cops": "police officers",
    "bloke": "man",
    "blokes": "men",
    "fella": "man",
    "strat": "strategy",
    "strats": "strategy meetings",
    "weed": "cannabis",
    "skunk": "cannabis",
    "spliff": "cannabis",
    "spliffs": "cannabis",
    "ganja": "cannabis",
    "conf": "conference",
    "confs": "conferences",
    # Texting: "wat did child y say abt dads", "y didnt the sw no".
    **dict.fromkeys(("wat", "wot", "wht"), "what"),
    **dict.fromkeys(("wats", "wots", "whats"), "what's"),
    **dict.fromkeys(("bc", "cos", "coz", "cuz", "bcos", "becos"), "because"),
    **dict.fromkeys(("pls", "plz"), "please"),
    **dict.fromkeys(("sth", "smth"), "something"),
    "ur": "your",
    "shud": "should",
    "shld": "should",
    "wud": "would",
    "cud": "could",
    "thru": "through",
    "abt": "about",
    "wen": "when",
    "b4": "before",
    "ppl": "people",
    "gonna": "going to",
    "wanna": "want to",
    "dunno": "don't know",
    # Contractions typed without their apostrophe.
    **{
        word.replace("'", "").lower(): word
        for word in (
            *(f"{verb}n't" for verb in ("was", "did", "do", "does", "is", "are", "were", "has", "have", "had")),
            *(f"{verb}n't" for verb in ("could", "should", "would")),
            "can't",
            "won't",
            "I'm",
            "I've",
            "they're",
            "you're",
            "that's",
            "who's",
            "he's",
            "she's",
            "there's",
        )
    },
}
_SHORTHAND = re.compile(r"(?<![\w'’-])(" + "|".join(map(re.escape, SHORTHAND)) + r")(?=(?:['’]s)?(?![\w'’-]))", re.I)


def write_out_shorthand(text: str) -> str:
    """The text with practitioners' shorthand written out ("summer hols" -> "summer holidays")."""
    return _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1).lower()], text)


# The field's common acronyms and what they stand for. The reviews' own acronyms are mined at ingest
# (``Glossary.mine``); these are the ones practitioners type whether a review uses them or not ("a SW in
# supervision", "as a DSL", "when do I go to the LADO?"), from the glossary of Working Together to Safeguard
# Children (2023) and everyday practice. Written out, they meet the reviews' words; and one the library holds in
# neither form names something no review mentions (``Retriever.holds_acronym``).
PRACTICE_ACRONYMS: dict[str, str] = {
    "A&E": "accident and emergency",
    "ADHD": "attention deficit hyperactivity disorder",
    "ASB": "antisocial behaviour",
    "ASD": "autism spectrum disorder",
    "CAF": "common assessment framework",
    "CAMHS": "child and adolescent mental health services",
    "CCG": "clinical commissioning group",
    "CCE": "child criminal exploitation",
    "CDOP": "child death overview panel",
    "CIN": "child in need",
    "CLA": "children looked after",
    "CP": "child protection",
    "CPP": "child protection plan",
    "CPS": "crown prosecution service",
    "CSA": "child sexual abuse",
    "CSE": "child sexual exploitation",
    "CYP": "children and young people",
    "DA": "domestic abuse",
    "DASH": "domestic abuse stalking and harassment",
    "DBS": "disclosure and barring service",
    "DHR": "domestic homicide review",
    "DoLS": "deprivation of liberty safeguards",
    "DSL": "designated safeguarding lead",
    "DV": "domestic violence",
    "ED": "emergency department",
    "EHA": "early help assessment",
    "EHCP": "education health and care plan",
    "EHE": "elective home education",
    "EWO": "education welfare officer",
    "FGM": "female genital mutilation",
    "FII": "fabricated or induced illness",
    "GDPR": "general data protection regulation",
    "HV": "health visitor",
    "ICB": "integrated care board",
    "ICPC": "initial child protection conference",
    "IDVA": "independent domestic violence advisor",
    "IRO": "independent reviewing officer",
    "ISVA": "independent sexual violence advisor",
    "LA": "local authority",
    "LAC": "looked after children",
    "LCSPR": "local child safeguarding practice review",
    "LADO": "local authority designated officer",
    "LSCB": "local safeguarding children board",
    "LSCP": "local safeguarding children partnership",
    "MAPPA": "multi-agency public protection arrangements",
    "MASH": "multi-agency safeguarding hub",
    "MH": "mental health",
    "NFA": "no further action",
    "NRM": "national referral mechanism",
    "ODD": "oppositional defiant disorder",
    "PCSO": "police community support officer",
    "PM": "post mortem",
    "PRU": "pupil referral unit",
    "RCPC": "review child protection conference",
    "SAR": "safeguarding adults review",
    "SCR": "serious case review",
    "SEN": "special educational needs",
    "SENCO": "special educational needs coordinator",
    "SEND": "special educational needs and disabilities",
    "SGO": "special guardianship order",
    "SIDS": "sudden infant death syndrome",
    "SUDI": "sudden unexpected death in infancy",
    "SW": "social worker",
    "TA": "teaching assistant",
    "TAC": "team around the child",
    "TAF": "team around the family",
    "UASC": "unaccompanied asylum seeking children",
    "WNB": "was not brought",
    "YOT": "youth offending team",
    "YP": "young person",
}
# The field's named topics (Working Together 2023, Keeping Children Safe in Education's specific safeguarding
# issues, the orders of the Children Act 1989 and Family Law Act 1996), as a practitioner writes them. A
# question about one the library holds nowhere ("private fostering", "county lines") asks about something no
# review discusses, whatever its everyday words; one it does hold ("neglect", "domestic abuse") is no signal.
TOPICS: tuple[str, ...] = (
    "adoption",
    "allegations against staff",
    "breast ironing",
    "bullying",
    "bullied",
    "care leaver",
    "child arrangements order",
    "child criminal exploitation",
    "child on child abuse",
    "concealed pregnancy",
    "denied pregnancy",
    "county lines",
    "criminal exploitation",
    "cyberbullying",
    "deprivation of liberty",
    "designated officer",
    "disclosure and barring",
    "eating disorder",
    "education health and care plan",
    "education supervision order",
    "emergency protection order",
    "elective home education",
    "extremism",
    "extremist",
    "fabricated or induced illness",
    "female genital mutilation",
    "forced marriage",
    "gang",
    "genital mutilation",
    "harmful sexual behaviour",
    "honour based abuse",
    "human trafficking",
    "induced illness",
    "interim care order",
    "kinship care",
    "modern slavery",
    "national minimum standards",
    "national referral mechanism",
    "non-molestation order",
    "operation encompass",
    "prevention of future deaths",
    "online abuse",
    "parenting order",
    "peer on peer abuse",
    "placement order",
    "private fostering",
    "prohibited steps order",
    "radicalisation",
    "restraint",
    "restraining",
    "return home interview",
    "safer recruitment",
    "secure accommodation",
    "section 20",
    "supported accommodation",
    "self harm",
    "sexting",
    "special guardianship",
    "suicide",
    "suicidal",
    "trafficking",
    "unregulated placement",
    "upskirting",
    "whistleblowing",
    "young carer",
)
# Shorter names the field also writes them by: a TAF or TAC is a "Team Around" meeting.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "TAF": ("team around",),
    "TAC": ("team around",),
    "GDPR": ("data protection",),  # a review weighing data protection has not left GDPR unmentioned
}
# Written in capitals, these are not acronyms: they are chat, or the time of day.
_NOT_ACRONYMS = frozenset({"OK", "OMG", "FYI", "ASAP", "BTW", "TBH", "IMO", "PLS", "THX", "AM", "PM", "TV", "ID"})
_ACRONYM = re.compile(r"(?<![\w&])([A-Z][A-Za-z&]{0,6}?)(?:s|'s|’s)?(?![\w&])")
# Words naming the asker's role, for a role heading the question ("IDVA - ...", "L&D officer. ...").
_ROLES = (
    r"officers?|workers?|nurses?|visitors?|managers?|leads?|leaders?|teachers?|head|headteacher|sergeant|sgt|"
    r"practitioners?|clinicians?|students?|carers?|midwife|midwives|paediatrician|chair|reviewer|trainer|adviser|"
    r"advisor|councillor|consultant|therapist|co-?ordinator|investigator|detective|dsl|idva|isva|iro|senco|hv|sw|"
    r"nqsw|gp|ewo|pcso|fsw|cpn|ddsl|bm|hca|coach|receptionist|childminder|dentist|pharmacist|assistant|governor|"
    r"volunteer|tutor|chaplain|vicar|imam|priest|pastor|paramedic|optician|physio|psychologist|psychiatrist|doctor|rep|"
    r"inspector|magistrate|solicitor|barrister|lawyer|researcher|commissioner|analyst"
).split("|")
_PREPARING = r"(?:running|doing|delivering|preparing|planning|putting together|writing|pulling together|building)"
_PIECE = (
    r"(?:[\w-]+\s+){0,2}?(?:sessions?|training(?!\s+(?:sessions?|course|day|event|slot)\b)|presentation|workshop|"
    r"talk|slides?|essay|assignment|case study|module|lecture|lesson|course|slot|event|teaching|paper)\b"
    r"(?:\s+(?:sessions?|slot|day|event))?"
)
# "I'm", "we're" (with their apostrophe, straight or curly: "were" is a verb) and their long forms.
_WE_ARE = r"(?:I['’]?m|I am|we['’]re|we are)"
# "I'm a DSL at...", "as an IDVA", "MASH sergeant here": who asks, not what is asked about.
# The introduction runs to the end of its clause ("As a youth worker dealing with gangs, ...") or to the question
# it introduces ("As a school nurse what are my duties...?").
_SELF_INTRODUCTION = re.compile(
    # "As a DSL, ...", "speaking as a parent": not "set out as the legal test", "such as a GP".
    # "I'm in adult mental health, ...": where the asker works, up to the end of its clause.
    rf"\b(?:{_WE_ARE}\s+(?:a|an|the|one of the)|"
    r"I (?:work|sit|serve|volunteer) (?:as|in|with|for|on)|"
    rf"{_WE_ARE} (?:based )?in(?=(?:\s+[\w&/'’-]+){{1,4}}\s*[,;:–—-]\s)|"
    r"(?:(?<![\w'’] )|(?<=speaking )|(?<=asking )|(?<=writing )|(?<=talking )|(?<=started )|(?<=joined )|"
    r"(?<=working ))as\s+(?:a|an|the|one of the))\s+"
    r"(?!(?:result|whole|consequence|matter|way|means)\b)"
    r"[^,.;:!?\n–—]*?(?=\s+-\s+|[,.;:!?\n–—]|$|\s+(?:what|how|when|where|why|which|who|whose|do|does|did|is|are|"
    r"was|were|can|could|should|would|will|has|have|had)\b)"
    r"|\b(?:[\w&-]+\s+){0,2}[\w&-]+\s+here\b"
    # What the asker is preparing: "I'm running a session for DSLs on ...", "for a slide I'm writing: ...".
    rf"|\b{_WE_ARE}\s+{_PREPARING}\s+(?:a|an|some|our|my)\s+{_PIECE}"
    rf"|\b(?:for|in)\s+(?:a|an|my|our)\s+{_PIECE}\s+{_WE_ARE}\s+{_PREPARING}\b"
    # A role heading the question: "IDVA - I often find...", "Probation officer. In the Child O case...".
    # Not a subject put first: "the school nurse, was she told?".
    # "Midwife q - ...", "ED nurse, quick one - ...": the asker's "question" after the role names nothing.
    r"|^\s*(?!(?:the|a|an|this|that|his|her|their)\s)(?:[\w&/'’-]+\s+){0,3}?(?:" + "|".join(_ROLES) + r")"
    # "ED consultant putting together NAI teaching. ...", "Probation officer, covering Dudley. ...": with what they
    # are preparing (not what it is on) or the patch they cover, in at most four words.
    r"(?:,?\s+(?:quick\s+)?(?:q|question|query|one)|"
    rf",?\s+(?:{_PREPARING}|drafting|compiling)\s+(?:(?:a|an|some|our|my|the)\s+)?{_PIECE}|"
    r",?\s+covering(?:\s+[\w&/'’-]+){1,4})?\s*(?=[-–—:.,]\s)"
    r"|\bquick (?:one|q|question|query)\b"
    # With where they work: "IRO in Bradford. ...", "HCA on a children's ward. ..."; not "got a SW in supervision,".
    r"|^\s*(?:(?!(?:the|a|an|this|that|his|her|their|my|our|got|have|has|had)\s)[\w&/'’-]+\s+){0,2}?"
    r"(?:" + "|".join(_ROLES) + r")\s+(?:on|in|at|for|from|with)\s+(?:[\w&/'’-]+\s+){0,3}?[\w&/'’-]+\s*"
    r"(?=[-–—:.,]\s)",
    re.I,
)


def strip_self_introduction(text: str) -> str:
    """The text without the asker's introduction of themselves ("As a DSL, ...", "I work in housing so I'm
    curious"): who asks, not what is asked about."""
    return _SELF_INTRODUCTION.sub(" ", text)


# Words by which a question points back to the account before it ("We had an FGM case. Did any review mention it?");
# "these reviews" are the library's.
_POINTS_TO_ACCOUNT = re.compile(
    r"\b(?:it|its|that|this|(?:these|those)(?!\s+(?:reviews?|cases|reports|briefings)\b)|such|them|he|she|him|her|one|"
    r"ones|the same)\b",
    re.I,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘'])")  # not "e.g. before"


def question_part(text: str) -> str:
    """The sentences that ask, without the asker's account of their own work before them ("Been to two SUDIs this
    year, both co-sleeping. What did P and H recommend about co-sleeping advice?" asks only the second), unless the
    question points back to that account ("We had an FGM case. Did any review mention that?"): the whole text."""
    sentences = _SENTENCE_BREAK.split(text.strip())
    first = next((i for i, s in enumerate(sentences) if s.rstrip().endswith("?")), 0)
    asked = " ".join(sentences[first:])
    return asked if first and not _POINTS_TO_ACCOUNT.search(asked) else text


def find_acronyms(text: str) -> list[str]:
    """The acronyms a question uses, in capitals ("DSL"; "DoLS"), the field's common ones also in lower case
    ("lado") when they are not words; an acronym in the asker's self-introduction ("As a DSL, ...") is left out,
    as is everything when the whole question is in capitals."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    if len(words) >= 3 and sum(w.isupper() for w in words) > len(words) / 2:  # shouting, not "LADO?"
        return []
    text = strip_self_introduction(text)
    found: list[str] = []
    for m in _ACRONYM.finditer(text):
        word = m.group(1)
        capitals = sum(c.isupper() for c in word)
        if capitals >= 2 and capitals * 2 >= len(word) and word.upper() not in _NOT_ACRONYMS:  # not "YouTube"
            found.append(_CURATED_UPPER.get(word.upper(), word))
    low = _padded(text)
    found.extend(acro for acro in _TYPED_IN_LOWER_CASE if _has_phrase(low, acro.lower()))
    return list(dict.fromkeys(found))


_CURATED_UPPER = {acro.upper(): acro for acro in PRACTICE_ACRONYMS}
_TOPIC_STEMS = {topic: " ".join(tokenize(topic)) for topic in TOPICS}


def find_topics(text: str) -> list[str]:
    """The field's named topics a question asks about ("private fostering", "trafficked": trafficking), the
    longest where one holds another; one in the asker's self-introduction is left out."""
    stems = f" {' '.join(tokenize(strip_self_introduction(text)))} "
    found = [topic for topic, words in _TOPIC_STEMS.items() if f" {words} " in stems]
    return [t for t in found if not any(t != u and f" {_TOPIC_STEMS[t]} " in f" {_TOPIC_STEMS[u]} " for u in found)]


# Typed in lower case, still an acronym: three letters or more and not also a word ("send", "mash"), or one of
# the two-letter ones that are no word either ("the sw", "our hv").
_TYPED_IN_LOWER_CASE = tuple(
    acro
    for acro in PRACTICE_ACRONYMS
    if (len(acro) >= 3 and acro.isalpha() and acro.lower() not in {"send", "mash", "lac", "odd", "dash"})
    or acro in {"SW", "HV", "DV", "CP", "YP", "MH"}
)


_STOP_FOR_MATCH = {"the", "a", "an", "of", "to", "in"}
# Nouns practitioners use for the reviews' words that query expansion leaves alone: "kids" for children,
# plurals that don't stem.
SAME_NOUN: tuple[tuple[str, ...], ...] = (
    ("child", "children", "kid", "kids", "sibling", "siblings"),
    ("man", "men"),
    ("woman", "women"),
    ("person", "people"),
    ("policy", "policies", "rule", "rules", "procedure", "procedures"),
)


@cache
def synonym_stems(stem: str) -> frozenset[str]:
    """A keyword stem and the stems of its synonyms (the curated groups and the nouns above); a phrase gives
    its head word ("male carer" -> carer)."""
    out = {stem}
    for group in SYNONYM_GROUPS + SAME_NOUN:
        stems = [tokenize(term) for term in group]
        if any(t == [stem] for t in stems):
            out.update(t[-1] for t in stems if t)
    return frozenset(out)


# Each synonym group's terms as keyword stems, with whether the term is a single word: tokenized once, not
# for every answer.
_GROUP_STEMS = tuple(tuple((" " not in t, frozenset(tokenize(t))) for t in group) for group in SYNONYM_GROUPS)


def expansion_words(terms: list[str], expansions: list[str]) -> set[str]:
    """The keyword stems an expanded query matches sentences on: the query's own and its expansions', less a
    phrase's word that is a synonym group's own word when the query did not touch that group ("mother" of
    "mother's partner" when the question asks about fathers)."""
    own = set(terms)
    untouched = {
        stem
        for group in _GROUP_STEMS
        if not any(stems and stems <= own for _, stems in group)
        for single, stems in group
        if single
        for stem in stems
    }
    out = set(own)
    for e in expansions:
        words = tokenize(e)
        out.update(words if len(words) == 1 else (w for w in words if w not in untouched))
    return out


@dataclass
class Glossary:
    """Acronym <-> expansion pairs found in the corpus, plus the curated synonym groups."""

    acronyms: dict[str, str] = field(default_factory=dict)

    @classmethod
    def mine(cls, texts: Iterable[str]) -> Glossary:
        found: dict[str, str] = {}
        for text in texts:
            for m in re.finditer(r"\(([A-Z][A-Za-z]{1,7})\)", text):
                acro = m.group(1)
                letters = [c for c in acro if c.isupper()]
                if len(letters) < 2:
                    continue
                before = re.findall(r"[A-Za-z][A-Za-z'’\-]*", text[max(0, m.start() - 160) : m.start()])
                expansion = _match_initials(before, letters)
                if expansion and acro.lower() not in found:
                    found[acro.lower()] = expansion
            for m in re.finditer(r"\b([A-Z]{2,7})\s*\(([A-Z][a-z][^()]{4,80})\)", text):
                acro, exp = m.group(1), m.group(2).strip()
                words = [w for w in re.findall(r"[A-Za-z]+", exp) if w.lower() not in _STOP_FOR_MATCH]
                if words and "".join(w[0] for w in words).upper().startswith(acro[:2]) and acro.lower() not in found:
                    found[acro.lower()] = exp
        return cls(found)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.acronyms, indent=1, sort_keys=True, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Glossary | None:
        try:
            return cls(dict(json.loads(path.read_text())))
        except (OSError, ValueError):
            return None

    def expand(self, query: str) -> list[str]:
        """Extra terms for a query: acronym expansions (the reviews' own, then the field's), acronyms of spelled-out
        names, idioms' meanings, synonyms."""
        low = _padded(singular_acronyms(query))
        extra: list[str] = []
        for acro, expansion in self.acronyms.items():
            exp_low = expansion.lower()
            if f" {acro} " in low:
                extra.append(expansion)
            elif exp_low in low:
                extra.append(acro.upper())
        # The field's acronyms the reviews don't define: "a SW" -> "social worker".
        extra.extend(PRACTICE_ACRONYMS[a] for a in find_acronyms(query) if a in PRACTICE_ACRONYMS)
        meant = idiom_meanings(_idioms_at(low))
        extra.extend(meant)
        for group in SYNONYM_GROUPS:
            if any(_has_phrase(low, term) or term in meant for term in group):
                extra.extend(t for t in group if not _has_phrase(low, t))
        seen: set[str] = set()
        out = []
        for term in extra:
            if term.lower() not in seen:
                seen.add(term.lower())
                out.append(term)
        return out


def find_idioms(text: str) -> list[str]:
    """The idioms the text uses ("out of the loop", "slipping through the net")."""
    return _idioms_at(_padded(text))


def idiom_meanings(idioms: Iterable[str]) -> list[str]:
    """What the idioms stand for, in the reviews' words ("out of the loop" -> information sharing)."""
    return list(dict.fromkeys(IDIOMS[idiom] for idiom in idioms))


def idiom_words(idioms: Iterable[str]) -> frozenset[str]:
    """The keyword stems of the idioms' words: the reviews need not hold them, since an idiom stands for theirs."""
    return frozenset(stem for idiom in idioms for stem in tokenize(idiom))


def _idioms_at(padded_low: str) -> list[str]:
    return [idiom for idiom in IDIOMS if _has_phrase(padded_low, idiom)]


def _padded(text: str) -> str:
    """Lower case, punctuation as spaces, a space at each end: whole phrases are then found with ``in``."""
    return " " + re.sub(r"[^a-z0-9'\- ]+", " ", text.lower().replace("’", "'")) + " "


def _has_phrase(padded_low: str, term: str) -> bool:
    return f" {term} " in padded_low


def _match_initials(words: list[str], letters: list[str]) -> str | None:
    """The shortest run of words ending just before '(' whose initials spell the acronym."""
    for start in range(len(words) - 1, max(-1, len(words) - 3 * len(letters) - 1), -1):
        run = words[start:]
        initials = [w[0].upper() for w in run if w.lower() not in _STOP_FOR_MATCH]
        if initials == letters:
            return " ".join(run)
        # Hyphenated words may carry two initials ("Multi-Agency").
        parts = [p[0].upper() for w in run if w.lower() not in _STOP_FOR_MATCH for p in w.split("-") if p]
        if parts == letters:
            return " ".join(run)
    return None


# Words naming a kind of document; one names a review when only that review is of that kind.
DOC_TYPE_WORDS = {"briefing", "scrutineer", "silp", "lcspr", "cspr", "scr", "thematic"}
# Type words of everyday speech: "a team briefing" is the user's own; "the (neglect) briefing" names the review.
EVERYDAY_TYPE_WORDS = {"briefing", "thematic"}


def review_aliases(meta: ReviewMeta, reviews: list[ReviewMeta]) -> list[str]:
    """Names a practitioner might use for a review: its children, its id, its type when unique, and its area's
    places when no other review shares them ("the Bradford one"; "Dudley", home to three, names none)."""
    names = [c.lower() for c in meta.children] + [meta.id.replace("-", " ")]
    for word in re.findall(r"[a-z]+", (meta.type or "").lower()):
        if word in DOC_TYPE_WORDS and sum(1 for m in reviews if word in (m.type or "").lower()) == 1:
            names.append(word)
    elsewhere = {place for m in reviews if m.id != meta.id for place in _places(m)}
    names.extend(place for place in _places(meta) if place not in elsewhere)
    names.append(_descriptive_name(meta))
    return list(dict.fromkeys(n for n in names if n))


def _descriptive_name(meta: ReviewMeta) -> str:
    """A review named for its subject, not a child, by its id without its type word: "dudley chronic neglect" for
    the dudley-chronic-neglect-briefing ("the Dudley chronic neglect learning review", "...the neglect one")."""
    words = [w for w in meta.id.split("-") if w not in DOC_TYPE_WORDS]
    return " ".join(words) if not meta.children and len(words) >= 2 else ""


def _places(meta: ReviewMeta) -> tuple[str, ...]:
    """The places of a review's area: "Hartlepool and Stockton-on-Tees" -> hartlepool, stockton-on-tees, stockton."""
    return _area_places(meta.area or "")


@lru_cache(maxsize=4096)
def _area_places(area: str) -> tuple[str, ...]:
    places: set[str] = set()
    for part in re.split(r",|\band\b|&|/", area.lower()):
        place = part.strip()
        if len(place) >= 4:
            places.add(place)
            places.add(re.split(r"-on-|-upon-|-under-| on | upon ", place)[0].strip())
    return tuple(sorted(p for p in places if len(p) >= 4))


def children_together(metas: list[ReviewMeta]) -> str | None:
    """The regex for the children of these reviews named together ("Child P and H", "P and H", "P&H", "P/H"),
    when they have several; None otherwise."""
    letters = [c.split()[-1] for m in metas for c in m.children if re.fullmatch(r"child\s+\w+", c, re.I)]
    if len(letters) < 2:
        return None
    alt = "|".join(re.escape(x) for x in letters)
    return rf"\b(?:child\s+)?(?:{alt})(?:\s*(?:and|&|/)\s*(?:child\s+)?(?:{alt}))+\b"


def alias_pattern(alias: str, meta: ReviewMeta | None = None) -> str:
    """The regex that finds a review's alias in a question. An everyday type word counts only after "the",
    "that" or "this" and up to three words ("the briefing", "the Dudley neglect briefing"), or up to three
    words after a word of the review's own id ("neglect learning briefing"); not in "a lunchtime
    briefing"."""
    if meta is not None and alias == _descriptive_name(meta):
        # Its subject is also a topic ("what do the reviews say about chronic neglect in Dudley"): it names the
        # review only when a word for a document follows.
        return rf"\b{re.escape(alias)}(?:\s+[\w'’-]+){{0,2}}?\s+(?:review|briefing|one|case|report)\b"
    if alias not in EVERYDAY_TYPE_WORDS:
        return rf"\b{re.escape(alias)}\b"
    own = sorted({w for w in (meta.id.split("-") if meta else []) if len(w) >= 4 and w != alias})
    before = r"(?:the|that|this)\s+(?:[\w'’-]+\s+){0,3}"
    if own:
        before = rf"(?:{before}|\b(?:{'|'.join(map(re.escape, own))})\s+(?:[\w'’-]+\s+){{0,2}})"
    return rf"\b{before}{re.escape(alias)}\b"


def strip_review_names(query: str, named: list[ReviewMeta], reviews: list[ReviewMeta], keep_bare: bool = True) -> str:
    """The query without the names of reviews a filter already restricts it to.

    "What did the Child P and H review recommend about domestic abuse?" filtered to that review
    searches for "What did the review recommend about domestic abuse?": the names would only pull
    towards paragraphs that happen to repeat them (measured on the dev split, evals/DECISIONS.md).
    A query that is nothing but names is kept whole unless ``keep_bare`` is false.
    """
    out = query
    joined = children_together(named)
    if joined:
        out = re.sub(rf"{joined}(?:['’]s)?\b", " ", out, flags=re.I)
    for meta in named:
        # One child of several ("Child P's mum" in the Child P and Child H review) says which child: it stays.
        own = {c.lower() for c in meta.children} if len(meta.children) > 1 else set()
        for alias in sorted(review_aliases(meta, reviews), key=len, reverse=True):
            if alias not in own:
                out = re.sub(rf"\b{re.escape(alias)}(?:['’]s)?\b", " ", out, flags=re.I)
    out = re.sub(r"\s+([,.;:?!])", r"\1", re.sub(r"\s+", " ", out)).strip(" ,")
    return out if re.search(r"[A-Za-z]{3}", out) or not keep_bare else query
