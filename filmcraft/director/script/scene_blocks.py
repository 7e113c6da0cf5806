"""Scene blocks: per scene a heading, key visual elements, a narrative objective and mood, shot
prompts with their action and dialogue lines, a sound sketch and the voice-over.
"""

from __future__ import annotations

import re

from filmcraft.contracts import (
    MAX_SCENES, DetailedStoryboard, SceneBlock, SceneBlocks, ShotPrompt, SimplifiedStoryboard, SoundSketch,
    Synopsis, scene_id, shot_id,
)
from filmcraft.director import lexicon as lx
from filmcraft.director import world
from filmcraft.director.script.grammar import (
    SUBJECT_TAIL, condense, finite_verb, mentions, place_head, strip_setting, subject_at,
)
from filmcraft.director.script.reading import Reading, characters_in, mood_of, reading_from_synopsis
from filmcraft.director.script.setting import WeatherTrack, metaphor_subject, things_in

# --- what a scene shows ---------------------------------------------------------------------

_ADJ_SUFFIX = ("ed", "ing", "y", "al", "ful", "ous", "ive", "ic", "less", "ant", "ent", "ish", "ary", "ble")
_ADJECTIVES = frozenset("old young new big small little dark long final grand great last first late tall "
                        "short red black white golden silver quiet empty lost hidden secret ancient strange "
                        "cold warm wild lone distant high low deep open broken wet dry".split())


def _head_noun(words2: list[str]) -> str:
    """'glowing pearl' -> 'pearl'; 'memory that' -> 'memory' (adjective-noun guess by form)."""
    if words2[0] in lx.ROLE_NOUNS or words2[0] in lx.PLACES:
        return words2[0]
    if len(words2) == 2 and words2[1] not in lx.STOP_WORDS and (
            words2[0] in _ADJECTIVES or words2[0].endswith(_ADJ_SUFFIX)):
        return words2[1]
    return words2[0]


def _key_elements(text: str, place: str, people: list[str], things: list[str], weather: str) -> list[str]:
    """The place, the props and creatures the scene names, its weather; nouns of the text fill in
    only when it names no thing the lexicon knows."""
    out: list[str] = [place] + [t for t in things if t != place_head(place)]
    if weather != "clear":
        out.append(weather)
    if things:
        return list(dict.fromkeys(out))[:8]
    skip = {w.lower() for p in people for w in p.split()} | set(lx.TIME_WORDS) | {"way", "day", "time", "one"}
    for m in re.finditer(r"\b(?:a|an|the|his|her|their|its)\s+([a-z\-]+)(?:\s+([a-z\-]+))?", text):
        noun = _head_noun([w.lower() for w in m.groups() if w])
        if len(noun) < 3 or noun in _ADJECTIVES or noun.endswith(_ADJ_SUFFIX[:3]):
            continue
        if noun in lx.STOP_WORDS or noun in skip or noun.endswith("ly") or noun in lx.ROLE_NOUNS:
            continue
        if noun not in out and noun != place_head(place):
            out.append(noun)
    return out[:6]


_INTERIOR_CUE = re.compile(r"\b(?:inside|indoors|within the walls)\b(?!\s*[:.;'\"])", re.IGNORECASE)
_EXTERIOR_CUE = re.compile(r"\b(?:outside|outdoors|out onto|out into|skis out|steps out|goes out|heads out|"
                           r"on the roof|on deck|knocks (?:at|on)|knock (?:at|on)|under (?:a|the) [\w\-, ]{0,30}?sky|"
                           r"under the stars)\b", re.IGNORECASE)  # one knocks from outside; a sky overhead is outdoors


def _interior(place: str, beat: str) -> bool:
    """INT. or EXT.: the place's kind, unless the scene says where the people are ("traps her
    inside", "steps outside"); the first cue the scene gives wins."""
    inside, outside = _INTERIOR_CUE.search(beat), _EXTERIOR_CUE.search(beat)
    if inside and (not outside or inside.start() < outside.start()):
        return True
    if outside:
        return False
    return world.place_info(place)[0]


