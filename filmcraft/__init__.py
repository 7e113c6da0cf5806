"""filmcraft: the film-making domain logic of FilMaster, free of Dagster.

Planners (director), previs renderer, sound design, mixer and timeline live here and are
unit-tested directly; ``filmaster_assets`` wraps them as thin Dagster assets.
"""
