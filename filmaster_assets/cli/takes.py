"""``filmaster reshoot|takes``: shoot one shot again, or restore an earlier take, keeping the locked edit.

    filmaster reshoot FILM_ID SHOT_ID [--seed N] [--prompt TEXT] [--camera size=close_up,movement=push_in]
                      [--duration S] [--restore TAKE] [--eval]
    filmaster takes FILM_ID [SHOT_ID]

A reshoot records a take in ``<film>/shot_takes.json`` (filmcraft.takes), runs only its scene's
``clips`` (the other shots are cache hits), then post-production without the audience review and the
edit analysis: the new take drops into the locked edit. Nothing else is rendered or asked of a model.
"""

from __future__ import annotations

from pathlib import Path

from filmaster_assets.cli.runtime import DEFAULT_STUDIO, CliError, execute, open_instance, setup_env, stage


def _film_shot(studio: Path, film_id: str, shot_id: str):
    """The film's layout, request and the shot's plan as the director wrote it (before any take)."""
    from filmaster_assets.cli.film import _existing_film
    from filmcraft.contracts import FilmRequest, FilmShotPlans, ScenePlan
    from filmcraft.store import read_model

    files = _existing_film(studio, film_id)
    if not files.picture_lock.exists():
        raise CliError(f"film {film_id!r} has no locked cut yet: finish it with `filmaster update {film_id}`")
    req = read_model(files.request, FilmRequest)
    scene = shot_id.split("_")[0]
    plan_file = files.scene_plan(scene)
    plans = read_model(plan_file, ScenePlan).shots if plan_file.is_file() else []
    for plan in plans:
        if plan.shot_id == shot_id:
            return files, req, plan
    shots = [p.shot_id for p in read_model(files.shot_plans, FilmShotPlans).shots] if files.shot_plans.is_file() else []
    raise CliError(f"SHOT_ID: film {film_id!r} has no shot {shot_id!r}; its shots: {', '.join(shots) or 'none yet'}")