def _shot_subject(kind: str, description: str, chars: list[str], things: list[str], place: str,
                  reading: Reading) -> str:
    """What the shot frames: the metaphor's image, the thing a clause is about when no person
    acts in it ("the bird returns", "the shelf cracks"), else its first person; a place's view."""
    if kind == "establishing":
        return place if place[0].isupper() else "the " + place
    if kind == "primary" and things:
        body = description.lower()
        acting = [c for c in chars if _subject_phrase(description, c, reading)]
        first = min((body.find(t) for t in things if body.find(t) >= 0), default=len(body))
        toks = description.split()
        verb_at = next((len(" ".join(toks[:i])) for i, t in enumerate(toks)
                        if i and finite_verb(t.strip(",.;:").lower(), toks[i - 1])), len(body))
        # the thing is what the shot frames when it is the clause's subject ("the radio goes silent")
        if not acting or first < verb_at:
            head = next((t for t in things if body.find(t) == first), things[0])
            return "the " + head
    if chars:
        return chars[0]
    return "the " + things[0] if things else (place if place[0].isupper() else "the " + place)


def _subject_phrase(clause: str, speaker: str, reading: Reading) -> str | None:
    """What ``speaker`` does in ``clause`` when they are its grammatical subject (by name, role or a
    pronoun), from the verb on; None when they are not the one acting."""
    body = clause.rstrip(".!?")
    plural = speaker.split()[-1].endswith("s") and not speaker[0].isupper()
    for a in reading.aliases.get(speaker, [speaker]):
        for m in mentions(body, a):
            t = SUBJECT_TAIL.match(body, m.end())
            if t and subject_at(body, m.end(), plural):
                return body[t.start(1):]
    named_first = min((m.start() for c in reading.characters for a in reading.aliases.get(c.name, [c.name])
                       for m in mentions(body, a) if subject_at(body, m.end())), default=len(body))
    for m in re.finditer(r"\b(she|he|they)\b", body, re.IGNORECASE):
        if m.start() > named_first:
            break
        t = SUBJECT_TAIL.match(body, m.end())
        if t and (subject_at(body, m.end(), plural=m.group(1).lower() == "they")):
            return body[t.start(1):]
    return None


def _chars_named_in(word: str, chars: list[str], reading: Reading) -> bool:
    return any(word.lower() == a.lower() for c in chars for a in reading.aliases.get(c, [c]))


def _verb_phrase(clause: str, chars: list[str], reading: Reading) -> str:
    """What the shot shows: the subject's verb phrase, without setting phrases; when nobody in the
    shot is the subject ('a storm breaks over the lighthouse'), the clause with its own subject."""
    for c in chars:
        vp = _subject_phrase(clause, c, reading)
        if vp:
            return strip_setting(vp.split(",")[0]).strip()
    toks0 = clause.split()
    first = toks0[0].lower() if toks0 else ""
    if first.endswith("ing") and not (len(toks0) > 1 and finite_verb(toks0[1])):  # not "Lightning reveals"
        return strip_setting(clause.rstrip(".!?").split(",")[0])
    body = re.sub(r"^(?:By day|At \w+|That night|Back (?:at|in) the [\w\- ]+?|[A-Z][a-z]+ (?:at|in) the [\w\- ]+?),\s+", "", clause.rstrip(".!?"))
    body = re.sub(r"^(?:That|This|Next|Each|Every|One|Later that) (?:night|morning|evening|day|dawn)\s+", "", body)
    toks = body.split()
    for i, t in enumerate(toks):
        if i == 0:
            continue
        tl = t.lower().strip(",")
        if tl in {"must", "will", "can", "is", "are", "was", "were", "has", "have"} or tl in lx.SPEECH_VERBS \
                or tl in lx.TRAVEL_VERBS or (re.fullmatch(r"[a-z]+(?:s|ed)", tl) and tl not in lx.STOP_WORDS
                                            and not toks[i - 1].lower() in {"the", "a", "an", "his", "her", "their", "its", "of"}
                                            and tl.rstrip("s") not in lx.ROLE_NOUNS and tl not in lx.PLACES
                                            and not tl.endswith(("ss", "ous", "ness"))):
            # keep a subject that is not a person ("a storm breaks"): it is what the shot shows
            k = next((j for j in range(i - 1, max(-1, i - 4), -1) if toks[j].lower() in {"a", "an", "the"}), None)
            start = k if k is not None and not any(toks[j][0].isupper() for j in range(k + 1, i)) else i
            if i == 1 and not _chars_named_in(toks[0], chars, reading):
                start = 0  # "Lightning reveals a wrecked boat": a bare subject that is not a person
            vp = " ".join(toks[start:]).split(",")[0].strip(" ,")
            return strip_setting(vp[0].lower() + vp[1:] if start != i else vp)
    return strip_setting(body.split(",")[0])


