"""The ComfyUI backend end to end against a loopback server speaking ComfyUI's API (tests/fakes/comfyui.py):
the example Wan 2.1 workflow with its mapping, each fault with the message the user sees, the prompt
builder on the shot plans of the demo film (planned offline), and the text-to-image call."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from PIL import Image

from filmcraft.budget import Budget
from filmcraft.contracts import FilmRequest, ReferenceImage, ReferenceSet, SceneReferences
from filmcraft.media import probe
from resources.comfyui import ComfyImage, ComfyMapping, ComfyVideo, load_workflow, negative_prompt, video_prompt
from resources.openai_backends import ModelRoleError
from resources.video import VideoResource
from tests.fakes.comfyui import FakeComfyUI

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "comfyui"
WAN = DOCS / "wan21_image_to_video.json"
WAN_MAP = json.loads((DOCS / "wan21_image_to_video.mapping.json").read_text())


@functools.lru_cache(maxsize=1)
def film_plans() -> tuple:
    """Every shot plan of the demo film, planned offline (the director's templates, no LLM)."""
    from filmcraft import stages

    req = FilmRequest(film_id="demo", text=(ROOT / "filmaster_assets" / "demo_theme.txt").read_text())
    syn = stages.synopsis(req, None)
    simple = stages.simplified_storyboard(syn, None)
    detailed = stages.detailed_storyboard(syn, simple, None)
    blocks = stages.scene_blocks("demo", syn, simple, detailed, None)
    plans = []
    for block in blocks.scenes:
        refs = SceneReferences(scene_id=block.scene_id, query="q", k=0, references=[])
        plans += stages.replan_scene(block, refs, None).shots
    return tuple(plans)


@pytest.fixture
def small_mapping(tmp_path) -> Path:
    """The example mapping, at a tiny render size so the fake's ffmpeg is quick."""
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({**WAN_MAP, "max_side": 96}))
    return path


@pytest.fixture
def refs(tmp_path) -> ReferenceSet:
    loc = tmp_path / "harbour.png"
    Image.new("RGB", (64, 36), (10, 60, 90)).save(loc)
    mara = tmp_path / "mara.png"
    Image.new("RGB", (36, 64), (200, 120, 40)).save(mara)
    plan = film_plans()[0]
    return ReferenceSet(scene_id=plan.scene_id,
                        location=ReferenceImage(name=plan.location, kind="location", path=str(loc), generated=True),
                        characters=[ReferenceImage(name="Mara", kind="character", path=str(mara), generated=True)])


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(ComfyVideo, "POLL_S", 0.02)


def _video(fake: FakeComfyUI, mapping: Path, **kw) -> VideoResource:
    return VideoResource(base_url=fake.base_url, backend="comfyui", comfyui_workflow=str(WAN),
                         comfyui_mapping=str(mapping), **kw)


def _counts(fake: FakeComfyUI) -> dict:
    return {k: fake.count(*k.split(" ")) for k in ("POST /upload/image", "POST /prompt", "GET /history", "GET /queue",
                                                    "GET /view", "POST /interrupt", "POST /queue")}


def test_example_workflows_validate_with_their_mappings() -> None:
    wf = load_workflow(WAN)
    m = ComfyMapping.load(DOCS / "wan21_image_to_video.mapping.json", wf, WAN)
    assert (str(m.prompt), str(m.frames), m.output, [str(t) for t in m.images]) == ("6.text", "50.length", "58", ["52.image"])
    assert wf[m.output]["class_type"] == "SaveVideo" and wf["52"]["class_type"] == "LoadImage"
    assert m.size(1280, 720) == (832, 464) and m.frames_for(5.0, 24) == 81  # Wan: 1 + 4k frames at 16 fps
    sd = DOCS / "sdxl_text_to_image.json"
    assert ComfyMapping.load(DOCS / "sdxl_text_to_image.mapping.toml", load_workflow(sd), sd, video=False).output == "9"


