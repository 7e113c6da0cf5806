"""The built-in tagged audio library: ambiences, music cues, foley and SFX synthesised with numpy/scipy.

``dsp`` holds the signal primitives, ``ambience`` / ``music`` / ``foley`` / ``sfx`` the recipes,
``catalogue`` the tagged entries and ``build`` renders them to WAV files with a manifest.
"""