# --- dialogue -------------------------------------------------------------------------------

_DIALOGUE_CUES = lx.SPEECH_VERBS | lx.REALISE_VERBS | lx.SHOWING_VERBS | lx.ATTITUDE_VERBS | frozenset(
    "lets bid bids farewell goodbye".split())


def _is_dialogue_beat(text: str, people: list[str]) -> bool:
    wl = {w.lower() for w in lx.words(text)}
    return bool('"' in text or wl & lx.SPEECH_VERBS or (len(people) >= 2 and (
        wl & _DIALOGUE_CUES or wl & {"together", "team", "teams", "with"})))


_DIALOGUE_VERBS = lx.SPEECH_VERBS | frozenset(
    "devises devise plans plan decides decide reunites reunite teams team vows promises pleads "
    "begs insists demands proposes".split())


def _antecedent(clause: str, reading: Reading) -> tuple[str, str]:
    """What 'it' refers to: the last thing introduced ('a brass compass whose needle points inland')
    before ``clause`` in the story, with what the text said about it."""
    joined = " ".join(reading.sentences)
    at = joined.find(clause[:30])
    prefix = joined[:at] if at > 0 else joined
    found = ("", "")
    for m in re.finditer(r"\b(?:a|an)\s+((?:[a-z\-]+\s*){1,3})", prefix):
        words_ = []
        for w in m.group(1).split():
            if w in lx.STOP_WORDS or w in {"whose", "which", "that"} or finite_verb(w, words_[-1] if words_ else "a"):
                break
            words_.append(w)
        if not words_:
            continue
        head = words_[-1]
        if head in lx.ROLE_NOUNS or head in lx.PLACES or head in lx.TIME_WORDS:
            continue
        rel = re.match(r"\s*whose\s+([^,.;:]+)", prefix[m.start(1) + len(" ".join(words_)):])
        found = (" ".join(words_), "Its " + rel.group(1).strip() + "." if rel else "")
    return found


def _to_listener(text: str, listener: str | None) -> str:
    """Third person about the listener -> second person: "Maverick's methods" -> "your methods"."""
    if listener:
        lead = r"(?:\b(?:the|a|an)\s+(?:[a-z\-]+\s+){0,2})?"  # "the cunning Valentina" -> "you"
        text = re.sub(lead + re.escape(listener) + r"'s\b", "your", text)
        text = re.sub(lead + re.escape(listener) + r"\b", "you", text)
    return re.sub(r"\b(him|her|them)\b", "you", text)


def _speakable(text: str) -> str:
    """First-person grammar after pronoun swaps: 'I is' -> 'I am'."""
    text = lx.first_person(text)
    for a, b in (("I is", "I am"), ("I has", "I have"), ("I does", "I do"), ("we is", "we are"), ("we has", "we have")):
        text = re.sub(r"\b" + a + r"\b", b, text)
    return text