def cmd_reshoot(args) -> int:
    from filmaster_assets.definitions import build_defs
    from filmaster_assets.orchestration import (CAMERA_JOB, POST_JOB, RESHOOT_POST_ASSETS, RESHOOT_TAG,
                                                scene_statuses)
    from filmaster_assets.partitions import scene_key
    from filmcraft.overrides import OverrideError
    from filmcraft.takes import TakesError, edit_takes, load_takes, new_take, parse_camera, restore_take

    changes = args.seed is not None or args.prompt is not None or args.camera is not None or args.duration is not None
    if args.restore is not None and changes:
        raise CliError("--restore brings back a take as it was shot: give it alone, without --seed, --prompt, "
                       "--camera or --duration")
    studio = setup_env(args.out)
    files, req, plan = _film_shot(studio, args.film_id, args.shot_id)
    scene = plan.scene_id
    before = {}

    def edit(takes):
        rec = takes.get(plan.shot_id)
        before["record"] = rec
        if args.restore is not None:
            takes[plan.shot_id] = restore_take(rec, plan.shot_id, args.restore, req.seed)
        else:
            takes[plan.shot_id] = new_take(rec, plan, req.seed, args.seed, args.prompt, camera, args.duration)

    try:  # every flag checked before Dagster is started (nothing is written yet)
        camera = parse_camera(args.camera) if args.camera is not None else None
        if args.prompt is not None and not args.prompt.strip():
            raise TakesError("--prompt is blank: give the shot's new prompt, or leave the flag out")
        edit(load_takes(files.shot_takes))
    except TakesError as exc:
        raise CliError(str(exc)) from None
    defs = build_defs()
    instance = open_instance()
    try:
        current = {s.scene_id: s.current for s in scene_statuses(instance, defs.get_repository_def().asset_graph, files)}
    except (OverrideError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if not current.get(scene, False):
        raise CliError(f"scene {scene} of film {args.film_id!r} is not current (its block, override, request "
                       f"or the code behind it changed): run `filmaster update {args.film_id}` first, then reshoot")
    try:
        record = edit_takes(files.shot_takes, edit)[plan.shot_id]
    except TakesError as exc:
        raise CliError(str(exc)) from None
    take = record.active_take
    what = f"restore take {take.take}" if args.restore is not None else f"take {take.take} ({take.describe()})"
    tags = {"filmaster/film": args.film_id, RESHOOT_TAG: plan.shot_id}
    try:
        result = stage(f"[reshoot] {plan.shot_id} {what}",
                       lambda: execute(defs, CAMERA_JOB, instance, scene_key(args.film_id, scene), tags,
                                       assets=("clips",)))
    except CliError as exc:
        # the take that could not be shot is not left active: the film stays as it was
        def undo(takes):
            if before["record"] is None:
                takes.pop(plan.shot_id, None)
            else:
                takes[plan.shot_id] = before["record"]
        edit_takes(files.shot_takes, undo)
        raise CliError(f"{exc}\nThe shot keeps its previous take.") from None
    rendered = _clips_rendered(result)
    assets = RESHOOT_POST_ASSETS + (("filmeval_scores",) if args.eval else ())
    stage("[post] rough cut, picture lock (the locked edit kept), sound design, mix, final film, OTIO"
          + (", FilmEval" if args.eval else ""),
          lambda: execute(defs, POST_JOB, instance, args.film_id, tags, assets=assets))
    print(f"{plan.shot_id}: take {take.take} is in the cut ({rendered} clip(s) rendered; earlier takes stay in the "
          f"cache: `filmaster takes {args.film_id} {plan.shot_id}` lists them, --restore TAKE brings one back)")
    if not args.eval:
        print(f"FilmEval ({files.filmeval.name}) still scores the previous cut: add --eval to score this one "
              "(its judge is the vision model when FILMASTER_VISION_BASE_URL is set)")
    print(f"final film {files.final}")
    return 0


def _clips_rendered(result) -> int:
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            meta = event.event_specific_data.materialization.metadata
            if "rendered" in meta:
                return int(meta["rendered"].value)
    return 0


def cmd_takes(args) -> int:
    """Every recorded take of the film's shots (or one shot): number, seed, changes, active, judge's word."""
    from filmaster_assets.cli.film import _existing_film
    from filmcraft.takes import TakesError, load_takes

    studio = setup_env(args.out)
    files = _existing_film(studio, args.film_id)
    try:
        takes = load_takes(files.shot_takes)
    except TakesError as exc:
        raise CliError(str(exc)) from None
    if args.shot_id is not None:
        if args.shot_id not in takes:
            _film_shot(studio, args.film_id, args.shot_id)  # an unknown shot is named with the film's shots
            print(f"{args.shot_id}: take 1 only (as planned)")
            return 0
        takes = {args.shot_id: takes[args.shot_id]}
    if not takes:
        print(f"film {args.film_id!r}: every shot has its first take only (as planned)")
        return 0
    for shot, rec in takes.items():
        print(f"{shot}  active take {rec.active} (chosen by the {rec.chosen_by})")
        for t in rec.takes:
            mark = "*" if t.take == rec.active else " "
            score = f"  score {t.score:.2f}" if t.score is not None else ""
            print(f"  {mark} take {t.take}  {t.source:<9} {t.describe()}{score}"
                  + (f"  {t.made_at}" if t.made_at else "") + (f"\n        {t.reason}" if t.reason else ""))
    return 0


def add_take_commands(sub) -> None:
    r = sub.add_parser("reshoot", help="shoot one shot again (or restore an earlier take) and re-make "
                                       "post-production, keeping the locked edit")
    r.add_argument("film_id", metavar="FILM_ID")
    r.add_argument("shot_id", metavar="SHOT_ID", help="e.g. s01_sh02 (see shot_plans.json)")
    r.add_argument("--seed", type=int, help="the take's seed (default: a new one derived from the film seed)")
    r.add_argument("--prompt", help="replace the shot's prompt")
    r.add_argument("--camera", help="replace camera fields: size=close_up,movement=push_in,angle=low,lens=50")
    r.add_argument("--duration", type=float, help="the shot's length in seconds (0.5-30)")
    r.add_argument("--restore", type=int, metavar="TAKE", help="make an earlier take active again (from the cache)")
    r.add_argument("--eval", action="store_true", help="score the new cut with FilmEval too")
    r.add_argument("--out", help=f"studio folder (default ./{DEFAULT_STUDIO})")
    r.set_defaults(func=cmd_reshoot)

    t = sub.add_parser("takes", help="list the takes of a film's shots")
    t.add_argument("film_id", metavar="FILM_ID")
    t.add_argument("shot_id", metavar="SHOT_ID", nargs="?")
    t.add_argument("--out", help=f"studio folder (default ./{DEFAULT_STUDIO})")
    t.set_defaults(func=cmd_takes)
