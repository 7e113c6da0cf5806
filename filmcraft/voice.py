"""Offline voice-over: eSpeak NG through ctypes (library and voice data ship in ``espeakng-loader``).

Implements :class:`filmcraft.roles.VoiceModel`. libespeak-ng keeps process-global state (one
voice, one set of parameters, one callback), so it is initialised once and every synthesis runs
under one lock.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from filmcraft.roles import DEFAULT_RATE_WPM
from filmcraft.store import atomic_path

# espeak_AUDIO_OUTPUT: SYNCHRONOUS makes espeak_Synth return only after every sample went
# through our callback, so no extra thread of the library races with the lock.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_ESPEAK_VOLUME = 2
_ESPEAK_PITCH = 3
_EE_OK = 0

MIN_RATE_WPM = 80
MAX_RATE_WPM = 450
NARRATOR_VOICE = "en-us+m3"

# Character voices: English base voice + an eSpeak variant. Distinct timbres, all intelligible.
CHARACTER_VOICES: tuple[str, ...] = (
    "en-us+m1", "en-us+f2", "en-us+m2", "en-us+f1", "en-us+m4", "en-us+f3", "en+m5",
    "en+f4", "en+m6", "en+f5", "en-us+m7", "en+m2",
)

# int callback(short *wav, int numsamples, espeak_EVENT *events)
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class VoiceError(RuntimeError):
    pass


class _Engine:
    """The one libespeak-ng instance of this process."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_dir = espeakng_loader.get_data_path()
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int

        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 500, data_dir.encode(), 0)
        if rate <= 0:
            raise VoiceError(f"eSpeak NG failed to initialise with data folder {data_dir}: reinstall espeakng-loader")
        self.sample_rate = int(rate)
        self._chunks: list[np.ndarray] = []
        # Keep a reference: ctypes callbacks die with their Python object.
        self._callback = _SYNTH_CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, numsamples, events) -> int:  # noqa: ANN001 - ctypes signature
        if numsamples > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0  # 0 = continue synthesis

    def synth(self, text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
        lib = self.lib
        if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise ValueError(
                f"eSpeak NG has no voice {voice!r}: use a language code with an optional variant, "
                "e.g. 'en-us', 'en+m3', 'en-us+f2'"
            )
        lib.espeak_SetParameter(_ESPEAK_RATE, int(rate), 0)
        lib.espeak_SetParameter(_ESPEAK_PITCH, int(pitch), 0)
        lib.espeak_SetParameter(_ESPEAK_VOLUME, 100, 0)
        self._chunks = []
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        err = lib.espeak_Synth(buf, len(buf), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None)
        if err != _EE_OK:
            raise VoiceError(f"eSpeak NG could not synthesise the line (error {err}): {text[:60]!r}")
        lib.espeak_Synchronize()
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(chunks).astype(np.int16)


_ENGINE: _Engine | None = None
_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def voice_for(character: str | None) -> str:
    """Deterministic casting: the narrator has one fixed voice, each character a hashed variant."""
    name = (character or "").strip().lower()
    if not name or name in ("narrator", "narration", "voice over", "voice-over", "vo"):
        return NARRATOR_VOICE
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return CHARACTER_VOICES[int.from_bytes(digest[:4], "big") % len(CHARACTER_VOICES)]


def cast_voices(characters: list[str]) -> dict[str, str]:
    """Voices for a cast, distinct where possible: hash choice first, then the next free variant."""
    cast: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted({c.strip() for c in characters if c and c.strip()}, key=str.lower):
        choice = voice_for(name)
        if choice in used and len(used) < len(CHARACTER_VOICES):
            start = CHARACTER_VOICES.index(choice)
            for step in range(1, len(CHARACTER_VOICES)):
                candidate = CHARACTER_VOICES[(start + step) % len(CHARACTER_VOICES)]
                if candidate not in used:
                    choice = candidate
                    break
        cast[name] = choice
        used.add(choice)
    return cast


def clean_line(text: str) -> str:
    """Spoken text without control characters and runs of whitespace."""
    return " ".join(_CONTROL_CHARS.sub(" ", text or "").split())


def has_words(text: str) -> bool:
    """True when there is something to say (letters or digits in any script)."""
    return any(ch.isalnum() for ch in text)


class EspeakVoice:
    """eSpeak NG voice-over: 16-bit mono WAV at the engine's rate (22,050 Hz).

    Takes are not bit-identical across calls (the engine carries pitch-flutter phase from line to
    line), only equal to within a few samples; callers cache by content hash instead.
    """

    name = "espeak-ng"

    def __init__(self, pitch: int = 50):
        if not 0 <= pitch <= 100:
            raise ValueError(f"eSpeak pitch {pitch} must be in 0..100 (50 is the voice's own pitch)")
        self.pitch = pitch

    @property
    def sample_rate(self) -> int:
        with _LOCK:
            return _engine().sample_rate

    def synthesize(self, text: str, voice: str = NARRATOR_VOICE, rate: int = DEFAULT_RATE_WPM) -> tuple[np.ndarray, int]:
        """Return (int16 samples, sample rate) without writing a file."""
        line = clean_line(text)
        if not line:
            raise ValueError("the voice-over line is empty or whitespace: give the words to speak")
        if not has_words(line):
            raise ValueError(f"the voice-over line {line[:40]!r} has no words, only punctuation: give the words to speak")
        if not voice or not voice.strip():
            raise ValueError("no voice name given: use e.g. 'en-us' or voice_for(character)")
        rate = int(round(rate))
        if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
            raise ValueError(f"speech rate {rate} wpm is outside {MIN_RATE_WPM}..{MAX_RATE_WPM}")
        with _LOCK:
            engine = _engine()
            samples = engine.synth(line, voice.strip(), rate, self.pitch)
            sr = engine.sample_rate
        if samples.size == 0:
            raise VoiceError(f"eSpeak NG produced no audio for {line[:60]!r} with voice {voice!r}")
        return samples, sr

    def speak(self, text: str, voice: str, out_wav: Path, rate: int = DEFAULT_RATE_WPM) -> float:
        samples, sr = self.synthesize(text, voice, rate)
        out_wav = Path(out_wav)
        with atomic_path(out_wav) as tmp:
            sf.write(str(tmp), samples, sr, subtype="PCM_16", format="WAV")
        return samples.size / sr