def _line_for(clause: str, speaker: str, reading: Reading, listeners: list[str] | None = None) -> str | None:
    """A short spoken line for ``speaker`` made from what the clause says they do, or None when
    the action has nothing to say (a line is never invented from nothing)."""
    quote = re.search(r'"([^"]{2,120})"', clause)
    if quote:
        return quote.group(1).strip()
    vp = _subject_phrase(clause, speaker, reading)
    if not vp:
        return None  # only the one who acts speaks
    toks = vp.split()
    verb = toks[0].lower()
    if verb not in _DIALOGUE_CUES:
        # "runs to the lighthouse to show it to Tomas": the purpose is the talking part
        k = next((i for i in range(1, len(toks)) if toks[i - 1].lower() in {"to", "and"}
                  and toks[i].lower() in _DIALOGUE_CUES), None)
        if k is not None:
            toks, verb = toks[k:], toks[k].lower()
    listener = next((l for l in (listeners or []) if l != speaker and l[0].isupper()), None)
    rest = " ".join(toks[1:])
    line = None
    if verb in lx.REALISE_VERBS and re.search(r":|\bthat\b", rest):
        said = re.split(r":\s*|\bthat\s+", rest, maxsplit=1)[1].strip()
        line = _speakable(said)
    elif verb in lx.SHOWING_VERBS and re.match(r"(?:it|this|them)\b", rest):
        thing, what = _antecedent(clause, reading)
        if thing:
            line = (f"{listener}, look at this {thing}." if listener else f"Look at this {thing}.") + (
                f" {what}" if what else "")
    elif verb in lx.ATTITUDE_VERBS and rest:
        line = f"I {lx.base_verb(verb)} {_to_listener(rest, listener)}"
    elif verb in {"lets", "let"} and re.search(r"\bgo$", rest):
        who = re.sub(r"\s+go$", "", rest)
        line = f"Goodbye, {_speakable(who)}"
    elif verb in {"bid", "bids"} and "farewell" in rest:
        line = f"Farewell, {listener}" if listener else "Farewell"
    elif verb in _DIALOGUE_VERBS or verb in {"and", "to"}:
        if verb in {"and", "to"} and len(toks) > 1:
            toks, verb = toks[1:], toks[1].lower()
            rest = " ".join(toks[1:])
        if verb not in _DIALOGUE_VERBS:
            return None
        rest = _speakable(_to_listener(rest, listener))
        if verb in {"vows", "vowing", "vowed", "promises", "promised", "swears"}:
            line = f"I promise you {rest}"
        elif verb in {"asks", "asked"} and " to " in rest:
            line = "Will you " + rest.split(" to ", 1)[1] + "?"
        elif verb in {"tells", "told", "warns", "warned"} and re.search(r"\bthat\b", rest):
            line = rest.split("that", 1)[1].strip()
        elif verb in {"begs", "begged", "pleads", "pleaded", "urges"} and re.search(r"\b(not )?to (\w.*)", rest):
            m = re.search(r"\b(not )?to (\w.*)", rest)
            line = "Please, " + ("don't " if m.group(1) else "") + m.group(2)
        elif verb in {"say", "says", "said"} and rest:
            line = rest
        elif verb in {"is", "was", "are"}:
            line = f"I am {rest}"
        else:
            line = f"I'll {lx.base_verb(verb)} {rest}".strip()
    if not line:
        return None
    sentences = re.split(r"(?<=\.)\s+", line.strip())
    out: list[str] = []
    for s in sentences:  # at most 13 words; a second sentence only when it fits whole
        s = s.rstrip(".?!")
        if sum(len(x.split()) for x in out) + len(s.split()) > 13:
            if not out:
                out.append(" ".join(s.split(",")[0].split()[:12]))
            break
        out.append(s)
    text = ". ".join(o[0].upper() + o[1:] for o in out if o)
    return text + ("?" if text.startswith("Will") else ".") if text else None


# --- sound, objective, and the scene block itself -------------------------------------------

_WEATHER_SOUND = {"overcast": "muted air", "wind": "wind gusts", "rain": "rain on surfaces",
                  "storm": "thunder, driving rain", "snow": "hushed snowfall", "blizzard": "howling blizzard",
                  "fog": "muffled, distant foghorn"}

