"""Who is on screen in a clause: its subjects first, pronouns resolved against the people the
story has been following, people only mentioned left off screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from filmcraft.director import lexicon as lx
from filmcraft.director.script.grammar import finite_verb, mentions, subject_at
from filmcraft.director.script.reading import Reading, plural_role


@dataclass
class CastState:
    """Who the story has been following: pronouns resolve against it, scene by scene."""
    recent: list[str] = field(default_factory=list)  # most recent first
    subjects: list[str] = field(default_factory=list)  # people who acted, most recent first
    group: list[str] = field(default_factory=list)  # the last company of two or more ("they")


def _after_of(before: list[str]) -> bool:
    """Does the mention follow 'of' with only an article or a title between ('of the Lord Warden')?"""
    for w in reversed(before[-3:]):
        if w.lower() == "of":
            return True
        if w.lower() not in {"the", "a", "an"} and w not in lx.TITLES:
            return False
    return False


_CROWDS = frozenset("crowd crowds police traffic".split())
_INTO = frozenset("in into through among across".split())

# verbs that report what someone else did: the people in their clause are talked about
_REPORTING = frozenset("says said writes wrote reads read remembers remembered recalls recalled dreams dreamed "
                       "imagines imagined tells told".split())
_HEARD = frozenset("hear hears heard overhear overhears overheard".split())
# verbs whose object is missing from the scene: "has lost his mother in the crowds"
_MISSING = frozenset("lost loses lose misses missed mourns mourned".split())


_COUNTS = {"two": 2, "both": 2, "three": 3, "four": 4, "five": 5}
_EVERYONE = re.compile(r"\b(?:everyone|everybody|all of them|the whole (?:lodge|house|household|village|town|crew|class|"
                       r"school|family|table|company|party)|the (two|three|four|five) of them|(both) of them)\b",
                       re.IGNORECASE)


def _resolve_pronoun(pron: str, reading: Reading, state: CastState) -> list[str]:
    pron = pron.lower()
    if pron == "they":
        if len(state.group) >= 2:
            return list(state.group)
        return state.recent[:2]
    want = "f" if pron == "she" else "m"
    # "she" continues the last woman who acted (the topic), before anyone merely mentioned
    everyone = [c.name for c in reading.characters if c.name in reading.acting]
    for pool in (state.subjects, state.recent, everyone):
        for test in (lambda n: reading.gender.get(n) == want, lambda n: n not in reading.gender):
            # "someone" is the one the story will not name: no later pronoun picks them up
            hit = next((n for n in pool if test(n) and n in reading.acting and n != "someone"), None)
            if hit:
                return [hit]
    return state.recent[:1]


def cast_in(text: str, reading: Reading, state: CastState) -> list[str]:
    """The people on screen in ``text``: its subjects first (pronouns resolved), then the others
    it names; people only mentioned ("his brother", "the baby's father") stay off screen."""
    hits: list[tuple[int, int, str]] = []  # (subject first?, position, name)
    for c in reading.characters:
        plural = plural_role(c.name)
        best = None
        for a in reading.aliases.get(c.name, [c.name]):
            for m in mentions(text, a):
                before = text[:m.start()].rstrip().split()
                subject = subject_at(text, m.end(), plural)
                if c.name in reading.absent:
                    continue  # someone remembered ("how his grandmother turned a calf years ago")
                if not subject and text[m.end():m.end() + 2] in ("'s", "' ") and not (
                        len(before) >= 2 and before[-1] == "and" and before[-2][:1].isupper()):
                    continue  # only the owner of something ("the baby's father"; not "Nezha and Aobing's souls")
                near = [w.lower().strip(",:") for w in before[-3:]]
                if _after_of(before) or (not subject and re.search(
                        r"\bof\s+(?:a|an|the)\s+[^,.;]{1,40},\s*(?:[A-Z][\w']*\s+)*$", text[:m.start()])):
                    continue  # "the soldiers of the Lord Warden are searching": whose they are, not who is there;
                    # "a photograph of a missing bookkeeper, Eddie Lomax": who is in the picture
                lead = [w for w in before if w not in c.name.split()][-2:]  # "by Professor Severus Snape"
                aux = [w for w in before if w not in c.name.split()][-3:-2]
                if len(lead) == 2 and lead[-1] == "by" and re.fullmatch(r"[a-z]+(?:ed|en|t)", lead[0]) and not (
                        aux and aux[0].lower() in {"is", "was", "are", "were", "been", "being", "gets", "got"}):
                    continue  # "clues left by Snape", "a past altered by Paradox": the maker, not there
                    # ("is uncovered by Trelawney" is her doing it)
                verb = (before[-2] if len(before) >= 2 and before[-1].lower() == "the" else before[-1]).lower() \
                    if before else ""
                group = plural or c.name.split()[-1] in lx.GROUP_NOUNS or c.name.split()[-1] in _CROWDS
                if (not subject and c.name[0].islower() and group and verb.isalpha()
                        and verb not in lx.STOP_WORDS and verb not in lx.LOCATION_PREPOSITIONS
                        and verb not in lx.GIVING_VERBS):  # "gives the class a problem": they are there
                    continue  # "does not trust the police": a group acted on is talked about, not shown
                if any(w in _MISSING for w in near[-3:-1]) and not subject:
                    continue  # "has lost his mother": the one missed is not there
                if not subject and any(w in _HEARD for w in near[-2:]):
                    continue  # "they hear rustlers laughing beyond the rocks": a sound, not someone in the shot
                if any(w in _REPORTING for w in near):
                    continue  # "the letter says Daniel became an engineer": told about, not shown
                if re.match(r"\s+(?:is|was|has)\s+(?:gone|missing|vanished|disappeared)\b|\s+(?:vanishes|disappears)\b",
                            text[m.end():]):
                    continue  # "in the morning Marcus is gone"
                if not subject and c.name.split()[-1] in _CROWDS and near[-2:-1] and near[-2] in _INTO:
                    continue  # "loses him in the crowd": where he hides, not who is there
                if (not subject and c.name not in reading.acting and len(before) >= 2
                        and before[-1].lower() in {"his", "her", "their", "my", "our"}
                        and not finite_verb(before[-2]) and before[-2].lower() not in {"and", "with"}):
                    continue  # "to deliver a letter to her sister": someone the action is for, not there yet
                cand = (0 if subject else 1, m.start(), c.name)
                best = cand if best is None or cand < best else best
        if best:
            hits.append(best)
    for m in re.finditer(r"\b(she|he|they)\b", text, re.IGNORECASE):
        # "she and her hired hand drive the cattle": a nominative pronoun joined by "and" is a subject too
        # and a nominative pronoun before a lower-case word is that word's subject, whatever the word
        # also names ("she nurses it", "he guards the gate")
        if subject_at(text, m.end(), plural=m.group(1).lower() == "they") or re.match(r"\s+and\s", text[m.end():]) \
                or re.match(r"\s+(?:[a-z]+ly\s+)?[a-z]+(?:s|ed)\b", text[m.end():]):
            for k, n in enumerate(_resolve_pronoun(m.group(1), reading, state)):
                if not any(h[2] == n for h in hits):
                    hits.append((0, m.start() + k, n))
            break  # the first pronoun subject is the clause's; later ones are usually the same person
    # "Ortiz orders her to seal the bay": an object pronoun brings the one the story follows on screen
    for m in re.finditer(r"\b(her|him)\b", text):
        prev = text[:m.start()].split()[-1:] or [""]
        if not finite_verb(prev[0].strip(",")) and prev[0].lower() not in {"to", "with", "for", "at", "beside"}:
            continue  # "her apprentice": a possessive
        want = "f" if m.group(1) == "her" else "m"
        pool = [n for n in state.subjects + state.recent if reading.gender.get(n) == want]
        hit = next((n for n in pool if not any(h[2] == n for h in hits)), None)
        if hit:
            hits.append((1, m.start(), hit))
        break
    # "drags everyone into the cellar", "the three of them escape": the company the story has been with
    crowd = _EVERYONE.search(text)
    if crowd:
        n = _COUNTS.get((crowd.group(1) or "").lower(), 4)
        for k, who in enumerate([w for w in state.recent if w not in reading.absent][:n]):
            if not any(h[2] == who for h in hits):
                hits.append((0 if subject_at(text, crowd.end(), plural=True) else 1, crowd.start() + k, who))
    # "helps them navigate", "bid him farewell", "waiting for him", "their camp": the people the story
    # follows are there, whoever the clause's subject is
    for m in re.finditer(r"\b(them|him)\b", text):
        prev = text[:m.start()].split()[-1:] or [""]
        if prev[0].lower() in {"of", "about"}:
            continue  # talked about, not there
        if m.group(1) == "him":  # the last man; in a text that gives no one's gender, the last one named
            pool = [n for n in state.subjects + state.recent if reading.gender.get(n) == "m"] or \
                [n for n in state.subjects + state.recent if not reading.gender and n[:1].isupper()]
            who = [next((n for n in pool if not any(h[2] == n for h in hits)), None)]
        else:
            who = list(state.group) if len(state.group) >= 2 else state.recent[:2]
            if len(who) < 2 or len(hits) >= 2:
                continue  # "Maya and Jonah eat pizza with a medal between them": the subjects themselves
            things = [w for w in re.findall(r"\b(?:the|his|her|their|some|two|three)\s+(?:[a-z\-]+\s+)?([a-z]+s)\b",
                                            text[:m.start()]) if w.rstrip("s") not in lx.ROLE_NOUNS
                      and w not in lx.ROLE_NOUNS and w not in lx.GROUP_NOUNS
                      and not re.search(r"\b" + w + r"\s+[a-z]+\s+$", text[:m.start()])]  # "the seals surround them"
            if things:
                continue  # "gathers the shells and throws them back": things, not people
        for k, n in enumerate(w for w in who if w):
            if not any(h[2] == n for h in hits) and n not in reading.absent:
                hits.append((1, m.start() + k, n))
        break
    hits.sort()
    people = [n for _, _, n in hits]
    subjects = [n for s, _, n in hits if s == 0 and n in people]
    if subjects:
        state.subjects = subjects + [n for n in state.subjects if n not in subjects]
    if people:
        state.recent = people + [n for n in state.recent if n not in people]
        if len(people) >= 2:
            state.group = people
    return people