@pytest.mark.parametrize("change,message", [
    ({"prompt": "99.text"}, r"'prompt' names node '99', which is not in .*wan21.*its nodes: 3, 6, 7, 8, 37"),
    ({"prompt": "6.txt"}, r"'prompt' names input 'txt' of node 6 \(CLIPTextEncode\), which has no such input \(its inputs: text, clip\); use one"),
    ({"width": "50.vae"}, r"'width' names input 'vae' of node 50 \(WanImageToVideo\), which is wired to node '39'; map a widget"),
    ({"frames": None}, r"'frames' is missing; map it"),
    ({"seeds": "3.seed"}, r"'seeds' is not a mapping key"),
    ({"frame_step": 0}, r"'frame_step' is 0; give a positive number"),
])
def test_a_bad_mapping_is_refused_naming_file_key_and_fix(tmp_path, change, message) -> None:
    raw = {k: v for k, v in {**WAN_MAP, **change}.items() if v is not None}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ModelRoleError, match=r"ComfyUI backend: FILMASTER_COMFYUI_MAPPING='.*bad.json': " + message):
        ComfyVideo("http://127.0.0.1:9", "m", workflow=str(WAN), mapping=str(path))


def test_a_ui_format_workflow_is_refused_with_the_export_fix(tmp_path) -> None:
    ui = tmp_path / "ui.json"
    ui.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    with pytest.raises(ModelRoleError, match=r"UI-format workflow .* Workflow > Export \(API\)"):
        ComfyVideo("http://127.0.0.1:9", "m", workflow=str(ui), mapping=str(DOCS / "wan21_image_to_video.mapping.json"))


def test_a_clip_end_to_end_through_the_video_resource_with_a_budget(tmp_path, small_mapping, refs, caplog) -> None:
    caplog.set_level("INFO", logger="resources.comfyui")
    plan = film_plans()[0]
    with FakeComfyUI(WAN_MAP, tmp_path / "server") as fake:
        video = _video(fake, small_mapping)
        backend = video.video_backend()
        budget = Budget(tmp_path / "film", FilmRequest(film_id="film", text="x", video_seconds_budget=60))
        out = tmp_path / "clips" / "s01_01.mp4"
        video.render_shot(plan, refs, out, 256, 144, 24, seed=1234, budget=budget)
        queued = fake.prompts[fake.order[-1]]
        frames = backend.frames(plan.camera.duration_s, 24)
        # what was asked reached the server's nodes, and the file it made came back whole
        assert queued["6"]["inputs"]["text"] == backend.prompt(plan) == video_prompt(plan)
        assert queued["7"]["inputs"]["text"] == negative_prompt(plan)
        assert queued["3"]["inputs"]["seed"] == 1234
        assert (queued["50"]["inputs"]["width"], queued["50"]["inputs"]["height"]) == (96, 48)
        assert queued["50"]["inputs"]["length"] == frames and (frames - 1) % 4 == 0
        assert frames / 16 >= plan.camera.duration_s > (frames - 5) / 16
        assert queued["57"]["inputs"]["fps"] == 16
        # one reference slot: the location plate goes into LoadImage, uploaded byte for byte
        assert fake.uploads[queued["52"]["inputs"]["image"]] == Path(refs.location.path).read_bytes()
        info = probe(out)
        assert (info.width, info.height) == (96, 48)  # not the film's size: the conform scales and pads it
        assert abs(info.duration_s - frames / 16) < 0.07
        assert budget.read().video_seconds == pytest.approx(frames / 16)
        assert video.backend_name() == backend.name and backend.name.startswith("comfyui:wan21_image_to_video-")
        assert _counts(fake) == {"POST /upload/image": 1, "POST /prompt": 1, "GET /history": 2, "GET /queue": 1,
                                 "GET /view": 1, "POST /interrupt": 0, "POST /queue": 0}
        assert list(out.parent.iterdir()) == [out]
        # progress: the queue state from polling, the sampler's steps from the websocket (a line per tenth)
        said = [r.getMessage() for r in caplog.records]
        assert f"ComfyUI shot {plan.shot_id}: prompt {fake.order[-1]} running" in said
        steps = [m for m in said if " step " in m]
        assert steps[-1] == f"ComfyUI shot {plan.shot_id}: node 3 step 20/20" and len(steps) == 11
        assert fake.count("GET", "/ws") == 1 and fake.sockets == {}  # opened before queueing, closed after
    # the clip at the model's size and rate is no fault: the conform fits it to the film's frame and fps
    from filmcraft.conform import render_cut
    from filmcraft.contracts import EditDecision

    cut = tmp_path / "cut.mp4"
    render_cut([EditDecision(shot_id=plan.shot_id, scene_id=plan.scene_id, clip_path=str(out), decision="retain",
                             source_in=0.0, source_out=plan.camera.duration_s, record_in=0.0)], cut, 256, 144, 24)
    fitted = probe(cut)
    assert (fitted.width, fitted.height, fitted.fps) == (256, 144, 24)
    assert abs(fitted.duration_s - plan.camera.duration_s) <= 1 / 24 + 0.01


