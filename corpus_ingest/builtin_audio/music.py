"""Music cues: chord progressions in a key and tempo, played by synthesised instruments and drums.

A :class:`Cue` names its moods, key, tempo, progression and instrument roles; ``render_cue``
plays it to a stereo buffer that resolves home and fades out. ``CUES`` is the built-in set.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from corpus_ingest.builtin_audio.dsp import (
    SR, bp, env_asr, hp, lp, midi_hz, place, reverb, samples, saw, t_axis, white,
)

_DEGREES = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]


def chord_tones(numeral: str) -> list[int]:
    """Roman numeral ('bVI', 'iv', 'V7', 'iidim', 'Isus') -> semitones above the key root."""
    s = numeral
    flat = s.startswith("b")
    s = s.lstrip("b")
    suffix = ""
    for suf in ("dim", "sus", "7"):
        if s.endswith(suf):
            suffix, s = suf, s[: -len(suf)]
            break
    root = _DEGREES[s.lower()] - (1 if flat else 0)
    third = 4 if s.isupper() else 3
    if suffix == "dim":
        tones = [0, 3, 6]
    elif suffix == "sus":
        tones = [0, 5, 7]
    else:
        tones = [0, third, 7]
    if suffix == "7":
        tones.append(10)  # dominant and minor sevenths both add the flat seventh
    return [root + x for x in tones]


@functools.lru_cache(maxsize=4096)
def _note(inst: str, midi: int, dur: float, vel: float) -> np.ndarray:
    """One rendered note (mono), cached: melodies and arpeggios repeat notes a lot."""
    f = midi_hz(midi)
    if inst == "piano":
        m = samples(min(dur + 0.4, 2.5))
        t = t_axis(m)
        x = sum(np.sin(2 * np.pi * f * k * (1 + 0.0004 * k * k) * t) * np.exp(-t * (1.2 + 1.5 * k)) / k for k in range(1, 7))
        x *= np.minimum(1, t / 0.003) * env_asr(m, 0.0, min(0.3, dur))
    elif inst == "pluck":
        m = samples(min(dur + 0.2, 0.9))
        t = t_axis(m)
        x = sum(np.sin(2 * np.pi * f * k * t) * np.exp(-t * (6 + 4 * k)) / k for k in range(1, 5))
        x *= np.minimum(1, t / 0.002)
    elif inst == "bell":
        m = samples(min(dur + 1.5, 3.0))
        t = t_axis(m)
        index = 3.0 * np.exp(-t * 3)
        x = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * 3.5 * t)) * np.exp(-t * 1.6)
        x *= np.minimum(1, t / 0.002)
    elif inst == "bass":
        m = samples(dur + 0.1)
        t = t_axis(m)
        x = np.sin(2 * np.pi * f * t) + 0.35 * np.sin(4 * np.pi * f * t) + 0.12 * np.sin(6 * np.pi * f * t)
        x *= env_asr(m, 0.005, 0.08) * np.exp(-t * 0.8)
    elif inst == "lead":
        m = samples(dur + 0.1)
        t = t_axis(m)
        vib = 1 + 0.006 * np.sin(2 * np.pi * 5.5 * t) * np.minimum(1, t / 0.3)
        phase = 2 * np.pi * f * np.cumsum(vib) / SR
        x = sum(np.sin(k * phase) / k for k in (1, 3, 5, 7))
        x *= env_asr(m, 0.02, 0.08)
    elif inst == "brass":
        m = samples(dur + 0.15)
        t = t_axis(m)
        e = env_asr(m, 0.06, 0.12)
        phase = 2 * np.pi * f * t
        # brightness follows the envelope, as in a real brass attack
        x = sum(np.sin(k * phase) * (e ** (0.5 * k)) / k for k in range(1, 9)) * e
    elif inst == "strings":
        m = samples(dur + 0.3)
        t = t_axis(m)
        vib = 1 + 0.004 * np.sin(2 * np.pi * 5.0 * t)
        phase = np.cumsum(f * vib) / SR
        x = lp(2 * (phase % 1.0) - 1 + 2 * ((phase * 1.003) % 1.0) - 1, 2600)
        x *= env_asr(m, min(0.35, dur / 2), 0.3)
    elif inst == "pad":
        m = samples(dur + 0.8)
        t = t_axis(m)
        x = lp(saw(f * 0.997, m) + saw(f * 1.003, m), 1400)
        x *= env_asr(m, min(0.9, dur / 2), 0.8)
    else:
        raise ValueError(f"unknown instrument {inst!r}")
    return (x * vel).astype(np.float64)


@functools.lru_cache(maxsize=64)
def _drum(kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "kick":
        m = samples(0.45)
        t = t_axis(m)
        f = 45 + 110 * np.exp(-t * 28)
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t * 7) + lp(white(rng, m), 3000) * np.exp(-t * 120) * 0.3
    elif kind == "snare":
        m = samples(0.3)
        t = t_axis(m)
        x = bp(white(rng, m), 1200, 7000) * np.exp(-t * 18) * 0.8 + np.sin(2 * np.pi * 185 * t) * np.exp(-t * 25) * 0.6
    elif kind == "hat":
        m = samples(0.08)
        x = hp(white(rng, m), 7000) * np.exp(-t_axis(m) * 60) * 0.5
    elif kind == "tom":
        m = samples(0.6)
        t = t_axis(m)
        f = 70 + 40 * np.exp(-t * 10)
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t * 5) + lp(white(rng, m), 1500) * np.exp(-t * 40) * 0.3
    elif kind == "timpani":
        m = samples(1.6)
        t = t_axis(m)
        x = sum(np.sin(2 * np.pi * 98 * r * t) * np.exp(-t * (2.5 + k)) for k, r in enumerate((1.0, 1.5, 1.98, 2.44)))
        x = x + lp(white(rng, m), 800) * np.exp(-t * 30) * 0.4
    elif kind == "shaker":
        m = samples(0.1)
        x = bp(white(rng, m), 4000, 10000) * env_asr(m, 0.02, 0.06) * 0.4
    elif kind == "tick":
        m = samples(0.03)
        x = bp(white(rng, m), 2500, 6000) * np.exp(-t_axis(m) * 200) * 0.6
    else:
        raise ValueError(f"unknown drum {kind!r}")
    return x


# Drum patterns: per 16th step in a 4/4 bar (16 steps) or 3/4 (12 steps): list of (drum, steps, gain)
DRUM_PATTERNS: dict[str, list[tuple[str, tuple[int, ...], float]]] = {
    "rock": [("kick", (0, 8), 1.0), ("snare", (4, 12), 0.8), ("hat", (0, 2, 4, 6, 8, 10, 12, 14), 0.5)],
    "drive": [("kick", (0, 4, 8, 12), 1.0), ("snare", (4, 12), 0.85), ("hat", tuple(range(16)), 0.35)],
    "march": [("snare", (0, 2, 4, 6, 8, 10, 12, 13, 14, 15), 0.5), ("kick", (0, 8), 0.9), ("timpani", (0,), 0.6)],
    "epic": [("tom", (0, 3, 6, 8, 10, 11, 14), 0.9), ("kick", (0, 8), 1.0), ("snare", (12,), 0.7), ("timpani", (0,), 0.7)],
    "light": [("shaker", (0, 2, 4, 6, 8, 10, 12, 14), 0.6), ("hat", (4, 12), 0.4)],
    "tick": [("tick", (0, 4, 8, 12), 0.8)],
    "waltz": [("kick", (0,), 0.6), ("hat", (4, 8), 0.4)],
    "brush": [("snare", (4, 12), 0.25), ("shaker", (0, 3, 4, 6, 8, 11, 12, 14), 0.35), ("kick", (0, 10), 0.5)],
}


@dataclass
class Cue:
    name: str
    moods: list[str]
    emotions: list[str]
    root: int  # pitch class, 0 = C
    mode: str  # "major" / "minor"
    bpm: float
    progression: list[str]
    instruments: list[str]  # roles: pad, strings, arp:<inst>, melody:<inst>, bass, drums:<pattern>, drone
    target_s: float = 30.0
    beats_per_bar: int = 4
    bars_per_chord: int = 1
    words: list[str] = field(default_factory=list)  # extra descriptive tags

    @property
    def key(self) -> str:
        return f"{_NOTE_NAMES[self.root]} {self.mode}"


def render_cue(cue: Cue, rng: np.random.Generator) -> np.ndarray:
    beat = 60.0 / cue.bpm
    bar = beat * cue.beats_per_bar
    chord_s = bar * cue.bars_per_chord
    cycle_s = chord_s * len(cue.progression)
    cycles = max(1, round((cue.target_s - bar) / cycle_s))
    while cycle_s * cycles + bar + 2.5 < 20.0:  # library cues run at least 20 s
        cycles += 1
    chords = cue.progression * cycles + [cue.progression[0]]  # resolve home at the end
    body_s = chord_s * (len(chords) - 1) + bar
    n = samples(body_s + 2.5)
    out = np.zeros((n, 2))
    scale = MAJOR if cue.mode == "major" else MINOR
    base = 48 + cue.root  # C3 + root
    last_melody = base + 24
    for ci, numeral in enumerate(chords):
        final = ci == len(chords) - 1
        start = ci * chord_s
        span = bar if final else chord_s
        tones = chord_tones(numeral)
        for role in cue.instruments:
            kind, _, inst = role.partition(":")
            if kind == "pad":
                for k, tone in enumerate(tones):
                    place(out, start, _note("pad", base + 12 + tone, round(span + (1.5 if final else 0), 3), 0.22), position=-0.4 + 0.4 * k)
            elif kind == "strings":
                for k, tone in enumerate(tones):
                    place(out, start, _note("strings", base + 12 + tone + (12 if k == 2 else 0), round(span + (1.5 if final else 0), 3), 0.16), position=-0.6 + 0.6 * k)
            elif kind == "drone":
                place(out, start, _note("pad", base - 12 + tones[0], round(span, 3), 0.3), position=0.0)
                place(out, start, _note("pad", base + 6 + tones[0], round(span, 3), 0.08), position=0.5)  # the tritone unsettles
            elif kind == "bass":
                step = beat if cue.bpm < 110 else beat / 2
                if cue.bpm < 80:
                    step = bar / 2
                for j in range(int(round(span / step))):
                    tone = tones[0] if j % 4 != 3 else tones[2] - 12
                    place(out, start + j * step, _note("bass", base - 12 + tone, round(step * 0.9, 3), 0.5), position=0.0)
                    if final:
                        break
            elif kind == "arp":
                step = beat / 2
                pattern = [0, 1, 2, 1] if cue.beats_per_bar == 4 else [0, 1, 2]
                for j in range(int(round(span / step))):
                    tone = tones[pattern[j % len(pattern)]] + (12 if (j // len(pattern)) % 2 else 0)
                    place(out, start + j * step, _note(inst, base + 12 + tone, round(step * 1.5, 3), 0.18), position=0.35)
                    if final:
                        break
            elif kind == "melody":
                step = beat if cue.bpm < 140 else beat * 2
                count = int(round(span / step))
                for j in range(count):
                    if final and j > 0:
                        break
                    if j % 2 == 0 or final:  # strong beats: a chord tone near the last note
                        options = [base + 24 + tone + octave for tone in tones for octave in (-12, 0, 12)]
                    else:  # weak beats: a scale step
                        options = [last_melody + d for d in (-2, -1, 1, 2) if (last_melody + d - base) % 12 in scale]
                    options = [o for o in options if base + 17 <= o <= base + 43] or [base + 24 + tones[0]]
                    weights = np.array([1.0 / (1 + abs(o - last_melody)) for o in options])
                    note = int(rng.choice(options, p=weights / weights.sum()))
                    if rng.random() < 0.18 and not final:
                        continue  # a rest lets the line breathe
                    length = step * (2 if rng.random() < 0.25 else 1)
                    if final:
                        length = bar
                    place(out, start + j * step, _note(inst, note, round(length * 0.95, 3), 0.28), position=-0.15)
                    last_melody = note
            elif kind == "drums":
                if final:
                    place(out, start, _drum("kick", 1), 0.45)
                    continue
                steps_per_bar = 4 * cue.beats_per_bar
                sixteenth = beat / 4
                for b in range(cue.bars_per_chord):
                    for drum, steps, gain in DRUM_PATTERNS[inst]:
                        for s in steps:
                            if s >= steps_per_bar:
                                continue
                            jitter = (rng.random() - 0.5) * 0.006
                            place(out, start + b * bar + s * sixteenth + jitter, _drum(drum, 1 + s % 3), gain * 0.5 * (0.85 + 0.15 * rng.random()),
                                  position={"hat": 0.3, "shaker": -0.3, "tom": -0.2}.get(drum, 0.0))
            else:
                raise ValueError(f"cue {cue.name}: unknown role {role!r}")
    out = reverb(out, rng, 2.2 if cue.bpm < 100 else 1.4, 0.3)
    out = hp(out, 30)
    fade = samples(0.05)
    out[:fade] *= np.linspace(0, 1, fade)[:, None]
    tail = samples(2.0)
    out[-tail:] *= np.linspace(1, 0, tail)[:, None] ** 2
    return out


CUES: list[Cue] = [
    Cue("tense-pulse", ["tense", "suspense", "thriller"], ["fear", "anxiety", "tension"], 2, "minor", 100,
        ["i", "bVI", "i", "bVII"], ["drone", "strings", "bass", "drums:tick"], 24, words=["ostinato", "pulsing", "dark"]),
    Cue("tender-piano", ["tender", "gentle", "intimate"], ["love", "warmth", "tenderness"], 5, "major", 68,
        ["I", "vi", "IV", "V"], ["pad", "arp:piano", "melody:piano"], 24, words=["soft", "piano", "lullaby"]),
    Cue("triumphant-brass", ["triumphant", "victorious", "heroic"], ["pride", "joy", "triumph"], 0, "major", 112,
        ["I", "IV", "V", "I"], ["strings", "melody:brass", "bass", "drums:march"], 24, words=["fanfare", "brass", "march", "victory"]),
    Cue("melancholic-strings", ["melancholic", "sad", "sorrowful"], ["sadness", "grief", "loss"], 9, "minor", 64,
        ["i", "iv", "bVI", "V"], ["strings", "melody:piano", "bass"], 26, words=["elegy", "strings", "slow", "rain"]),
    Cue("mysterious-celesta", ["mysterious", "curious", "enigmatic"], ["curiosity", "wonder", "unease"], 4, "minor", 76,
        ["i", "bVI", "iv", "V"], ["pad", "arp:bell", "bass"], 24, words=["celesta", "night", "secret", "magic"]),
    Cue("playful-pizzicato", ["playful", "comic", "light"], ["amusement", "mischief", "joy"], 7, "major", 132,
        ["I", "V", "vi", "IV"], ["arp:pluck", "melody:pluck", "bass", "drums:light"], 22, words=["pizzicato", "bouncy", "quirky", "comedy"]),
    Cue("epic-battle", ["epic", "heroic", "powerful"], ["courage", "excitement", "determination"], 2, "minor", 140,
        ["i", "bVI", "bIII", "bVII"], ["strings", "melody:brass", "bass", "drums:epic"], 26, words=["war", "battle", "taiko", "orchestral"]),
    Cue("hopeful-rise", ["hopeful", "uplifting", "optimistic"], ["hope", "relief", "anticipation"], 2, "major", 96,
        ["IV", "I", "V", "vi"], ["pad", "arp:piano", "melody:strings", "bass", "drums:light"], 24, words=["dawn", "new beginning", "rising"]),
    Cue("eerie-drone", ["eerie", "haunting", "creepy"], ["dread", "fear", "unease"], 11, "minor", 60,
        ["i", "bII", "i", "iidim"], ["drone", "arp:bell"], 24, words=["horror", "ghost", "dissonant", "drone"]),
    Cue("romantic-waltz", ["romantic", "elegant", "wistful"], ["love", "longing", "nostalgia"], 3, "major", 84,
        ["I", "vi", "ii", "V"], ["strings", "arp:piano", "melody:lead", "bass", "drums:waltz"], 24, beats_per_bar=3,
        words=["waltz", "dance", "ballroom", "strings"]),
    Cue("action-drive", ["action", "driving", "urgent"], ["excitement", "urgency", "adrenaline"], 4, "minor", 150,
        ["i", "bVII", "bVI", "bVII"], ["melody:lead", "bass", "arp:pluck", "drums:drive"], 24, words=["chase", "fight", "synth", "energy"]),
    Cue("calm-ambient", ["calm", "peaceful", "serene"], ["peace", "contentment", "serenity"], 0, "major", 70,
        ["I", "IV", "vi", "IV"], ["pad", "melody:bell"], 26, words=["ambient", "meditative", "still", "morning"]),
    Cue("tense-low-strings", ["tense", "ominous", "menacing"], ["dread", "suspicion", "tension"], 1, "minor", 84,
        ["i", "bII", "i", "V"], ["strings", "bass", "drone", "drums:tick"], 24, words=["low strings", "stalking", "danger"]),
    Cue("sad-solo-piano", ["sad", "lonely", "reflective"], ["grief", "loneliness", "regret"], 0, "minor", 60,
        ["i", "bVI", "bIII", "bVII"], ["arp:piano", "melody:piano"], 26, words=["solo piano", "memory", "farewell"]),
    Cue("joyful-folk", ["joyful", "cheerful", "festive"], ["joy", "happiness", "celebration"], 9, "major", 120,
        ["I", "IV", "I", "V"], ["arp:pluck", "melody:lead", "bass", "drums:rock"], 24, words=["folk", "village", "dance", "celebration"]),
    Cue("suspense-ticking", ["suspense", "tense", "investigative"], ["anticipation", "anxiety", "focus"], 5, "minor", 90,
        ["i", "i", "bVI", "V"], ["drone", "arp:pluck", "drums:tick"], 24, words=["clock", "countdown", "detective"]),
    Cue("noir-night", ["noir", "moody", "smoky"], ["melancholy", "cynicism", "intrigue"], 7, "minor", 88,
        ["i7", "iv7", "bVII7", "bIII7"], ["pad", "melody:lead", "bass", "drums:brush"], 24, words=["jazz", "detective", "city night", "brushes"]),
    Cue("heroic-theme", ["heroic", "noble", "adventurous"], ["courage", "pride", "determination"], 10, "major", 104,
        ["I", "V", "vi", "IV"], ["strings", "melody:brass", "bass", "drums:rock"], 24, words=["adventure", "journey", "orchestral"]),
    Cue("dreamy-bells", ["dreamy", "magical", "wonder"], ["wonder", "awe", "innocence"], 6, "major", 72,
        ["I", "iii", "IV", "iv"], ["pad", "arp:bell", "melody:bell"], 24, words=["fairy tale", "sparkle", "sleep", "fantasy"]),
    Cue("chase-pursuit", ["chase", "frantic", "action"], ["panic", "excitement", "urgency"], 9, "minor", 160,
        ["i", "bVI", "bVII", "i"], ["strings", "bass", "arp:pluck", "drums:drive"], 22, words=["pursuit", "running", "escape"]),
    Cue("nostalgic-memory", ["nostalgic", "bittersweet", "warm"], ["nostalgia", "longing", "warmth"], 7, "major", 80,
        ["I", "iii", "vi", "IV"], ["strings", "arp:piano", "melody:piano", "bass"], 24, words=["memory", "childhood", "home"]),
    Cue("dark-ominous", ["dark", "ominous", "foreboding"], ["dread", "menace", "doom"], 2, "minor", 66,
        ["i", "bII", "bVI", "V"], ["drone", "melody:brass", "drums:march"], 24, words=["villain", "threat", "low brass", "timpani"]),
    Cue("whimsical-celesta", ["whimsical", "playful", "curious"], ["delight", "curiosity", "mischief"], 4, "major", 116,
        ["I", "vi", "ii", "V"], ["arp:bell", "melody:pluck", "bass", "drums:light"], 22, words=["fairy tale", "toy", "children"]),
    Cue("uplifting-finale", ["uplifting", "triumphant", "euphoric"], ["joy", "triumph", "relief"], 0, "major", 124,
        ["I", "V", "vi", "IV"], ["strings", "arp:piano", "melody:brass", "bass", "drums:rock"], 24, words=["finale", "ending", "celebration"]),
]
