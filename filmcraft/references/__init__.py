"""Reference images for a scene: the user's character and location images, or painted cards.

A scene needs one location plate and one image per character. ``user_images`` reads and checks
the user's ``--refs`` folder, ``cards`` paints a deterministic card for a name with no image, and
``reference_sets`` assembles a scene's set from both; ``names`` maps film names to file names.
"""