def _fails(tmp_path, small_mapping, refs, fault: str, **kw) -> tuple[str, FakeComfyUI, Path, Budget]:
    plan = film_plans()[0]
    with FakeComfyUI(WAN_MAP, tmp_path / "server", fault=fault) as fake:
        video = _video(fake, small_mapping, **kw)
        budget = Budget(tmp_path / "film", FilmRequest(film_id="film", text="x", video_seconds_budget=60))
        out = tmp_path / "clips" / "shot.mp4"
        with pytest.raises(ModelRoleError) as err:
            video.render_shot(plan, refs, out, 256, 144, 24, seed=1, budget=budget)
        # nothing half-written, and the failed render gives its seconds back
        assert not out.parent.exists() or list(out.parent.iterdir()) == []
        assert budget.read().video_seconds == 0
        return str(err.value), fake, out, budget


def test_a_failing_workflow_names_the_node_and_is_not_retried(tmp_path, small_mapping, refs) -> None:
    msg, fake, _, _ = _fails(tmp_path, small_mapping, refs, "execution_error")
    shot = film_plans()[0].shot_id
    assert msg.startswith(f"model role 'video' failed: ComfyUI backend, shot {shot}: the workflow failed at node 3 "
                          "(KSampler) (torch.OutOfMemoryError: CUDA out of memory")
    assert "not retried" in msg and "fix the node in ComfyUI" in msg
    assert fake.count("POST", "/prompt") == 1 and fake.count("GET", "/view") == 0


def test_a_safety_checker_rejection_is_named_as_moderation(tmp_path, small_mapping, refs) -> None:
    msg, fake, _, _ = _fails(tmp_path, small_mapping, refs, "nsfw")
    assert "safety checker at node 8 (VAEDecode) rejected the result" in msg
    assert "rephrase the shot (a scene override in scene_overrides.json)" in msg
    assert fake.count("POST", "/prompt") == 1


def test_an_output_that_moved_is_found_again_in_the_history(tmp_path, small_mapping, refs) -> None:
    plan = film_plans()[0]
    with FakeComfyUI(WAN_MAP, tmp_path / "server", fault="vanish_once") as fake:
        out = tmp_path / "shot.mp4"
        _video(fake, small_mapping).render_shot(plan, refs, out, 256, 144, 24, seed=1)
        assert probe(out).has_video
        assert fake.count("GET", "/view") == 2 and fake.count("GET", "/history") == 3


def test_an_output_that_disappeared_is_a_clear_error(tmp_path, small_mapping, refs) -> None:
    msg, fake, _, _ = _fails(tmp_path, small_mapping, refs, "vanish")
    assert "disappeared from the server before it was downloaded (HTTP 404 from /view, twice" in msg
    assert "something cleans ComfyUI's output folder" in msg
    assert fake.count("GET", "/view") == 2 and fake.count("GET", "/history") == 3


def test_a_hung_job_is_cancelled_on_the_server(tmp_path, small_mapping, refs) -> None:
    msg, fake, _, _ = _fails(tmp_path, small_mapping, refs, "hang", comfyui_max_wait_s=0.2)
    pid = fake.order[-1] if fake.order else list(fake.prompts)[-1]
    assert f"prompt {pid} still running after 0.2 s: cancelled on the server" in msg
    assert "raise FILMASTER_COMFYUI_MAX_WAIT (now 0.2 s)" in msg
    assert fake.interrupts == [{"prompt_id": pid}] and fake.deletes == [pid]
    assert fake.count("GET", "/view") == 0