def _effects(texts: list[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        for w in lx.words(t):
            fx = lx.EFFECT_WORDS.get(w.lower())
            if fx and fx not in out:
                out.append(fx)
    return out[:5]


def _objective(kind: str, place: str, people: list[str], beat: str) -> str:
    short = condense(beat, 16).rstrip(".")
    who = " and ".join(people[:2]) if people else "the protagonist"
    return {
        "setup": f"Establish {who} in the {place}: {short}",
        "development": f"Advance the story: {short}",
        "turn": f"Turn the story: {short}",
        "climax": f"Bring the conflict to a head: {short}",
        "outcome": f"Resolve the story: {short}",
    }[kind]


def structure_scene_blocks(film_id: str, syn: Synopsis, simple: SimplifiedStoryboard,
                           detailed: DetailedStoryboard, max_scenes: int = 12) -> SceneBlocks:
    if not detailed.scenes:
        raise ValueError("detailed storyboard has no scenes: run detail_storyboard first")
    if not 1 <= max_scenes <= MAX_SCENES:
        raise ValueError(f"max_scenes={max_scenes} must be in 1..{MAX_SCENES} (scene slots s01..s{MAX_SCENES:02d})")
    reading = reading_from_synopsis(syn)
    scenes = list(detailed.scenes)
    if len(scenes) > max_scenes:
        scenes = scenes[:max_scenes - 1] + [scenes[-1]]  # keep the ending
    kinds = {b.text: b.kind for b in simple.causal_chain}
    blocks: list[SceneBlock] = []
    prev_time = None
    prev_place = None
    sky = WeatherTrack()
    known: list[str] = []  # props and creatures the story has introduced ("the bird" is the seagull)
    for i, sc in enumerate(scenes, start=1):
        weather = sky.step(sc.beat, sc.time_of_day)
        scene_things = things_in(sc.beat, known)
        known += [t for t in scene_things if t not in known]
        beat_sents = lx.split_sentences(sc.beat) or [sc.beat]
        kind_order = ["setup", "development", "turn", "climax", "outcome"]
        scene_kinds = [kinds.get(s, "development") for s in beat_sents]
        kind = max(scene_kinds, key=lambda k: (k in ("climax", "turn", "outcome"), kind_order.index(k)))
        if i == 1:
            kind = "setup"
        people: list[str] = []
        for sh in sc.shots:
            people += [c for c in sh.characters if c not in people]
        if not people:
            people = [syn.characters[0].name]
        mood = mood_of(sc.beat, syn.mood)
        interior = _interior(sc.location, sc.beat)
        heading = f"{'INT.' if interior else 'EXT.'} {sc.location.upper()} - {lx.TIME_HEADING[sc.time_of_day]}"
        dialogue_beat = _is_dialogue_beat(sc.beat, people)
        prompts: list[ShotPrompt] = []
        spoken = 0
        for j, sh in enumerate(sc.shots, start=1):
            action = ""
            line = None
            props = things_in(sh.description, known) if sh.kind in ("primary", "contextual") else []
            if sh.kind == "primary" and not props and known and re.search(r"\b(?:it|them)\b", sh.description):
                props = [known[-1]]  # "fly it from a windy hill": the kite the story is holding
            subject = _shot_subject(sh.kind, sh.description, sh.characters, props, sc.location, reading)
            if sh.kind == "establishing":
                props = [t for t in scene_things if t in world.CREATURES][:2]  # the gulls over the harbour
            if sh.kind == "primary":
                action = _verb_phrase(sh.description, sh.characters, reading)
                speaker = sh.characters[0] if sh.characters else None
                if dialogue_beat and speaker and (spoken < 2 if speaker[0].isupper() else spoken < 1):
                    # whoever the clause names may be spoken to ("Cyclone doubts Maverick's methods")
                    listeners = list(dict.fromkeys(sh.characters + people + characters_in(sh.description, reading)))
                    line = _line_for(sh.description, speaker, reading, listeners)
                    spoken += line is not None
            elif sh.kind == "metaphor":
                action = re.sub(r"^(?:a|an|the|two)\s+", "", sh.description)
                subject, props = metaphor_subject(sh.description)
            elif sh.kind == "establishing":
                action = ""
            tod = sc.time_of_day.replace("_", " ")
            sky_words = "" if weather == "clear" else f", {weather}"
            prompt = f"{sh.description}. {sc.location}, {tod}{sky_words}, {mood} mood"
            if sh.characters:
                prompt += "; featuring " + ", ".join(sh.characters)
            prompts.append(ShotPrompt(shot_id=shot_id(i, j), kind=sh.kind, prompt=prompt, action=action,
                                      characters=sh.characters, dialogue=line, subject=subject, props=props))
        ambience = world.place_info(sc.location)[1]
        if weather != "clear":
            ambience += ", " + _WEATHER_SOUND[weather]
        if not interior:
            ambience += ", " + lx.TIME_AMBIENCE[sc.time_of_day]
        ambience = f"{sc.time_of_day.replace('_', ' ')} {sc.location}: {ambience}"
        sketch = SoundSketch(ambience=ambience, music_mood=lx.MUSIC_FOR_MOOD.get(mood, mood),
                             effects=_effects([p.action for p in prompts] + [sc.beat] + [weather]))
        time_jump = prev_time is not None and sc.location == prev_place and sc.time_of_day != prev_time
        vo = ""
        if i == 1 or i == len(scenes) or time_jump:
            vo = condense(beat_sents[0], 22)
        blocks.append(SceneBlock(
            scene_id=scene_id(i), index=i, heading=heading, location=sc.location,
            time_of_day=sc.time_of_day, characters=people,
            key_visual_elements=_key_elements(sc.beat, sc.location, people, scene_things, weather),
            narrative_objective=_objective(kind, sc.location, people, sc.beat), mood=mood,
            shots=prompts, sound_sketch=sketch, voice_over=vo, weather=weather,
        ))
        prev_time, prev_place = sc.time_of_day, sc.location
    return SceneBlocks(film_id=film_id, title=syn.title, scenes=blocks)