def test_a_job_still_waiting_behind_another_is_deleted_not_interrupted(tmp_path, small_mapping, refs) -> None:
    plan = film_plans()[0]
    with FakeComfyUI(WAN_MAP, tmp_path / "server", fault="hang") as fake:
        fake.prompts["someone-else"], fake.order[:] = {}, ["someone-else"]  # another user's job runs
        with pytest.raises(ModelRoleError, match=r"still pending \(1 ahead\) after 0.2 s: cancelled on the server"):
            _video(fake, small_mapping, comfyui_max_wait_s=0.2).render_shot(plan, refs, tmp_path / "o.mp4", 256, 144,
                                                                             24, seed=1)
        ours = [p for p in fake.prompts if p != "someone-else"]
        assert fake.interrupts == [] and fake.deletes == ours  # the running job of someone else is left alone


def test_a_broken_file_leaves_nothing(tmp_path, small_mapping, refs) -> None:
    msg, fake, out, _ = _fails(tmp_path, small_mapping, refs, "broken")
    assert "the output file 'clip_00001_.mp4' is not a readable video (it is not a readable media file" in msg
    assert "SaveVideo" in msg and ".part" not in msg
    assert fake.count("GET", "/view") == 1


def test_429_and_5xx_are_retried_within_the_retry_budget(tmp_path, small_mapping, refs, monkeypatch) -> None:
    monkeypatch.setattr("resources.openai_backends.RoleEndpoint.backoff", staticmethod(lambda retry, after: 0.0))
    plan = film_plans()[0]
    for fault, route in (("429", ("POST", "/prompt")), ("500", ("GET", "/history"))):
        with FakeComfyUI(WAN_MAP, tmp_path / fault, fault=fault, transient_count=2) as fake:
            out = tmp_path / f"{fault}.mp4"
            _video(fake, small_mapping, max_retries=2).render_shot(plan, refs, out, 256, 144, 24, seed=1)
            assert probe(out).has_video and fake.count(*route) >= 3
    with FakeComfyUI(WAN_MAP, tmp_path / "x", fault="429", transient_count=5) as fake:
        with pytest.raises(ModelRoleError, match=rf"ComfyUI backend, shot {plan.shot_id}: rate limited \(HTTP 429\).*"
                                                 r"after 1 retry.*raise FILMASTER_VIDEO_MAX_RETRIES"):
            _video(fake, small_mapping, max_retries=1).render_shot(plan, refs, tmp_path / "y.mp4", 256, 144, 24, seed=1)
        assert fake.count("POST", "/prompt") == 2 and not (tmp_path / "y.mp4").exists()


def test_a_workflow_the_server_refuses_names_the_node(tmp_path, small_mapping, refs) -> None:
    wf = load_workflow(WAN)
    wf["54"]["class_type"] = "ModelSamplingWanX"
    bad = tmp_path / "wf.json"
    bad.write_text(json.dumps(wf))
    with FakeComfyUI(WAN_MAP, tmp_path / "server") as fake:
        video = VideoResource(base_url=fake.base_url, backend="comfyui", comfyui_workflow=str(bad),
                              comfyui_mapping=str(small_mapping))
        with pytest.raises(ModelRoleError, match=r"the server refused the workflow .*wf.json \(Node 'ModelSamplingWanX' "
                                                 r"not found.*\); open the workflow in ComfyUI"):
            video.render_shot(film_plans()[0], refs, tmp_path / "o.mp4", 256, 144, 24, seed=1)
        assert fake.count("POST", "/prompt") == 1


def test_text_to_image(tmp_path) -> None:
    sd = DOCS / "sdxl_text_to_image.json"
    mapping = {"prompt": "6.text", "negative_prompt": "7.text", "seed": "3.seed", "width": "5.width",
               "height": "5.height", "output": "9"}
    with FakeComfyUI(mapping, tmp_path / "server") as fake:
        image = ComfyImage(fake.base_url, str(sd), str(DOCS / "sdxl_text_to_image.mapping.toml"), poll_s=0.01)
        out = image.generate("a brass compass on wet planks", tmp_path / "still.png", 1280, 720, seed=5)
        queued = fake.prompts[fake.order[-1]]
        assert queued["6"]["inputs"]["text"] == "a brass compass on wet planks" and queued["3"]["inputs"]["seed"] == 5
        assert Image.open(out).size == (1280, 704)  # 16:9 within 1344 px, to SDXL's 64 px grid
        assert Image.open(out).format == "PNG"


def test_a_server_that_is_not_running_is_named(tmp_path, small_mapping, refs, monkeypatch) -> None:
    import socket

    monkeypatch.setattr("resources.openai_backends.RoleEndpoint.backoff", staticmethod(lambda retry, after: 0.0))
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    video = VideoResource(base_url=f"http://127.0.0.1:{port}", backend="comfyui", comfyui_workflow=str(WAN),
                          comfyui_mapping=str(small_mapping), max_retries=1)
    with pytest.raises(ModelRoleError, match=rf"ComfyUI backend, shot {film_plans()[0].shot_id}: could not connect to "
                                             rf"the endpoint http://127.0.0.1:{port} .*after 1 retry.*check "
                                             "FILMASTER_VIDEO_BASE_URL and that the server is running"):
        video.render_shot(film_plans()[0], refs, tmp_path / "o.mp4", 256, 144, 24, seed=1)


def test_the_prompt_builder_on_the_demo_film() -> None:
    plans = film_plans()
    assert len(plans) >= 6
    prompts = [video_prompt(p) for p in plans]
    assert len(set(prompts)) == len(prompts)  # every shot its own prompt
    for p, text in zip(plans, prompts):
        cam = p.camera
        assert text.startswith(("Extreme wide", "Wide", "Full", "Medium", "Close-up", "Extreme close-up"))
        assert f"{cam.lens_mm:.0f}mm" in text and p.location in text
        assert {"static": "locked off", "push_in": "dollies in", "pull_out": "dollies back", "handheld": "Handheld",
                "orbit": "arcs", "pan_left": "pans", "pan_right": "pans", "tilt_up": "tilts up", "tilt_down": "tilts down",
                "truck_left": "tracks", "truck_right": "tracks", "crane_up": "cranes up",
                "crane_down": "cranes down"}[cam.movement] in text
        assert cam.lighting in text and p.mood.capitalize() in text
        sentences = [x for x in text.split(". ") if x]
        assert len(sentences) == len(set(sentences)) and "Objective" not in text and "mm lens," not in text
        neg = negative_prompt(p)
        assert ("camera shake" in neg) == (cam.movement == "static") and "watermark" in neg
    times = {p.time_of_day for p in plans}
    assert {"dawn", "night"} <= times and "at dawn" in " ".join(prompts) and "at night" in " ".join(prompts)
    storm = [t for p, t in zip(plans, prompts) if p.weather == "storm"]
    assert all("storm" in t for t in storm)
    assert len({p.camera.movement for p in plans}) >= 3


def test_the_environment_configures_the_backend(monkeypatch, tmp_path) -> None:
    from resources import build_resources

    for k, v in {"FILMASTER_VIDEO_BASE_URL": "http://127.0.0.1:8188", "FILMASTER_VIDEO_BACKEND": "comfyui",
                 "FILMASTER_COMFYUI_WORKFLOW": str(WAN),
                 "FILMASTER_COMFYUI_MAPPING": str(DOCS / "wan21_image_to_video.mapping.json"),
                 "FILMASTER_COMFYUI_MAX_WAIT": "900", "FILMASTER_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(k, v)
    video = build_resources()["video"]
    backend = video.video_backend()
    assert isinstance(backend, ComfyVideo) and backend.job.max_wait_s == 900 and backend.max_references == 1
    assert backend.billed_seconds(5.0) == 81 / 16  # the frames Wan renders for 5 s, at its 16 fps


def test_the_cache_name_follows_the_workflow_and_mapping(tmp_path, small_mapping) -> None:
    def name(workflow: Path, mapping: Path) -> str:
        return VideoResource(base_url="http://127.0.0.1:9", backend="comfyui", comfyui_workflow=str(workflow),
                             comfyui_mapping=str(mapping)).backend_name()

    same = name(WAN, small_mapping)
    assert same == name(WAN, small_mapping) and same.startswith("comfyui:wan21_image_to_video-")
    other_map = tmp_path / "other.json"
    other_map.write_text(json.dumps({**WAN_MAP, "max_side": 480}))
    wf = load_workflow(WAN)
    wf["3"]["inputs"]["steps"] = 30
    other_wf = tmp_path / "wan21_image_to_video.json"
    other_wf.write_text(json.dumps(wf))
    assert len({same, name(WAN, other_map), name(other_wf, small_mapping)}) == 3  # another setup, another clip


def test_a_spent_budget_sends_nothing(tmp_path, small_mapping, refs) -> None:
    import dagster as dg

    plan = film_plans()[0]
    with FakeComfyUI(WAN_MAP, tmp_path / "server") as fake:
        budget = Budget(tmp_path / "film", FilmRequest(film_id="film", text="x", video_seconds_budget=1))
        with pytest.raises(dg.Failure, match=rf"shot {plan.shot_id} needs [\d.]+ s more"):
            _video(fake, small_mapping).render_shot(plan, refs, tmp_path / "o.mp4", 256, 144, 24, seed=1, budget=budget)
        assert fake.requests == [] and budget.read().video_seconds == 0


def test_without_a_websocket_client_polling_alone_finishes_the_clip(tmp_path, small_mapping, refs, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "websockets.sync.client", None)  # as if `websockets` were not installed
    lines: list[str] = []
    plan = film_plans()[0]
    with FakeComfyUI(WAN_MAP, tmp_path / "server") as fake:
        backend = _video(fake, small_mapping).video_backend()
        from filmcraft.roles import ClipRequest

        backend.render_clip(ClipRequest(plan, (refs.location,), 256, 144, 24, 3), tmp_path / "o.mp4", lines.append)
        assert probe(tmp_path / "o.mp4").has_video and fake.count("GET", "/ws") == 0
        assert lines == [f"ComfyUI shot {plan.shot_id}: prompt {fake.order[-1]} running"]  # no step counts


def test_the_image_role_paints_through_a_comfyui_workflow(tmp_path, monkeypatch) -> None:
    """FILMASTER_IMAGE_BACKEND=comfyui: the image role's reference images come from a text-to-image
    workflow (the environment reaches the resource as the definitions build it)."""
    from resources import build_resources

    sd, sd_map = DOCS / "sdxl_text_to_image.json", DOCS / "sdxl_text_to_image.mapping.toml"
    mapping = {"prompt": "6.text", "negative_prompt": "7.text", "seed": "3.seed", "width": "5.width",
               "height": "5.height", "output": "9"}
    with FakeComfyUI(mapping, tmp_path / "server") as fake:
        for var, value in {"FILMASTER_IMAGE_BASE_URL": fake.base_url, "FILMASTER_IMAGE_BACKEND": "comfyui",
                           "FILMASTER_COMFYUI_IMAGE_WORKFLOW": str(sd),
                           "FILMASTER_COMFYUI_IMAGE_MAPPING": str(sd_map)}.items():
            monkeypatch.setenv(var, value)
        painter = build_resources()["image"].image_model()
        painter.paint("Mara, a fisherwoman in a yellow oilskin", 512, 768, tmp_path / "mara.png")
        assert fake.prompts[fake.order[-1]]["6"]["inputs"]["text"] == "Mara, a fisherwoman in a yellow oilskin"
        assert Image.open(tmp_path / "mara.png").format == "PNG"
        assert Image.open(tmp_path / "mara.png").size[1] > Image.open(tmp_path / "mara.png").size[0]  # a portrait
        assert painter.name.startswith("comfyui") and "sdxl_text_to_image" in painter.name
